"""The date step every flow shares: a date (and time) typed as people type it, or picked
with quick buttons, echoed back with its weekday before the flow moves on.

Typed text is read by rules/dates.py in the deployment's time zone, "now" from the bot's
clock (tests move it). A reading that could be meant otherwise (明天, 5/12, 下周三) is echoed
with ✅/✏️ buttons; an explicit year-month-day (2026-12-05 14:30) and a pressed button are
echoed and taken at once, since they can only mean one thing.

Callback data (only while a date step is current; every press is checked again):

====================  ===============================================================
dq:d:<YYYYMMDD>       a quick day (today, tomorrow, the same weekday next week, ...)
dq:t:<HHMM>           a common time for the day pressed before (one of COMMON_TIMES)
dq:ok                 the echoed reading is right: move on
dq:re                 it is not: ask again
====================  ===============================================================
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler

from handlers.kit.buttons import BadCallback
from handlers.kit.chat import STALE_BUTTON, Refused, answer, send, show, tr
from handlers.kit.context import BranchContext
from handlers.kit.i18n import LANGUAGES, N_, Html, Translator, translator
from handlers.kit.ui import button, cb_args, cb_pattern, keyboard
from rules.dates import Prefer, read_day, read_moment, read_time
from rules.validation import WHEN_RE, Invalid, check_when, fold_full_width, parse_date

PREFIX = "dq"
PENDING = "date_step"  # user_data: {"step": key, "day": iso day pressed, "value": iso reading}
COMMON_TIMES = (time(9, 0), time(10, 0), time(14, 30), time(19, 0))
BUTTON_DAYS_AROUND = timedelta(days=400)  # a pressed day further off was never offered
_BUTTON_DAY = re.compile(r"[0-9]{8}")
_BUTTON_TIME = re.compile(r"[0-9]{4}")

PROBLEMS = {
    "moment_format": N_(
        "I could not read a date and time in that. Type it as you would say it, for example "
        "tomorrow 9:00, next Wed 14:30, 5 Dec 14:30, 5/12 14:30 (day/month) or "
        "2026-12-05 14:30, or press a button."
    ),
    "day_format": N_(
        "I could not read a date in that. Type it as you would say it, for example "
        "yesterday, last Fri, 5 Dec, 5/12 (day/month) or 2026-12-05."
    ),
    "future_day_format": N_(
        "I could not read a date in that. Type it as you would say it, for example "
        "tomorrow, next Fri, 5 Dec, 5/12 (day/month) or 2026-12-05."
    ),
    "time_missing": N_("Please add the time of day, for example tomorrow 14:30."),
    "date_invalid": N_("That date does not exist. Please check the day and the month."),
    "time_invalid": N_(
        "That time does not exist. Please use hours 0–23 and minutes 0–59, for example 14:30."
    ),
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

# What a step checks once a reading exists: an error message, or None to accept it.
Check = Callable[[Translator, Any, datetime], Html | None]
S = TypeVar("S")  # a conversation state: an int, or a flow step key
Done = Callable[[Update, BranchContext, Any], Awaitable[S]]


def now_of(context: BranchContext) -> datetime:
    """The bot's clock (aware UTC): the wall clock, or the one a test set."""
    return context.now()


def _locale(language: str) -> str:
    return LANGUAGES.get(language, "zh_CN")


def day_text(language: str, day: date, today: date) -> str:
    """12月5日 周六 / Sat 5 Dec, with the year when it is not this year's."""
    pattern = DAY_PATTERN if day.year == today.year else DAY_YEAR_PATTERN
    t = translator(language)
    return format_date(day, t.as_plain(pattern), locale=_locale(language))


def moment_text(language: str, local: datetime, today: date) -> str:
    """12月5日 周六 14:30 / Sat 5 Dec 14:30 (a wall time in the deployment's zone)."""
    return f"{day_text(language, local.date(), today)} {local:%H:%M}"


def value_text(language: str, value: date | datetime, tz: Any, today: date) -> str:
    if isinstance(value, datetime):
        return moment_text(language, value.astimezone(tz), today)
    return day_text(language, value, today)


def quick_days(today: date, prefer: Prefer) -> list[tuple[str, date]]:
    """The days offered as buttons: today, the next (or last) day, a week on (or back)."""
    if prefer == "future":
        return [(N_("Today"), today), (N_("Tomorrow"), today + timedelta(days=1)),
                (N_("Next {weekday}"), today + timedelta(days=7))]
    return [(N_("Today"), today), (N_("Yesterday"), today - timedelta(days=1)),
            (N_("Last {weekday}"), today - timedelta(days=7))]


def short_day_text(language: str, day: date) -> str:
    """12月12日 / 12 Dec: for a button whose label already names the weekday."""
    t = translator(language)
    return format_date(day, t.as_plain(SHORT_DAY_PATTERN), locale=_locale(language))


def quick_keyboard(
    t: Translator, today: date, prefer: Prefer,
    extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
) -> InlineKeyboardMarkup:
    """Day buttons, labelled with the date and weekday, then the flow's own rows."""
    weekday = format_date(today, "EEE", locale=_locale(t.language))
    row = [
        button(f"{t.as_plain(label, weekday=weekday)} · "
               + (short_day_text(t.language, day) if "{weekday}" in label
                  else day_text(t.language, day, today)),
               PREFIX, "d", day.strftime("%Y%m%d"))
        for label, day in quick_days(today, prefer)
    ]
    return keyboard([row[:2], row[2:], *extra_rows])


def time_keyboard(
    t: Translator, extra_rows: Sequence[Sequence[InlineKeyboardButton]] = ()
) -> InlineKeyboardMarkup:
    """The common times, and a way back to the days."""
    row = [button(f"{at:%H:%M}", PREFIX, "t", f"{at:%H%M}") for at in COMMON_TIMES]
    return keyboard([row, [button(t("‹ Another day"), PREFIX, "re")], *extra_rows])


def confirm_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return keyboard([[button(t("✅ Yes"), PREFIX, "ok"), button(t("✏️ Change"), PREFIX, "re")],
                     [button(t("Cancel"), "x", "cancel")]])


def problem_text(
    t: Translator, reason: str, moment: bool, when: str = "", prefer: Prefer = "future"
) -> Html:
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


def read_typed(
    text: str | None, *, moment: bool, today: date, language: str, prefer: Prefer,
    day: date | None = None,
) -> date | datetime | str:
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


def no_check(t: Translator, _value: Any, _now: datetime) -> Html | None:
    return None


@dataclass(frozen=True)
class DateStep(Generic[S]):
    """One date question of a conversation: `handlers()` go in its state, `ask` puts it."""

    key: str  # names the step in user_data, so a press from another step is not taken
    state: S
    moment: bool  # a day and a time, or a day only
    prefer: Prefer  # which way a day without a year (or a bare weekday) is read
    done: Done[S]  # the flow goes on with the accepted value (aware UTC datetime, or date)
    check: Check = no_check
    quick: bool = True  # days far back (joining the party) get no quick buttons

    def handlers(self, text_filter: Any) -> list[BaseHandler[Any, Any, Any]]:
        return [MessageHandler(text_filter, self.typed),
                CallbackQueryHandler(self.pressed, pattern=cb_pattern(PREFIX))]

    def _today(self, context: BranchContext) -> date:
        return now_of(context).astimezone(context.settings.tzinfo).date()

    def markup(
        self, t: Translator, context: BranchContext,
        extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
    ) -> InlineKeyboardMarkup | None:
        if not self.quick:
            return keyboard(extra_rows) if extra_rows else None
        return quick_keyboard(t, self._today(context), self.prefer, extra_rows)

    async def ask(
        self, update: Update, context: BranchContext, question: Html,
        extra_rows: Sequence[Sequence[InlineKeyboardButton]] = (),
    ) -> S:
        """Put the question with the quick buttons; the step is now current."""
        assert context.user_data is not None
        context.user_data[PENDING] = {"step": self.key}
        await send(update, question, reply_markup=self.markup(tr(update, context), context,
                                                              extra_rows))
        return self.state

    def _pending(self, context: BranchContext) -> dict[str, Any]:
        assert context.user_data is not None
        pending = context.user_data.get(PENDING)
        if not isinstance(pending, dict) or pending.get("step") != self.key:
            pending = context.user_data[PENDING] = {"step": self.key}
        return pending

    async def typed(self, update: Update, context: BranchContext) -> S:
        """Typed text: refused with the reason, echoed for a ✅, or taken if unambiguous."""
        assert update.message is not None
        t = tr(update, context)
        tz, now = context.settings.tzinfo, now_of(context)
        pending = self._pending(context)
        pending.pop("value", None)  # ✅ confirms only the newest reading
        pressed = pending.get("day")
        text = update.message.text
        today = now.astimezone(tz).date()
        found = read_typed(text, moment=self.moment, today=today, language=t.language,
                           prefer=self.prefer,
                           day=date.fromisoformat(pressed) if isinstance(pressed, str) else None)
        if isinstance(found, datetime):  # a wall time: it must exist and lie ahead
            wall = found
            found = check_when(wall, tz, now)
            if isinstance(found, str):
                await send(update, problem_text(t, found, True,
                                                moment_text(t.language, wall, today)))
                return self.state
        problem = (problem_text(t, found, self.moment, prefer=self.prefer)
                   if isinstance(found, str)
                   else self.check(t, found, now.astimezone(tz)))
        if problem is not None:
            await send(update, problem)
            return self.state
        assert not isinstance(found, str)
        if unambiguous(text, self.moment):
            return await self._accept(update, context, found, echo_new=True)
        pending["value"] = found.isoformat()
        when = value_text(t.language, found, tz, today)
        await send(update, t(UNDERSTOOD, when=when), reply_markup=confirm_keyboard(t))
        return self.state

    async def pressed(self, update: Update, context: BranchContext) -> S:
        """dq:d / dq:t / dq:ok / dq:re of this step; anything else was forged."""
        query = update.callback_query
        assert query is not None
        action = (query.data or "").split(":")[1:2]
        if action == ["ok"]:
            return await self._confirmed(update, context)
        if action == ["re"]:
            cb_args(query.data, PREFIX, str)
            return await self._again(update, context)
        if action == ["d"]:
            return await self._day(update, context)
        if action == ["t"]:
            return await self._time(update, context)
        raise BadCallback(query.data)

    async def _confirmed(self, update: Update, context: BranchContext) -> S:
        cb_args(update.callback_query.data if update.callback_query else None, PREFIX, str)
        value = self._pending(context).get("value")
        if not isinstance(value, str):
            raise Refused(STALE_BUTTON)
        found: date | datetime = (
            datetime.fromisoformat(value) if self.moment else date.fromisoformat(value)
        )
        t = tr(update, context)
        tz, now = context.settings.tzinfo, now_of(context)
        # Confirmed a while later: a start may have passed meanwhile.
        today = now.astimezone(tz).date()
        problem = (problem_text(t, "past", True, value_text(t.language, found, tz, today))
                   if isinstance(found, datetime) and found <= now
                   else self.check(t, found, now.astimezone(tz)))
        if problem is not None:
            await answer(update)
            await send(update, problem)
            return self.state
        return await self._accept(update, context, found, echo_new=False)

    async def _again(self, update: Update, context: BranchContext) -> S:
        t = tr(update, context)
        await answer(update)
        assert context.user_data is not None
        context.user_data[PENDING] = {"step": self.key}
        question = (t("Type the date and time again, or press a button.") if self.moment
                    else t("Type the date again, or press a button."))
        await show(update, question,
                   reply_markup=self.markup(t, context, [[button(t("Cancel"), "x", "cancel")]]))
        return self.state

    async def _day(self, update: Update, context: BranchContext) -> S:
        assert update.callback_query is not None
        (raw,) = cb_args(update.callback_query.data, PREFIX, str, str)[1:]
        if not self.quick or not _BUTTON_DAY.fullmatch(raw):
            raise BadCallback(update.callback_query.data)
        try:
            day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        except ValueError:
            raise BadCallback(update.callback_query.data) from None
        today = self._today(context)
        if abs(day - today) > BUTTON_DAYS_AROUND:
            raise BadCallback(update.callback_query.data)
        t = tr(update, context)
        if not self.moment:
            problem = self.check(t, day, now_of(context).astimezone(context.settings.tzinfo))
            if problem is not None:
                await answer(update)
                await send(update, problem)
                return self.state
            return await self._accept(update, context, day, echo_new=False)
        await answer(update)
        pending = self._pending(context)
        pending["day"] = day.isoformat()
        pending.pop("value", None)
        await show(update, t(CHOOSE_TIME, day=day_text(t.language, day, today)),
                   reply_markup=time_keyboard(t, [[button(t("Cancel"), "x", "cancel")]]))
        return self.state

    async def _time(self, update: Update, context: BranchContext) -> S:
        assert update.callback_query is not None
        (raw,) = cb_args(update.callback_query.data, PREFIX, str, str)[1:]
        offered = {f"{at:%H%M}": at for at in COMMON_TIMES}
        if not self.moment or raw not in offered:
            raise BadCallback(update.callback_query.data)
        pressed = self._pending(context).get("day")
        if not isinstance(pressed, str):
            raise Refused(STALE_BUTTON)
        t = tr(update, context)
        tz, now = context.settings.tzinfo, now_of(context)
        found = check_when(datetime.combine(date.fromisoformat(pressed), offered[raw]), tz, now)
        if isinstance(found, str):
            await answer(update)
            wall = datetime.combine(date.fromisoformat(pressed), offered[raw])
            await send(update, problem_text(
                t, found, True, moment_text(t.language, wall, now.astimezone(tz).date())))
            return self.state
        problem = self.check(t, found, now.astimezone(tz))
        if problem is not None:
            await answer(update)
            await send(update, problem)
            return self.state
        return await self._accept(update, context, found, echo_new=False)

    async def _accept(
        self, update: Update, context: BranchContext, value: date | datetime, *, echo_new: bool
    ) -> S:
        """Echo the value with its weekday (in place of the buttons pressed) and move on."""
        assert context.user_data is not None
        t = tr(update, context)
        tz = context.settings.tzinfo
        today = now_of(context).astimezone(tz).date()
        context.user_data.pop(PENDING, None)
        await answer(update)
        await show(update, t(CHOSEN, when=value_text(t.language, value, tz, today)),
                   new=echo_new)
        return await self.done(update, context, value)
