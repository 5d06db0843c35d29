"""A branch's own dues collection day (党费收缴日), set by its leaders from /duties; the dues
duty of the reporting calendar follows it for that branch (reminders and /duties).

The day is 1 to 28 (a day every month has) or "last" (月末) for the last day of each month,
or "default" for the calendar's day again.
"""

from __future__ import annotations

import unicodedata

from handlers.access.duties import access_dues_duty
from handlers.duties import browse, views
from handlers.kit.actions import LEADERS, Act
from handlers.kit.buttons import OrgId
from handlers.kit.flows import Confirm, Entry, Flow, Form, Problem, Text
from handlers.kit.i18n import N_, Html
from storage import duties as store
from storage.models import Duty, PartyOrganization

LAST_WORDS = {"last", "lastday", "end", "月末", "最后一天", "月底", "末"}
DEFAULT_WORDS = {"default", "默认", "reset"}
DEFAULT = 0  # in the form: back to the calendar's day (stored as None)


def parse_dues_day(text: str | None) -> int | None:
    """1..28, 31 for the last day, 0 for the calendar's default; None if not understood."""
    value = unicodedata.normalize("NFKC", text or "").strip().lower().replace(" ", "")
    if value in LAST_WORDS:
        return store.DUES_LAST_DAY
    if value in DEFAULT_WORDS:
        return DEFAULT
    value = value.removesuffix("日").removesuffix("号")
    if value.isdigit() and len(value) <= 2 and 1 <= int(value) <= store.MAX_DUES_DAY:
        return int(value)
    return None


class DuesDayForm(Form):
    org: OrgId
    day: int | None = None


async def guard(act: Act, form: DuesDayForm) -> tuple[PartyOrganization, Duty]:
    return await access_dues_duty(act, form.org)


async def ask_day(act: Act, form: DuesDayForm) -> Html:
    org, duty = await guard(act, form)
    t = act.t
    return t("On which day of the month does {org} collect party dues? Type 1 to 28, or “last” "
             "for the last day of the month (“default” goes back to day {default}). Now: {now}.",
             org=org.name, default=duty.day, now=views.day_words(t, org.dues_day, duty.day))


async def read_day(act: Act, form: DuesDayForm, text: str) -> int | Problem:
    day = parse_dues_day(text)
    if day is None:
        return Problem(N_("Please type a day from 1 to 28, or “last” for the last day of the "
                          "month. Days 29 to 31 are not in every month."))
    return day


async def summary(act: Act, form: DuesDayForm) -> Html:
    org, duty = await guard(act, form)
    t = act.t
    new = None if form.day == DEFAULT else form.day
    return t("Change the dues collection day of {org}: {before} → {after}? Dues reminders "
             "follow it from now on.", org=org.name,
             before=views.day_words(t, org.dues_day, duty.day),
             after=views.day_words(t, new, duty.day))


async def save(act: Act, form: DuesDayForm) -> Html:
    """Stored (audited); the deadlines follow."""
    org, duty = await guard(act, form)
    assert form.day is not None
    changed = await store.set_dues_day(act.session, org, None if form.day == DEFAULT
                                       else form.day, by=act.actor.telegram_id)
    act.follow(await browse.org_reply(act, org))
    t = act.t
    return (t("✅ Dues collection day set: {day}.", day=views.day_words(t, org.dues_day, duty.day))
            if changed else t("Nothing changed."))


DUES_DAY = Flow(
    name="dues_day",
    prefix="du",
    form=DuesDayForm,
    entry=Entry(views.SetDuesDay, LEADERS),
    guard=guard,
    steps=(
        Text(key="day", ask=ask_day, read=read_day),
        Confirm(key="ddok", summary=summary, label=views.CONFIRM, finish=save),
    ),
    exits=browse.EXITS,
)
