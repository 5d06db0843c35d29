"""A secretary records a payment for a member of the branch: the member from a paged list, the
months, the amount (the member's standard × months offered as a button), how and when it was
paid. Months already recorded (or reported) are said, not doubled; the member is told."""

from __future__ import annotations

from decimal import Decimal

from handlers.access.dues import access_dues_branch, access_dues_member
from handlers.dues import payment, views
from handlers.dues.branch import branch_reply
from handlers.dues.views import RecordForm
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.chat import STALE_BUTTON, Refused
from handlers.kit.flows import Confirm, Custom, Entry, Flow, Next, Rows
from handlers.kit.i18n import N_, Html, html_join
from handlers.kit.ui import paged_rows
from rules.vocabulary import DuesMethod
from storage import dues
from storage.dues import DuesError
from storage.models import Membership


async def start(act: Act, press: views.StartRecord) -> RecordForm:
    await access_dues_branch(act, press.org)
    return RecordForm(org=press.org)


async def guard(act: Act, form: RecordForm) -> None:
    await access_dues_branch(act, form.org)
    if form.person is not None:
        await member(act, form)


async def member(act: Act, form: RecordForm) -> Membership:
    """The member picked: still active in the branch the flow is for."""
    membership = await access_dues_member(act, form.person or 0)
    if membership.party_organization_id != form.org:
        raise Refused(STALE_BUTTON)
    return membership


async def ask_member(act: Act, form: RecordForm) -> tuple[Html, Rows]:
    members = await dues.branch_dues(act.session, form.org, payment.current(act))
    if not members:
        return act.t("The branch has no members who owe dues."), []
    items = [views.PickMember(PersonId(m.person_id)).button(
        views.named(act.t, m.name, m.person_id) + (f" · {len(m.owed)}" if m.owed else ""))
        for m in members]
    return (act.t("Whose payment? Pick the member (the number is the months owed)."),
            paged_rows(act.t, items, form.page, lambda page: views.MemberPage(page)))


async def pick_member(act: Act, form: RecordForm, press: views.PickMember) -> Next:
    await member(act, RecordForm(org=form.org, person=press.person))
    return Next({"person": press.person, "first": None, "count": None, "amount": None,
                 "big": False, "sure": None})


async def turn_page(act: Act, form: RecordForm, press: views.MemberPage) -> Next:
    return Next({"page": max(press.page, 0)}, stay=True)


async def standard_of(act: Act, form: RecordForm) -> Decimal | None:
    person = form.person or 0
    profiles = await dues.profiles_for(act.session, [person], payment.current(act).year)
    return dues.monthly_of(profiles.get(person))


async def summary(act: Act, form: RecordForm) -> Html:
    m = await member(act, form)
    return html_join("\n", [act.t("Record this payment for {name}?", name=m.person.real_name or ""),
                            *views.payment_lines(act.t, form)])


async def save(act: Act, form: RecordForm) -> Reply:
    m = await member(act, form)
    amount = Decimal(form.amount or "0")
    try:
        done = await dues.record_payment(
            act.session, person_id=m.person_id, org_id=form.org,
            months=payment.months_of(act, form), amount=amount,
            paid_on=form.paid_on or act.today(), method=DuesMethod(form.method or "cash"),
            by=act.actor.telegram_id, now=act.now())
    except DuesError as refused:
        await act.session.rollback()
        return await branch_reply(act, form.org, act.t(views.REFUSALS[refused.code]),
                                  back=False)
    if done.months and m.person.telegram_id != act.actor.telegram_id:
        act.deliver([(m.person.telegram_id, payment.thanks(m.person.language, done.months),
                      None)])
    head = html_join("\n", [act.t("{name}:", name=m.person.real_name or ""),
                            views.recorded_text(act.t, done.months, done.already,
                                                reported=False)])
    return await branch_reply(act, form.org, head, back=False)


RECORD = Flow(
    name="dues_record",
    prefix="fec",
    form=RecordForm,
    entry=Entry(views.StartRecord, LEADERS, start),
    guard=guard,
    steps=(
        Custom(key="person", render=ask_member,
               presses=((views.PickMember, pick_member), (views.MemberPage, turn_page))),
        *payment.payment_steps(standard_of),
        Confirm(key="confirm", summary=summary, label=N_("✅ Record it"), finish=save),
    ),
)
