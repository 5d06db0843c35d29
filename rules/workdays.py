"""Chinese working days (工作日), including make-up working days (调休), as plain functions.

Where a year's schedule comes from, in order (`Source`):

1. a schedule an admin loaded from the State Council's notice (`branchbot calendar import`),
   handed in as data through a `WorkCalendar` (storage builds it; nothing here reads a
   database);
2. the `chinese_calendar` package, which knows only the years published when it was released;
3. an approximation: weekends plus the statutory holidays (全国年节及纪念日放假办法, as revised
   in 2024 and in force from 2025) with lunar dates converted by `lunardate`. Make-up working
   days and the days bridged to a weekend are unknowable before the notice, so every date
   computed this way is approximate (`WorkCalendar.approximate`) and callers must say so.

All functions take local calendar dates (`date`, never `datetime`): convert an instant to the
branch's time zone first. `cal` defaults to an empty WorkCalendar (package, then approximation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from types import MappingProxyType

import chinese_calendar
from lunardate import LunarDate

__all__ = [
    "EMPTY_CALENDAR",
    "Source",
    "WorkCalendar",
    "add_working_days",
    "calendar_covers",
    "covered_years",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "statutory_holidays",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)
# Longest run of rest days in any published schedule is 9 (Spring Festival 2026); the fallback
# never has more than 8. A bound keeps a corrupted calendar from looping forever.
_MAX_REST_RUN = 31


class Source(StrEnum):
    """Where the working days of a year come from."""

    LOADED = "loaded"  # a schedule an admin imported
    PACKAGE = "package"  # the chinese_calendar package
    APPROXIMATE = "approximate"  # weekends and statutory holidays, estimated


def _check_date(day: date, name: str = "day") -> None:
    # datetime is a subclass of date: refuse it, the caller must decide which local date it is.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"{name} must be a date (local calendar day), got {type(day).__name__}")


@cache
def calendar_covers(year: int) -> bool:
    """Whether chinese_calendar has the official holiday schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def covered_years() -> range:
    """The years chinese_calendar covers (the same bounds it checks before answering)."""
    years = {day.year for day in chinese_calendar.constants.holidays}
    return range(min(years), max(years) + 1)


def _qingming(year: int) -> date:
    # 寿星通用公式 for the 清明 solar term, 21st century (C = 4.81): right for 2000–2099.
    y = year % 100
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def _lunar(year: int, month: int, day: int) -> date | None:
    try:
        return LunarDate(year, month, day).to_solar_date()
    except ValueError:  # outside the library's table (1900–2099)
        return None


@cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """The statutory rest days of `year` without the notice's bridging and 调休 (approximate).

    全国年节及纪念日放假办法 (2024 revision, from 2025): 元旦 1 day, 春节 4 days (除夕 to 初三),
    清明 1, 劳动节 2 (1–2 May), 端午 1, 中秋 1, 国庆 3 (1–3 October).
    """
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    spring = _lunar(year, 1, 1)
    if spring is not None:
        for offset in range(-1, 3):
            days[spring + timedelta(days=offset)] = "春节"
    days[_qingming(year)] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    for (month, day), name in {(5, 5): "端午节", (8, 15): "中秋节"}.items():
        if (solar := _lunar(year, month, day)) is not None:
            days[solar] = name
    for day in (1, 2, 3):
        days[date(year, 10, day)] = "国庆节"
    # The eve of a Spring Festival early in the year can fall in the year before.
    return MappingProxyType({d: n for d, n in days.items() if d.year == year})


@dataclass(frozen=True)
class WorkCalendar:
    """Loaded schedules: `days` maps a date to True (working, e.g. a make-up Saturday) or False
    (rest) for the years in `years`; other days of those years follow Monday to Friday."""

    days: Mapping[date, bool] = field(default_factory=dict)
    years: frozenset[int] = frozenset()

    @classmethod
    def of(cls, entries: Iterable[tuple[date, bool]], years: Iterable[int]) -> WorkCalendar:
        return cls(MappingProxyType(dict(entries)), frozenset(years))

    def source(self, year: int) -> Source:
        if year in self.years:
            return Source.LOADED
        if calendar_covers(year):
            return Source.PACKAGE
        return Source.APPROXIMATE

    def approximate(self, *days: date) -> bool:
        """Whether any of these days' years is only approximated (not loaded, not packaged)."""
        return any(self.source(day.year) is Source.APPROXIMATE for day in days)

    def is_working_day(self, day: date) -> bool:
        source = self.source(day.year)
        if source is Source.LOADED:
            return self.days.get(day, day.weekday() < 5)
        if source is Source.PACKAGE:
            # 国务院办公厅 annual 部分节假日安排通知, as packaged by chinese_calendar.
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5 and day not in statutory_holidays(day.year)


EMPTY_CALENDAR = WorkCalendar()


def is_working_day(day: date, cal: WorkCalendar | None = None) -> bool:
    """Whether `day` is a working day: loaded schedule, packaged schedule, else approximate."""
    _check_date(day)
    return (cal or EMPTY_CALENDAR).is_working_day(day)


def _step_to_working_day(day: date, step: timedelta, cal: WorkCalendar | None) -> date:
    for _ in range(_MAX_REST_RUN + 1):
        if is_working_day(day, cal):
            return day
        day += step
    raise RuntimeError(f"no working day within {_MAX_REST_RUN} days of {day}")  # pragma: no cover


def next_working_day(
    day: date, *, inclusive: bool = False, cal: WorkCalendar | None = None
) -> date:
    """The first working day strictly after `day`, or `day` itself if inclusive and working."""
    _check_date(day)
    return _step_to_working_day(day if inclusive else day + _ONE_DAY, _ONE_DAY, cal)


def previous_working_day(
    day: date, *, inclusive: bool = False, cal: WorkCalendar | None = None
) -> date:
    """The last working day strictly before `day`, or `day` itself if inclusive and working."""
    _check_date(day)
    return _step_to_working_day(day if inclusive else day - _ONE_DAY, -_ONE_DAY, cal)


def add_working_days(day: date, n: int, cal: WorkCalendar | None = None) -> date:
    """The n-th working day after `day` (before it if n < 0); n = 0 returns `day` unchanged."""
    _check_date(day)
    result = day
    for _ in range(abs(n)):
        result = (next_working_day(result, cal=cal) if n > 0
                  else previous_working_day(result, cal=cal))
    return result


def working_days_between(a: date, b: date, cal: WorkCalendar | None = None) -> int:
    """Working days in (a, b] if a <= b, minus those in [b, a) if b < a.

    So for a working day b, add_working_days(a, working_days_between(a, b)) == b.
    """
    _check_date(a, "a")
    _check_date(b, "b")
    if b < a:
        return -working_days_between(b - _ONE_DAY, a - _ONE_DAY, cal)
    count = 0
    day = a + _ONE_DAY
    while day <= b:
        count += is_working_day(day, cal)
        day += _ONE_DAY
    return count
