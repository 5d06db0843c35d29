"""Dates and times as people type them: 12月5日 14:30, 2026年12月5日下午2点半, 明天 9:00,
下周三 14:30, 5/12 14:30, tomorrow 9am. Plain functions, no I/O; `today` is always given.

dateparser was tried first: it misses 12月5日, 下午2点半 and 下周三, so this is our own.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Literal

from rules.validation import Invalid

Prefer = Literal["future", "past"]
MAX_INPUT = 60  # longer text is not a date anyone types

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[〇零一二两三四五六七八九十]+")
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAYS_EN = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_MONTHS_EN = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_RELATIVE = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "yesterday": -1, "今天": 0,
             "今日": 0, "today": 0, "明天": 1, "明日": 1, "tomorrow": 1, "后天": 2, "大后天": 3}
_MORNING = ("凌晨", "早上", "早晨", "上午", "早", "am")
_NOON = ("中午",)
_AFTERNOON = ("下午", "傍晚", "晚上", "晚", "pm")

_ISO = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_MONTH_DAY_ZH = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_SLASH = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?")
_DASH = re.compile(r"(\d{1,2})-(\d{1,2})")
_DAY_ONLY = re.compile(r"(\d{1,2})\s*[日号]")
_WEEKDAY_ZH = re.compile(r"(上上|上|本|这|下下|下)?\s*(?:周|星期|礼拜)([一二三四五六日天七])")
_WEEKDAY_EN = re.compile(r"(last|this|next)?\s*(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
_EN_DATE = re.compile(
    r"(?:(\d{1,2})\s+([a-z]{3})[a-z]*|([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?)"
    r"(?:,?\s+(\d{4}))?")
_TIME = re.compile(
    r"(凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|早|晚)?\s*(\d{1,2})\s*"
    r"(?:[:：]\s*(\d{2})|[点时](?:\s*(半|一刻|三刻|(\d{1,2})\s*分?))?|h(\d{2})?)"
    r"(?:\s*(am|pm|a\.m\.|p\.m\.))?"
    r"|(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)")


@dataclass(frozen=True)
class Moment:
    """A day and a wall-clock time in the branch's time zone (the caller attaches the zone)."""

    day: date
    at: time


def _cn_number(match: re.Match[str]) -> str:
    """一 → 1, 十二 → 12, 二十五 → 25, 三十一 → 31 (numbers people write in dates and times)."""
    text = match.group(0)
    if "十" not in text:
        return "".join(str(_CN_DIGITS[ch]) for ch in text)
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return text
    return str((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0))


def _normalize(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip().lower()  # full-width digits and colons
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cf")
    # Chinese numerals, except in weekday names (周一) and relative words (一刻 stays readable).
    value = re.sub(r"(?<![周期拜])" + _CN_NUMBER.pattern + r"(?=\s*[月日号点时分])",
                   _cn_number, value)
    return " ".join(value.split())


def _ascii_only_digits(text: str) -> bool:
    return all(not ch.isdigit() or ch.isascii() for ch in text)


def _pick_year(month: int, day: int, today: date, prefer: Prefer) -> date | Invalid:
    """A day without a year: this year's, else the neighbouring year the caller prefers."""
    for year in (today.year, today.year + 1 if prefer == "future" else today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if _on_side(candidate, today, prefer):
            return candidate
    try:
        return date(today.year, month, day)
    except ValueError:
        return Invalid("date_invalid")


def _on_side(candidate: date, today: date, prefer: Prefer) -> bool:
    return candidate >= today if prefer == "future" else candidate <= today


def _make(year: int, month: int, day: int) -> date | Invalid:
    try:
        return date(year, month, day)
    except ValueError:
        return Invalid("date_invalid")


def _weekday(shift: str | None, weekday: int, today: date, prefer: Prefer) -> date:
    monday = today - timedelta(days=today.weekday())
    weeks = {"上上": -2, "上": -1, "last": -1, "本": 0, "这": 0, "this": 0, "下": 1, "next": 1,
             "下下": 2}
    if shift is not None:
        return monday + timedelta(weeks=weeks[shift], days=weekday)
    candidate = monday + timedelta(days=weekday)  # 周五 alone: this week's, or the nearest
    if prefer == "future" and candidate < today:
        candidate += timedelta(weeks=1)
    if prefer == "past" and candidate > today:
        candidate -= timedelta(weeks=1)
    return candidate


def _find_day(
    value: str, today: date, language: str, prefer: Prefer
) -> tuple[date | Invalid | None, str]:
    """The day named in `value` (None if none) and what is left of the text."""
    for word in sorted(_RELATIVE, key=len, reverse=True):
        if word in value:
            return today + timedelta(days=_RELATIVE[word]), value.replace(word, " ", 1)
    if value.startswith("day after tomorrow"):
        return today + timedelta(days=2), value[len("day after tomorrow"):]
    if match := _ISO.search(value):
        year, month, day = (int(g) for g in match.groups())
        return _make(year, month, day), _cut(value, match)
    if match := _MONTH_DAY_ZH.search(value):
        month, day = int(match.group(1)), int(match.group(2))
        return _pick_year(month, day, today, prefer), _cut(value, match)
    if match := _SLASH.search(value):
        first, second = int(match.group(1)), int(match.group(2))
        # 5/12 is 12 May in Chinese usage and 5 December in English (day first) usage.
        month, day = (first, second) if language == "zh" else (second, first)
        if match.group(3):
            return _make(int(match.group(3)), month, day), _cut(value, match)
        return _pick_year(month, day, today, prefer), _cut(value, match)
    if match := _EN_DATE.search(value):
        day_text, month_text = match.group(1) or match.group(4), match.group(2) or match.group(3)
        if month_text in _MONTHS_EN:
            month, day = _MONTHS_EN[month_text], int(day_text)
            if match.group(5):
                return _make(int(match.group(5)), month, day), _cut(value, match)
            return _pick_year(month, day, today, prefer), _cut(value, match)
    if match := _WEEKDAY_ZH.search(value):
        return (_weekday(match.group(1), _WEEKDAYS_ZH[match.group(2)], today, prefer),
                _cut(value, match))
    if match := _WEEKDAY_EN.search(value):
        return (_weekday(match.group(1), _WEEKDAYS_EN[match.group(2)], today, prefer),
                _cut(value, match))
    if match := _DASH.fullmatch(value.split(" ")[0]):
        month, day = int(match.group(1)), int(match.group(2))
        return _pick_year(month, day, today, prefer), value[match.end():]
    if match := _DAY_ONLY.search(value):
        day = int(match.group(1))
        month_start = today.replace(day=1)
        for months in ((0, 1) if prefer == "future" else (0, -1)):
            month_first = add_months(month_start, months)
            candidate = _make(month_first.year, month_first.month, day)
            if isinstance(candidate, date) and _on_side(candidate, today, prefer):
                return candidate, _cut(value, match)
        return Invalid("date_invalid"), _cut(value, match)
    return None, value


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative), clamped to the end of short months."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _cut(value: str, match: re.Match[str]) -> str:
    return value[: match.start()] + " " + value[match.end():]


def _find_time(value: str) -> time | Invalid | None:
    match = _TIME.search(value)
    if match is None:
        return None
    if match.group(8):  # "2pm"
        hour, minute, period = int(match.group(8)), 0, match.group(9)
    else:
        hour = int(match.group(2))
        half = match.group(4)
        minute_text = match.group(3) or match.group(5) or match.group(6)
        minute = {"半": 30, "一刻": 15, "三刻": 45}.get(half or "", 0)
        if minute_text:
            minute = int(minute_text)
        period = match.group(7) or match.group(1)
    period = (period or "").replace(".", "")
    if period in _AFTERNOON and hour < 12:
        hour += 12
    elif period in _NOON and hour < 6:  # 中午1点 is 13:00, 中午12点 is noon
        hour += 12
    elif period in _MORNING and hour == 12:
        hour = 0
    if period and period in ("am", "pm") and not 1 <= int(match.group(2) or match.group(8)) <= 12:
        return Invalid("time_invalid")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return Invalid("time_invalid")
    return time(hour, minute)


def read_time(text: str | None) -> time | Invalid:
    """A time of day alone (14:30, 下午2点半, 9am): for a day chosen with a button."""
    value = _normalize(text or "")
    if not value:
        return Invalid("empty")
    if len(value) > MAX_INPUT or not _ascii_only_digits(value):
        return Invalid("date_format")
    match = _TIME.search(value)
    if match is None or (value[: match.start()] + value[match.end():]).strip():
        return Invalid("date_format")
    return _find_time(value) or Invalid("date_format")


def read_day(
    text: str | None, today: date, *, language: str = "zh", prefer: Prefer = "future"
) -> date | Invalid:
    """A day typed any common way; a year left out is the nearest one in the preferred
    direction (`future` for meetings, `past` for trainings already held)."""
    value = _normalize(text or "")
    if not value:
        return Invalid("empty")
    if len(value) > MAX_INPUT or not _ascii_only_digits(value):
        return Invalid("date_format")
    day, rest = _find_day(value, today, language, prefer)
    if day is None:
        return Invalid("date_format")
    if isinstance(day, Invalid):
        return day
    if rest.strip(" ,，的"):
        return Invalid("date_format")
    return day


def read_moment(
    text: str | None, today: date, *, language: str = "zh", prefer: Prefer = "future"
) -> Moment | Invalid:
    """A day and a time of day, typed any common way (the time is required)."""
    value = _normalize(text or "")
    if not value:
        return Invalid("empty")
    if len(value) > MAX_INPUT or not _ascii_only_digits(value):
        return Invalid("date_format")
    # The time first: "14:30" must not be read as a day, and 下午 belongs to the time.
    match = _TIME.search(value)
    if match is None:
        day_only = _find_day(value, today, language, prefer)[0]
        return Invalid("time_missing") if isinstance(day_only, date) else Invalid("date_format")
    at = _find_time(value)
    if isinstance(at, Invalid) or at is None:
        return at or Invalid("date_format")
    rest = value[: match.start()] + " " + value[match.end():]
    day, left = _find_day(" ".join(rest.split()), today, language, prefer)
    if isinstance(day, Invalid):
        return day
    if left.strip(" ,，的"):
        return Invalid("date_format")
    if day is None:
        day = today  # a time alone means today
    return Moment(day, at)


__all__ = ["MAX_INPUT", "Moment", "Prefer", "read_day", "read_moment", "read_time"]
