"""A secretary records one month for many members at once ("these 12 paid 2026-11 in full"):
the members ticked on a paged list, the month, how and when; each is recorded at their own
monthly standard. Members without a standard, or with the month recorded already, are said and
left as they are; each member recorded is told."""

from __future__ import annotations

from sqlalchemy import select

from handlers.access.dues import access_dues_branch
from handlers.dues import payment, views
from handlers.dues.branch import branch_reply
from handlers.dues.views import ManyForm
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.chat import Outgoing
from handlers.kit.flows import (
    Choose,
    Confirm,
    Custom,
    Day,
    Entry,
    Flow,
    Next,
    Problem,
    Rows,
    Text,
    past_day,
)
from handlers.kit.i18n import N_, Html, html_join
from handlers.kit.ui import paged_rows
from rules import dues as rules
from rules.validation import Invalid
from rules.vocabulary import DuesMethod
from storage import dues
from storage.dues import MemberDues
from storage.models import Person


async def start(act: Act, press: views.StartMany) -> ManyForm:
    await access_dues_branch(act, press.org)
    return ManyForm(org=press.org)


async def guard(act: Act, form: ManyForm) -> None:
    await access_dues_branch(act, form.org)


async def members(act: Act, form: ManyForm) -> list[MemberDues]:
    return await dues.branch_dues(act.session, form.org, payment.current(act),
                                  act.settings.dues_rules)


async def ask_members(act: Act, form: ManyForm) -> tuple[Html, Rows]:
    found, t = await members(act, form), act.t
    if not found:
        return t("The branch has no members who owe dues."), []
    picked = set(form.picked)
    items = [views.TogglePaid(PersonId(m.person_id)).button(
        ("✓ " if m.person_id in picked else "") + views.named(t, m.name, m.person_id))
        for m in found]
    rows = paged_rows(t, items, form.page, lambda page: views.ManyPage(page))
    rows.append([views.ManyDone().button(t.as_plain("Next ({n} ticked) ›", n=len(picked)))])
    return t("Who paid the month in full? Tick the members, then press Next."), rows


async def toggle(act: Act, form: ManyForm, press: views.TogglePaid) -> Next:
    if press.person not in {m.person_id for m in await members(act, form)}:
        return Next({}, stay=True)  # no longer a member who owes: the list is drawn again
    picked = set(form.picked) ^ {press.person}
    return Next({"picked": tuple(sorted(picked))}, stay=True)


async def turn_page(act: Act, form: ManyForm, press: views.ManyPage) -> Next:
    return Next({"page": max(press.page, 0)}, stay=True)


async def done(act: Act, form: ManyForm, press: views.ManyDone) -> Next | Problem:
    return Next({}) if form.picked else Problem(N_("Tick at least one member first."))


async def ask_month(act: Act, form: ManyForm) -> Html:
    return act.t("Which month did they pay? Type it like {month}.",
                 month=str(payment.current(act)))


async def read_month(act: Act, form: ManyForm, text: str) -> str | Invalid:
    month = rules.parse_month(text)
    if isinstance(month, Invalid):
        return month
    ahead = rules.recording_limit(await dues.months_ahead(act.session, form.org))
    months = rules.payment_months(month, 1, payment.current(act), months_ahead=ahead)
    return months if isinstance(months, Invalid) else str(month)


async def split(act: Act, form: ManyForm) -> tuple[list[MemberDues], list[MemberDues]]:
    """The ticked members still owing dues here: those with a standard, those without."""
    ticked = [m for m in await members(act, form) if m.person_id in set(form.picked)]
    return [m for m in ticked if m.monthly], [m for m in ticked if not m.monthly]


async def summary(act: Act, form: ManyForm) -> Html:
    t = act.t
    paying, unknown = await split(act, form)
    lines = [t.plural("Record {month} in full for {n} member at their monthly standard?",
                      "Record {month} in full for {n} members, each at their monthly standard?",
                      len(paying), month=form.month or ""),
             html_join(", ", [t("{name} ({amount} yuan)", name=views.named(t, m.name, m.person_id),
                                amount=str(m.monthly)) for m in paying])]
    if unknown:
        lines.append(t("Left out, no standard stated yet: {names}", names=", ".join(
            views.named(t, m.name, m.person_id) for m in unknown)))
    return html_join("\n", lines)


async def save(act: Act, form: ManyForm) -> Reply:
    t, month = act.t, rules.parse_month(form.month)
    paying, unknown = await split(act, form)
    if isinstance(month, Invalid) or not paying:
        return await branch_reply(act, form.org, t("Nobody was recorded."), back=False)
    recorded: list[str] = []
    already: list[str] = []
    told: list[Outgoing] = []
    people = {p.id: p for p in await act.session.scalars(
        select(Person).where(Person.id.in_([m.person_id for m in paying])))}
    for member in paying:
        assert member.monthly is not None
        done = await dues.record_payment(
            act.session, person_id=member.person_id, org_id=form.org, months=[month],
            amount=member.monthly, paid_on=form.paid_on or act.today(),
            method=DuesMethod(form.method or "cash"), by=act.actor.telegram_id, now=act.now())
        name = views.named(t, member.name, member.person_id)
        (recorded if done.months else already).append(name)
        person = people.get(member.person_id)
        if done.months and person is not None and person.telegram_id != act.actor.telegram_id:
            told.append((person.telegram_id, payment.thanks(person.language, done.months),
                         None))
    act.deliver(told)
    lines = [t.plural("{month} recorded for {n} member.", "{month} recorded for {n} members.",
                      len(recorded), month=str(month))]
    if already:
        lines.append(t("Already recorded before, left as they were: {names}",
                       names=", ".join(already)))
    if unknown:
        lines.append(t("Left out, no standard stated yet: {names}",
                       names=", ".join(views.named(t, m.name, m.person_id) for m in unknown)))
    return await branch_reply(act, form.org, html_join("\n", lines), back=False)


RECORD_MANY = Flow(
    name="dues_many",
    prefix="fem",
    form=ManyForm,
    entry=Entry(views.StartMany, LEADERS, start),
    guard=guard,
    steps=(
        Custom(key="people", render=ask_members,
               presses=((views.TogglePaid, toggle), (views.ManyPage, turn_page),
                        (views.ManyDone, done))),
        Text(key="month", ask=ask_month, read=read_month),
        Choose(key="method", ask=payment.ask_method, options=payment.method_options),
        Day(key="paid_on", ask=payment.ask_day, prefer="past", check=past_day),
        Confirm(key="confirm", summary=summary, label=N_("✅ Record them"), finish=save),
    ),
)
