"""A custom deadline: a branch's leaders add one for their branch (and the branches below),
admins for every organization. Title, how often, the month and day (or the date, once),
whom it reminds and how many days before; the planner reminds of it from then on."""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime
from typing import Any, Literal

from telegram import InlineKeyboardButton

from handlers.access.duties import access_duty_scope
from handlers.duties import browse, views
from handlers.duties.editing import parse_leads, parse_number
from handlers.kit.actions import LEADERS, Act
from handlers.kit.buttons import BadCallback, OrgId
from handlers.kit.flows import (
    Choose,
    Confirm,
    Custom,
    Day,
    Entry,
    Flow,
    Form,
    GoBack,
    Next,
    Option,
    Problem,
    Text,
)
from handlers.kit.i18n import N_, Html, Translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.steps import asking, cleaned
from handlers.labels import DUTY_RECURRENCE_LABELS
from rules.duties import Recurrence
from rules.validation import MAX_ORG_NAME
from storage import duties as store
from storage.models import Duty, PartyOrganization

logger = logging.getLogger(__name__)

MAX_TITLE = MAX_ORG_NAME * 2  # as Duty.title allows (200)
DEFAULT_LEADS = (7, 1)
MONTHLY_OR_MORE = (Recurrence.MONTHLY, Recurrence.QUARTERLY, Recurrence.YEARLY)
WITH_MONTH = (Recurrence.QUARTERLY, Recurrence.YEARLY)


class NewDutyForm(Form):
    org: OrgId  # 0: every organization
    title: str | None = None
    recurrence: Recurrence | None = None
    month: int | None = None
    day: int | None = None
    on: date | None = None
    audience: Literal["s", "m", "sa"] | None = None
    leads: list[int] | None = None


def template_fields(form: NewDutyForm) -> dict[str, Any]:
    """The form as storage.duties takes a duty's fields."""
    on = form.on if form.recurrence is Recurrence.ONCE else None
    return {
        "recurrence": str(form.recurrence),
        "day": on.day if on else form.day or 1,
        "month": form.month if form.recurrence in WITH_MONTH else None,
        "on": on,
        "lead_days": list(form.leads or []),
        "audience": [str(a) for a in views.AUDIENCES.get(form.audience or "", ())],
    }


def when_of(t: Translator, form: NewDutyForm) -> Html:
    fields = template_fields(form)
    return views.when_text(t, Duty(recurrence=fields["recurrence"], day=fields["day"],
                                   month=fields["month"], on_date=fields["on"]))


async def guard(act: Act, form: NewDutyForm) -> PartyOrganization | None:
    return await access_duty_scope(act, form.org)


async def ask_title(act: Act, form: NewDutyForm) -> Html:
    org = await guard(act, form)
    t = act.t
    return t("A new deadline for {org}. What is it? Type a short title, for example: Report on "
             "the theme education.", org=org.name if org else t("every organization"))


async def recurrences(act: Act, form: NewDutyForm) -> list[Option]:
    return [Option(str(code), act.t(label)) for code, label in DUTY_RECURRENCE_LABELS.items()]


def top_month(form: NewDutyForm) -> int:
    return 12 if form.recurrence is Recurrence.YEARLY else 3


async def ask_month(act: Act, form: NewDutyForm
                    ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    t = act.t
    question = (t("In which month?") if form.recurrence is Recurrence.YEARLY
                else t("In which month of each quarter (1st, 2nd or 3rd)?"))
    return question, views.month_buttons(top_month(form))


async def pick_month(act: Act, form: NewDutyForm, press: views.PickMonth) -> Next:
    if not 1 <= press.month <= top_month(form):
        raise BadCallback(press.pack())
    return Next({"month": press.month})


async def read_day(act: Act, form: NewDutyForm, text: str) -> int | Problem:
    day = parse_number(text)
    # A leap year: 29 February is allowed.
    limit = (calendar.monthrange(2028, form.month)[1]
             if form.recurrence is Recurrence.YEARLY and form.month else 31)
    if day is None or not 1 <= day <= limit:
        return Problem(N_("Please type a day from 1 to {limit}."), limit=limit)
    return day


def not_passed(t: Translator, on: date, now: datetime) -> Html | None:
    return t("That day has passed. Please type a date from today on.") if on < now.date() \
        else None


async def audiences(act: Act, form: NewDutyForm) -> list[Option]:
    t = act.t
    options = [Option("s", t("Secretaries and deputies")),
               Option("m", t("All members of the branch"))]
    if act.actor.is_admin:
        options.append(Option("sa", t("Secretaries and the upper level (admins)")))
    return options


async def ask_leads(act: Act, form: NewDutyForm
                    ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    t = act.t
    return (t("How many days before the deadline should reminders come? Type numbers like "
              "14, 3, 0 (0: on the day), or take the default."),
            [[views.DefaultLeads().button(t("7 and 1 days before"))]])


def take_leads(act: Act, form: NewDutyForm, leads: list[int] | None) -> Next:
    """Reminder days that fit the deadline; else why not, and asked again."""
    if leads is None:
        act.say(act.t(views.ERROR_TEXTS["bad_leads"]))
        return Next({}, stay=True)
    try:
        store.check_template(**template_fields(form.model_copy(update={"leads": leads})))
    except store.DutyError as error:
        act.say(act.t(views.ERROR_TEXTS[error.code]))
        return Next({}, stay=True)
    return Next({"leads": leads})


async def default_leads(act: Act, form: NewDutyForm, press: views.DefaultLeads) -> Next:
    return take_leads(act, form, list(DEFAULT_LEADS))


async def typed_leads(act: Act, form: NewDutyForm, text: str) -> Next:
    return take_leads(act, form, parse_leads(text))


async def summary(act: Act, form: NewDutyForm) -> Html:
    org = await guard(act, form)
    fields = template_fields(form)
    return views.new_duty_summary(act.t, form.title or "", org.name if org else None,
                                  when_of(act.t, form), fields["lead_days"], fields["audience"])


async def save(act: Act, form: NewDutyForm) -> Html:
    """Stored (audited); the planner reminds of it from now on. The deadlines follow."""
    org = await guard(act, form)
    assert form.title is not None
    try:
        duty = await store.create_duty(act.session, title=form.title, org_id=form.org or None,
                                       by=act.actor.telegram_id, now=act.now(),
                                       **template_fields(form))
    except store.DutyError as error:
        raise GoBack("leads", views.ERROR_TEXTS[error.code]) from None
    logger.info("user %s added duty %s", pseudonym(act.actor.telegram_id), duty.id)
    act.follow(await browse.org_reply(act, org) if org is not None
               else await browse.show_calendar(act, views.ShowCalendar(0)))
    return act.t("✅ Saved: {title}.", title=form.title)


ADD_DUTY = Flow(
    name="duty_new",
    prefix="du",
    form=NewDutyForm,
    entry=Entry(views.AddDuty, LEADERS),
    guard=guard,
    steps=(
        Text(key="title", ask=ask_title, read=cleaned(MAX_TITLE)),
        Choose(key="recurrence", ask=asking(N_("How often is it due?")), options=recurrences),
        Custom(key="month", render=ask_month, presses=((views.PickMonth, pick_month),),
               when=lambda form: form.recurrence in WITH_MONTH),
        Text(key="day", ask=asking(N_(
            "On which day of the month? Type 1 to 31 (31: the last day of the month).")),
             read=read_day, when=lambda form: form.recurrence in MONTHLY_OR_MORE),
        Day(key="on", ask=asking(N_(
            "On which day is it due? Type the date as you would say it (for example 5 Dec, next "
            "Fri or 2026-12-05) or press a day.")), prefer="future", check=not_passed,
            when=lambda form: form.recurrence is Recurrence.ONCE),
        Choose(key="audience", ask=asking(N_("Whom should it remind?")), options=audiences),
        Custom(key="leads", render=ask_leads, presses=((views.DefaultLeads, default_leads),),
               read=typed_leads),
        Confirm(key="save", summary=summary, label=N_("✅ Save"), finish=save),
    ),
    exits=browse.EXITS,
)
