"""A probationary member's probation extended (延长预备期: once, by 6 to 12 months) or their
probationary status withdrawn (取消预备党员资格: the development ends, the membership goes back
to an activist's), each from the card with the branch's day and reason, confirmed before it is
kept; storage audits both."""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.access.development import access_development
from handlers.development import views
from handlers.development.pages import branch_reply, card_reply
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import OrgId, PersonId
from handlers.kit.chat import Refused
from handlers.kit.flows import Confirm, Day, Entry, Flow, Form, Problem, Text, cleaned
from handlers.kit.flows import past_day as not_future
from handlers.kit.i18n import N_, Html, html_join
from rules import development as rules
from rules.dates import add_months
from rules.validation import MAX_REASON, Invalid, parse_whole
from rules.vocabulary import DevelopmentStage
from storage import development
from storage.models import DevelopmentRecord, Person

WITHDRAWN = "status_withdrawn"  # the record's closed_reason, the step logged


class ExtendForm(Form):
    person: PersonId
    months: int | None = None
    on: date | None = None
    reason: str | None = None


class WithdrawForm(Form):
    person: PersonId
    on: date | None = None
    reason: str | None = None


async def probationary(act: Act, person: PersonId) -> DevelopmentRecord:
    """The person's development, still in probation (else the flow is out of date)."""
    record = await access_development(act, person)
    if record.stage is not DevelopmentStage.PROBATIONARY:
        raise Refused(views.REFUSALS["stage_out_of_order"])
    return record


async def guard(act: Act, form: Any) -> None:
    await probationary(act, form.person)


async def name_of(act: Act, record: DevelopmentRecord) -> str:
    person = await act.session.get(Person, record.person_id)
    return (person.real_name or "") if person is not None else ""


async def start_extend(act: Act, press: views.ExtendProbation) -> ExtendForm | Reply:
    record = await access_development(act, press.person)
    if record.stage is not DevelopmentStage.PROBATIONARY or record.extension_months:
        return await card_reply(act, press.person, act.t(views.REFUSALS["already_extended"])
                                if record.extension_months else None)
    return ExtendForm(person=press.person)


async def start_withdraw(act: Act, press: views.WithdrawStatus) -> WithdrawForm | Reply:
    record = await access_development(act, press.person)
    if record.stage is not DevelopmentStage.PROBATIONARY:
        return await card_reply(act, press.person)
    return WithdrawForm(person=press.person)


async def ask_months(act: Act, form: ExtendForm) -> Html:
    low, high = rules.EXTENSION_MONTHS
    return act.t("⏳ Extend the probation by how many months ({low} to {high})? It can be "
                 "extended only once.", low=low, high=high)


async def read_months(act: Act, form: ExtendForm, text: str) -> int | Invalid:
    low, high = rules.EXTENSION_MONTHS
    return parse_whole(text, minimum=low, maximum=high)


async def ask_day(act: Act, form: Any) -> Html:
    return act.t("On which day did the branch decide it? Type it like {day}, or press a day.",
                 day=act.today().isoformat())


async def accept_day(act: Act, form: Any, day: date) -> date | Problem:
    record = await probationary(act, form.person)
    if record.admitted_on is not None and day < record.admitted_on:
        return Problem(N_("That day is before the admission ({date})."),
                       date=record.admitted_on.isoformat())
    return day


async def ask_reason(act: Act, form: Any) -> Html:
    return act.t("Why, and the decision's reference (for example 支发〔2026〕3号)? It is kept in "
                 "the record.")


def ends(record: DevelopmentRecord, months: int) -> str:
    return add_months(record.admitted_on, rules.PROBATION_MONTHS + months).isoformat() \
        if record.admitted_on else ""


async def extend_summary(act: Act, form: ExtendForm) -> Html:
    record = await probationary(act, form.person)
    t = act.t
    return html_join("\n", [
        t("⚠️ Extend the probation of {name} by {months} months? It then ends on {date}; it "
          "cannot be extended again.", name=await name_of(act, record), months=form.months or 0,
          date=ends(record, form.months or 0)),
        t("Decided on {date}", date=form.on.isoformat() if form.on else ""),
        t("Reason: {reason}", reason=form.reason or "")])


async def save_extend(act: Act, form: ExtendForm) -> Reply:
    record = await probationary(act, form.person)
    refused = await development.extend_probation(
        act.session, record, form.months or 0, by=act.actor.telegram_id, now=act.now(),
        on=form.on or act.today(), reason=form.reason or "")
    if refused is not None:
        await act.session.rollback()
        return await card_reply(act, form.person, act.t(views.REFUSALS.get(
            refused.reason, views.REFUSALS["stage_out_of_order"])))
    return await card_reply(act, form.person, act.t(
        "✅ Probation extended by {months} months: it ends on {date}.",
        months=record.extension_months, date=ends(record, record.extension_months)))


EXTEND = Flow(
    name="development_extend",
    prefix="fdvx",
    form=ExtendForm,
    entry=Entry(views.ExtendProbation, LEADERS, start_extend),
    guard=guard,
    steps=(
        Text(key="months", ask=ask_months, read=read_months),
        Day(key="on", ask=ask_day, prefer="past", check=not_future, accept=accept_day),
        Text(key="reason", ask=ask_reason, read=cleaned(MAX_REASON)),
        Confirm(key="confirm", summary=extend_summary, label=N_("⏳ Extend the probation"),
                finish=save_extend),
    ),
)


async def withdraw_summary(act: Act, form: WithdrawForm) -> Html:
    record = await probationary(act, form.person)
    t = act.t
    return html_join("\n", [
        t("⚠️ Withdraw the probationary status of {name} (取消预备党员资格)? Their development "
          "ends and their membership goes back to an activist's. This cannot be undone here.",
          name=await name_of(act, record)),
        t("Decided on {date}", date=form.on.isoformat() if form.on else ""),
        t("Reason: {reason}", reason=form.reason or "")])


async def save_withdraw(act: Act, form: WithdrawForm) -> Reply:
    record = await probationary(act, form.person)
    name = await name_of(act, record)
    await development.close(act.session, record, WITHDRAWN, by=act.actor.telegram_id,
                            on=form.on or act.today(), now=act.now(), note=form.reason)
    return await branch_reply(act, OrgId(record.party_organization_id), act.t(
        "✅ The probationary status of {name} was withdrawn.", name=name))


WITHDRAW = Flow(
    name="development_withdraw",
    prefix="fdvw",
    form=WithdrawForm,
    entry=Entry(views.WithdrawStatus, LEADERS, start_withdraw),
    guard=guard,
    steps=(
        Day(key="on", ask=ask_day, prefer="past", check=not_future, accept=accept_day),
        Text(key="reason", ask=ask_reason, read=cleaned(MAX_REASON)),
        Confirm(key="confirm", summary=withdraw_summary,
                label=N_("✖️ Withdraw the probationary status"), finish=save_withdraw),
    ),
)
