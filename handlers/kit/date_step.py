"""The date step every flow shares: a date (and time) typed as people type it, or picked
with quick buttons, echoed back with its weekday before the flow moves on.

Typed text is read by rules/dates.py in the deployment's time zone, "now" from the bot's
clock (tests move it). A reading that could be meant otherwise (明天, 5/12, 下周三) is echoed
with ✅/✏️ buttons; an explicit year-month-day (2026-12-05 14:30) and a pressed button are
echoed and taken at once, since they can only mean one thing. Its buttons (below) are taken
only while a date step is current; every press is checked again.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler

from handlers.kit.buttons import BadCallback, ButtonData
from handlers.kit.chat import STALE_BUTTON, Refused, answer, send, show, tr
from handlers.kit.context import BranchContext
from handlers.kit.i18n import LANGUAGES, N_, Html, Translator, translator
from handlers.kit.steps import DateCheck, cancel_button
from handlers.kit.ui import keyboard
from rules.dates import Prefer, read_day, read_moment, read_time
from rules.validation import WHEN_RE, Invalid, check_when, fold_full_width, parse_date

PENDING = "date_step"  # user_data: {"step": key, "day": iso day pressed, "value": iso reading}
COMMON_TIMES = (time(9, 0), time(10, 0), time(14, 30), time(19, 0))
BUTTON_DAYS_AROUND = timedelta(days=400)  # a pressed day further off was never offered
_BUTTON_DAY = re.compile(r"[0-9]{8}")

PROBLEMS = {
    "moment_format": N_("I could not read a date and time in that. Type it as you would say it, "
                        "for example tomorrow 9:00, next Wed 14:30, 5 Dec 14:30, 5/12 14:30 "
                        "(day/month) or 2026-12-05 14:30, or press a button."),
    "day_format": N_("I could not read a date in that. Type it as you would say it, for example "
                     "yesterday, last Fri, 5 Dec, 5/12 (day/month) or 2026-12-05."),
    "future_day_format": N_("I could not read a date in that. Type it as you would say it, for "
                            "example tomorrow, next Fri, 5 Dec, 5/12 (day/month) or 2026-12-05."),
    "time_missing": N_("Please add the time of day, for example tomorrow 14:30."),
    "date_invalid": N_("That date does not exist. Please check the day and the month."),
    "time_invalid": N_("That time does not exist. Please use hours 0–23 and minutes 0–59, for "
                       "example 14:30."),
    "invalid": N_("That time does not exist here (the clocks change then). Please choose "
                  "another."),
    "past": N_("{when} is in the past. Please choose a future date and time."),
    "too_far": N_("{when} is more than two years ahead. Please check the year."),
}
# Babel (CLDR) date patterns, translated like any text: "M月d日 EEE" in Chinese.
DAY_PATTERN = N_("EEE d MMM")
DAY_YEAR_PATTERN = N_("EEE d MMM y")
SHORT_DAY_PATTERN = N_("d MMM")
UNDERSTOOD = N_("I understood: <b>{when}</b>. Is that right?")
CHOSEN = N_("🗓 {when}")
CHOOSE_TIME = N_("{day}: at what time? Press one or type it, for example 14:30.")


class PickDay(ButtonData, prefix="dq:d"):
    """A quick day (today, tomorrow, the same weekday next week, ...) as YYYYMMDD."""

    day: str


class PickTime(ButtonData, prefix="dq:t"):
    """A common time (one of COMMON_TIMES) as HHMM, for the day pressed before."""

    at: str


class ReadingRight(ButtonData, prefix="dq:ok"):
    """The echoed reading is right: move on."""


class AskAgain(ButtonData, prefix="dq:re"):
    """It is not: ask again."""


def _formatted(language: str, day: date, pattern: str) -> str:
    t = translator(language)
    return format_date(day, t.as_plain(pattern), locale=LANGUAGES.get(language, "zh_CN"))


def day_text(language: str, day: date, today: date) -> str:
    """12月5日 周六 / Sat 5 Dec, with the year when it is not this year's."""
    return _formatted(language, day, DAY_PATTERN if day.year == today.year else DAY_YEAR_PATTERN)


def value_text(language: str, value: date | datetime, tz: Any, today: date) -> str:
    """A day, or a start as 12月5日 周六 14:30 / Sat 5 Dec 14:30 (a naive one: a wall time)."""
    if not isinstance(value, datetime):
        return day_text(language, value, today)
    local = value if value.tzinfo is None else value.astimezone(tz)
    return f"{day_text(language, local.date(), today)} {local:%H:%M}"


def quick_days(today: date, prefer: Prefer) -> list[tuple[str, date]]:
    """The days offered as buttons: today, the next (or last) day, a week on (or back)."""
    if prefer == "future":
        return [(N_("Today"), today), (N_("Tomorrow"), today + timedelta(days=1)),
                (N_("Next {weekday}"), today + timedelta(days=7))]
    return [(N_("Today"), today), (N_("Yesterday"), today - timedelta(days=1)),
            (N_("Last {weekday}"), today - timedelta(days=7))]


def problem_text(t: Translator, reason: str, moment: bool, when: str = "",
                 prefer: Prefer = "future") -> Html:
    """What was wrong with a typed date, in the reader's language."""
    if reason in ("empty", "date_format"):
        reason = ("moment_format" if moment
                  else "future_day_format" if prefer == "future" else "day_format")
    return t(PROBLEMS.get(reason, PROBLEMS["moment_format"]), when=when)


def unambiguous(text: str | None, moment: bool) -> bool:
    """An explicit year-month-day (2026-12-05 14:30): nothing to confirm."""
    if moment:
        return WHEN_RE.fullmatch(fold_full_width(text or "").strip()) is not None
    return isinstance(parse_date(text), date)


def read_typed(text: str | None, *, moment: bool, today: date, language: str, prefer: Prefer,
               day: date | None = None) -> date | datetime | str:
    """The reading of typed text: a day, or a naive wall-clock start; else a problem key.
    `day` is a day already pressed, for a time typed alone."""
    if not moment:
        found = read_day(text, today, language=language, prefer=prefer)
        return found.reason if isinstance(found, Invalid) else found
    at = read_time(text) if day is not None else Invalid("date_format")
    if isinstance(at, time) and day is not None:
        return datetime.combine(day, at)
    reading = read_moment(text, today, language=language, prefer=prefer)
    if isinstance(reading, Invalid):
        return reading.reason
    return datetime.combine(reading.day, reading.at)


@dataclass(frozen=True)
class DateStep:
    """One date question of a flow: `handlers()` go in its state, `markup` under its question."""

    key: str  # names the step in user_data, so a press from another step is not taken
    state: str
    moment: bool  # a day and a time, or a day only
    prefer: Prefer  # which way a day without a year (or a bare weekday) is read
    # The flow goes on with the accepted value (aware UTC datetime, or date).
    done: Callable[[Update, BranchContext, Any], Awaitable[object]]
    check: DateCheck | None = None
    quick: bool = True  # days far back (joining the party) get no quick buttons

    def handlers(self, text_filter: Any) -> list[BaseHandler[Any, Any, Any]]:
        return [MessageHandler(text_filter, self.typed),
                CallbackQueryHandler(self._day, pattern=PickDay.pattern()),
                CallbackQueryHandler(self._time, pattern=PickTime.pattern()),
                CallbackQueryHandler(self._confirmed, pattern=ReadingRight.pattern()),
                CallbackQueryHandler(self._again, pattern=AskAgain.pattern())]

    def _today(self, context: BranchContext) -> date:
        return context.now().astimezone(context.settings.tzinfo).date()

    def markup(self, t: Translator, context: BranchContext,
               extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
               ) -> InlineKeyboardMarkup | None:
        """Day buttons, labelled with the date and weekday, then the flow's own rows."""
        if not self.quick:
            return keyboard(extra_rows) if extra_rows else None
        today = self._today(context)
        weekday = format_date(today, "EEE", locale=LANGUAGES.get(t.language, "zh_CN"))
        row = [  # a label that names the weekday gets the short date (12月12日 / 12 Dec)
            PickDay(day.strftime("%Y%m%d")).button(
                f"{t.as_plain(label, weekday=weekday)} · "
                + (_formatted(t.language, day, SHORT_DAY_PATTERN) if "{weekday}" in label
                   else day_text(t.language, day, today)))
            for label, day in quick_days(today, self.prefer)
        ]
        return keyboard([row[:2], row[2:], *extra_rows])

    def _pending(self, context: BranchContext) -> dict[str, Any]:
        assert context.user_data is not None
        pending = context.user_data.get(PENDING)
        if not isinstance(pending, dict) or pending.get("step") != self.key:
            pending = context.user_data[PENDING] = {"step": self.key}
        return pending

    def _verified(self, t: Translator, context: BranchContext,
                  value: date | datetime) -> date | datetime | Html:
        """A day, or a start (a wall time made aware: it must exist and lie ahead), passed by
        the step's check; else why not."""
        tz, now = context.settings.tzinfo, context.now()
        today = now.astimezone(tz).date()
        if isinstance(value, datetime) and value.tzinfo is None:
            when = check_when(value, tz, now)
            if isinstance(when, str):
                return problem_text(t, when, True, value_text(t.language, value, tz, today))
            value = when
        elif isinstance(value, datetime) and value <= now:  # confirmed a while later
            return problem_text(t, "past", True, value_text(t.language, value, tz, today))
        problem = self.check(t, value, now.astimezone(tz)) if self.check else None
        return value if problem is None else problem

    async def typed(self, update: Update, context: BranchContext) -> object:
        """Typed text: refused with the reason, echoed for a ✅, or taken if unambiguous."""
        assert update.message is not None
        t = tr(update, context)
        today = self._today(context)
        pending = self._pending(context)
        pending.pop("value", None)  # ✅ confirms only the newest reading
        pressed = pending.get("day")
        text = update.message.text
        found = read_typed(text, moment=self.moment, today=today, language=t.language,
                           prefer=self.prefer,
                           day=date.fromisoformat(pressed) if isinstance(pressed, str) else None)
        checked = (problem_text(t, found, self.moment, prefer=self.prefer)
                   if isinstance(found, str) else self._verified(t, context, found))
        if isinstance(checked, Html):
            await send(update, checked)
            return self.state
        if unambiguous(text, self.moment):
            return await self._accept(update, context, checked, echo_new=True)
        pending["value"] = checked.isoformat()
        when = value_text(t.language, checked, context.settings.tzinfo, today)
        await send(update, t(UNDERSTOOD, when=when),
                   reply_markup=keyboard([[ReadingRight().button(t("✅ Yes")),
                                           AskAgain().button(t("✏️ Change"))],
                                          [cancel_button(t)]]))
        return self.state

    async def _take(self, update: Update, context: BranchContext, value: date | datetime) -> object:
        """A pressed or confirmed value: refused with the reason, or accepted."""
        checked = self._verified(tr(update, context), context, value)
        if isinstance(checked, Html):
            await answer(update)
            await send(update, checked)
            return self.state
        return await self._accept(update, context, checked, echo_new=False)

    async def _confirmed(self, update: Update, context: BranchContext) -> object:
        ReadingRight.unpack(update.callback_query.data if update.callback_query else None)
        value = self._pending(context).get("value")
        if not isinstance(value, str):
            raise Refused(STALE_BUTTON)
        return await self._take(update, context, datetime.fromisoformat(value) if self.moment
                                else date.fromisoformat(value))

    async def _again(self, update: Update, context: BranchContext) -> object:
        AskAgain.unpack(update.callback_query.data if update.callback_query else None)
        t = tr(update, context)
        await answer(update)
        assert context.user_data is not None
        context.user_data[PENDING] = {"step": self.key}
        question = (t("Type the date and time again, or press a button.") if self.moment
                    else t("Type the date again, or press a button."))
        await show(update, question, reply_markup=self.markup(t, context, [[cancel_button(t)]]))
        return self.state

    async def _day(self, update: Update, context: BranchContext) -> object:
        data = update.callback_query.data if update.callback_query else None
        raw = PickDay.unpack(data).day
        if not self.quick or not _BUTTON_DAY.fullmatch(raw):
            raise BadCallback(data)
        try:
            day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            raise BadCallback(data) from None
        today = self._today(context)
        if abs(day - today) > BUTTON_DAYS_AROUND:
            raise BadCallback(data)
        if not self.moment:
            return await self._take(update, context, day)
        t = tr(update, context)
        await answer(update)
        pending = self._pending(context)
        pending["day"] = day.isoformat()
        pending.pop("value", None)
        times = [PickTime(f"{at:%H%M}").button(f"{at:%H:%M}") for at in COMMON_TIMES]
        await show(update, t(CHOOSE_TIME, day=day_text(t.language, day, today)),
                   reply_markup=keyboard([times, [AskAgain().button(t("‹ Another day"))],
                                          [cancel_button(t)]]))
        return self.state

    async def _time(self, update: Update, context: BranchContext) -> object:
        data = update.callback_query.data if update.callback_query else None
        offered = {f"{at:%H%M}": at for at in COMMON_TIMES}
        raw = PickTime.unpack(data).at
        if not self.moment or raw not in offered:
            raise BadCallback(data)
        pressed = self._pending(context).get("day")
        if not isinstance(pressed, str):
            raise Refused(STALE_BUTTON)
        return await self._take(update, context,
                                datetime.combine(date.fromisoformat(pressed), offered[raw]))

    async def _accept(self, update: Update, context: BranchContext, value: date | datetime, *,
                      echo_new: bool) -> object:
        """Echo the value with its weekday (in place of the buttons pressed) and move on."""
        assert context.user_data is not None
        t = tr(update, context)
        context.user_data.pop(PENDING, None)
        await answer(update)
        when = value_text(t.language, value, context.settings.tzinfo, self._today(context))
        await show(update, t(CHOSEN, when=when), new=echo_new)
        return await self.done(update, context, value)
