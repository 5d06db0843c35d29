"""Editing a duty of the calendar (admins): its day of the month, its month or its reminder
days, typed, checked against the duty and confirmed; reminders follow from the next pass."""

from __future__ import annotations

from typing import Any

from handlers.access.duties import access_calendar_duty
from handlers.duties import browse, views
from handlers.kit.actions import ADMINS, Act
from handlers.kit.buttons import DutyId
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.flows import Confirm, Entry, Flow, Form, GoBack, Next, Problem, Text
from handlers.kit.i18n import N_, Html
from handlers.labels import duty_title
from rules.validation import Invalid, parse_whole, parse_whole_list
from storage import duties as store
from storage.models import Duty


def parse_leads(text: str | None) -> list[int] | None:
    """"30, 14, 7 1" -> [30, 14, 7, 1]; None unless 1 to MAX_LEADS numbers up to MAX_LEAD_DAYS."""
    leads = parse_whole_list(text, minimum=0, maximum=store.MAX_LEAD_DAYS,
                             max_items=store.MAX_LEADS)
    return None if isinstance(leads, Invalid) else leads


def parse_number(text: str | None) -> int | None:
    """A typed day or month (ASCII or full-width digits); the caller checks the range."""
    number = parse_whole(text, minimum=0, maximum=9999)
    return None if isinstance(number, Invalid) else number


class EditForm(Form):
    duty: DutyId
    field: views.Field
    value: int | None = None  # the new day or month
    leads: list[int] | None = None  # the new reminder days


def changes_of(form: EditForm) -> dict[str, Any]:
    if form.field == "l":
        return {"lead_days": form.leads}
    return {"day" if form.field == "d" else "month": form.value}


async def start(act: Act, press: views.EditDuty) -> EditForm:
    duty = await access_calendar_duty(act, press.duty)
    if (press.field == "m" and duty.recurrence not in ("yearly", "quarterly")) or (
            press.field == "d" and duty.recurrence == "once"):
        act.refuse(STALE_BUTTON)
    return EditForm(duty=press.duty, field=press.field)


async def guard(act: Act, form: EditForm) -> Duty:
    return await access_calendar_duty(act, form.duty)


async def ask_value(act: Act, form: EditForm) -> Html:
    return views.edit_question(act.t, await guard(act, form), form.field)


async def read_value(act: Act, form: EditForm, text: str) -> Next | Problem:
    """The typed value, checked against the rest of the duty."""
    duty = await guard(act, form)
    answer = EditForm(duty=form.duty, field=form.field)
    if form.field == "l":
        answer.leads = parse_leads(text)
        if answer.leads is None:
            return Problem(views.ERROR_TEXTS["bad_leads"])
    else:
        answer.value = parse_number(text)
        if answer.value is None:
            return Problem(N_("Please type a number."))
    changes = changes_of(answer)
    try:
        store.check_template(
            recurrence=duty.recurrence, day=changes.get("day", duty.day),
            month=changes.get("month", duty.month), on=duty.on_date,
            lead_days=changes.get("lead_days", duty.lead_days), audience=duty.audience,
        )
    except store.DutyError as error:
        return Problem(views.ERROR_TEXTS[error.code])
    return Next({"value": answer.value, "leads": answer.leads})


async def summary(act: Act, form: EditForm) -> Html:
    duty = await guard(act, form)
    t = act.t
    before = {"d": duty.day, "m": duty.month, "l": views.leads_text(duty.lead_days)}[form.field]
    after = views.leads_text(form.leads or []) if form.field == "l" else form.value
    return t("Change the {field} of {title}: {before} → {after}?",
             field=t(views.FIELD_NAMES[form.field]), title=duty_title(t, duty.code, duty.title),
             before=before, after=after)


async def save(act: Act, form: EditForm) -> Html:
    """Stored (audited); reminders follow it from the next pass. The duty's card follows."""
    duty = await guard(act, form)
    try:
        await store.edit_duty(act.session, duty, by=act.actor.telegram_id, **changes_of(form))
    except store.DutyError as error:
        raise GoBack("value", views.ERROR_TEXTS[error.code]) from None
    act.follow(await browse.card_reply(act, duty))
    return act.t("✅ Saved.")


EDIT_DUTY = Flow(
    name="duty_edit",
    prefix="du",
    form=EditForm,
    entry=Entry(views.EditDuty, ADMINS, start),
    guard=guard,
    steps=(
        Text(key="value", ask=ask_value, read=read_value),
        Confirm(key="eok", summary=summary, label=views.CONFIRM, finish=save),
    ),
    exits=browse.EXITS,
)
