"""A secretary records a payment for a member of the branch: the member from a paged list, the
months, the amount (the member's standard × months offered as a button), how and when it was
paid, and who paid it (the member, or someone for them: 代缴). Months already recorded (or
reported) are said, not doubled; the member is told."""

from __future__ import annotations

from decimal import Decimal

from handlers.access.dues import access_dues_branch
from handlers.dues import payment, views
from handlers.dues.branch import branch_reply
from handlers.dues.pick import member, member_step
from handlers.dues.views import RecordForm
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.flows import Choose, Confirm, Entry, Flow, Option, Text, asking, cleaned
from handlers.kit.i18n import N_, Html, html_join
from rules import dues as rules
from rules.vocabulary import DuesMethod
from storage import dues
from storage.dues import DuesError

MAX_PAYER = 50  # characters of a payer's name (dues_payments.paid_by_name)
MEMBER, OTHER = "member", "other"


async def start(act: Act, press: views.StartRecord) -> RecordForm:
    await access_dues_branch(act, press.org)
    return RecordForm(org=press.org)


async def guard(act: Act, form: RecordForm) -> None:
    await access_dues_branch(act, form.org)
    if form.person is not None:
        await member(act, form)


async def standard_of(act: Act, form: RecordForm) -> Decimal | None:
    person = form.person or 0
    profiles = await dues.profiles_for(act.session, [person], payment.current(act).year)
    return dues.monthly_of(profiles.get(person), act.settings.dues_rules)


async def limit(act: Act, form: RecordForm) -> int:
    # A leader recording a payment ahead is the branch consenting to it: a quarter at least.
    return rules.recording_limit(await dues.months_ahead(act.session, form.org))


async def payer_options(act: Act, form: RecordForm) -> list[Option]:
    return [Option(MEMBER, act.t("The member")),
            Option(OTHER, act.t("Someone else for them"))]


async def one_line(act: Act, form: RecordForm, name: str) -> str:
    return " ".join(name.split())


async def summary(act: Act, form: RecordForm) -> Html:
    m = await member(act, form)
    return html_join("\n", [act.t("Record this payment for {name}?", name=m.person.real_name or ""),
                            *views.payment_lines(act.t, form)])


async def save(act: Act, form: RecordForm) -> Reply:
    m = await member(act, form)
    amount = Decimal(form.amount or "0")
    paid_by = form.paid_by if form.payer == OTHER else None
    try:
        done = await dues.record_payment(
            act.session, person_id=m.person_id, org_id=form.org,
            months=payment.months_of(act, form, await limit(act, form)), amount=amount,
            paid_on=form.paid_on or act.today(), method=DuesMethod(form.method or "cash"),
            by=act.actor.telegram_id, now=act.now(), paid_by_name=paid_by)
    except DuesError as refused:
        await act.session.rollback()
        return await branch_reply(act, form.org, act.t(views.REFUSALS[refused.code]),
                                  back=False)
    if done.months and m.person.telegram_id != act.actor.telegram_id:
        act.deliver([(m.person.telegram_id,
                      payment.thanks(m.person.language, done.months, paid_by), None)])
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
        member_step(N_("Whose payment? Pick the member (the number is the months owed)."),
                    {"first": None, "count": None, "amount": None, "big": False, "sure": None}),
        *payment.payment_steps(standard_of, limit, recording=True),
        Choose(key="payer", ask=asking(N_("Who paid?")), options=payer_options),
        Text(key="paid_by", ask=asking(N_("Who paid it for them? Type their name.")),
             read=cleaned(MAX_PAYER, one_line), when=lambda form: form.payer == OTHER),
        Confirm(key="confirm", summary=summary, label=N_("✅ Record it"), finish=save),
    ),
)
