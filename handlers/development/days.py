"""A leader corrects the day a stage was reached: records that began when the bot learned of
the person (a registration, the 0024 data step) carry that day, not the branch's. The day is
refused in the future, before the stage reached before it or after the one after it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from handlers.access.development import access_development
from handlers.development import views
from handlers.development.pages import card_reply
from handlers.kit.actions import LEADERS, Act, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.flows import Choose, Confirm, Day, Entry, Flow, Form, Option, Problem
from handlers.kit.flows import past_day as not_future
from handlers.kit.i18n import N_, Html, html_join
from storage import development
from storage.development import CORRECTABLE
from storage.models import DevelopmentRecord

# What each correctable day is, as the card says it.
DAY_TEXTS = {
    "applied_on": N_("Application: {date}"),
    "activist_on": N_("Activist from {date}"),
    "candidate_on": N_("Candidate for admission from {date}"),
    "admitted_on": N_("Admitted (probation) on {date}"),
    "confirmed_on": N_("Full member on {date}"),
}


class DayForm(Form):
    person: PersonId
    field: str | None = None
    on: date | None = None


async def start(act: Act, press: views.CorrectDay) -> DayForm:
    await access_development(act, press.person)
    return DayForm(person=press.person)


async def guard(act: Act, form: DayForm) -> DevelopmentRecord:
    return await access_development(act, form.person)


def reached(record: DevelopmentRecord) -> list[tuple[str, date]]:
    return [(field, day) for field in CORRECTABLE
            if (day := getattr(record, field)) is not None]


async def ask_field(act: Act, form: DayForm) -> Html:
    return act.t("✏️ Which day is wrong? Pick it; the next question asks for the right one.")


async def options(act: Act, form: DayForm) -> Sequence[Option]:
    record = await guard(act, form)
    return [Option(field, act.t(DAY_TEXTS[field], date=day.isoformat()))
            for field, day in reached(record)]


def current(record: DevelopmentRecord, form: DayForm) -> date:
    day = getattr(record, form.field or "", None)
    if form.field not in CORRECTABLE or not isinstance(day, date):
        raise development.DevelopmentError("unknown_day")
    return day


async def ask_day(act: Act, form: DayForm) -> Html:
    record = await guard(act, form)
    return act.t("The right day for “{what}”? Type it like {day}, or press a day.",
                 what=act.t(DAY_TEXTS[form.field or ""], date=current(record, form).isoformat()),
                 day=act.today().isoformat())


async def accept_day(act: Act, form: DayForm, day: date) -> Any:
    record = await guard(act, form)
    current(record, form)
    refused = development.correction_refused(record, form.field or "", day, act.today())
    if refused is not None:
        return Problem(views.REFUSALS.get(refused.reason, views.REFUSALS["stage_out_of_order"]))
    return day


async def summary(act: Act, form: DayForm) -> Html:
    record = await guard(act, form)
    t = act.t
    return html_join("\n", [
        t("Correct this day?"),
        t("Before: {what}", what=t(DAY_TEXTS[form.field or ""],
                                   date=current(record, form).isoformat())),
        t("After: {what}", what=t(DAY_TEXTS[form.field or ""],
                                  date=form.on.isoformat() if form.on else ""))])


async def save(act: Act, form: DayForm) -> Reply:
    record = await guard(act, form)
    current(record, form)
    refused = await development.correct_day(
        act.session, record, form.field or "", form.on or act.today(),
        by=act.actor.telegram_id, today=act.today(), now=act.now())
    if refused is not None:
        await act.session.rollback()
        return await card_reply(act, form.person, act.t(views.REFUSALS.get(
            refused.reason, views.REFUSALS["stage_out_of_order"])))
    return await card_reply(act, form.person, act.t("✅ Day corrected."))


CORRECT = Flow(
    name="development_day",
    prefix="fdvd",
    form=DayForm,
    entry=Entry(views.CorrectDay, LEADERS, start),
    guard=guard,
    steps=(
        Choose(key="field", ask=ask_field, options=options),
        Day(key="on", ask=ask_day, prefer="past", check=not_future, accept=accept_day),
        Confirm(key="confirm", summary=summary, label=N_("✅ Correct it"), finish=save),
    ),
)
