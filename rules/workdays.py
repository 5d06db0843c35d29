"""Chinese working days (工作日), including make-up working days (调休), as plain functions.

The official holiday schedule comes from the `chinese_calendar` package, which knows only the
years the State Council has published (one year at a time, each November or December). For a
year it does not cover we fall back to Monday to Friday; `calendar_covers(year)` tells the
caller when that happened so a deadline can be shown as approximate.

All functions take local calendar dates (`date`, never `datetime`): convert an instant to the
branch's time zone first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar

__all__ = [
    "add_working_days",
    "calendar_covers",
    "covered_years",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)
# Longest run of rest days in any published schedule is 9 (Spring Festival 2026); the fallback
# never has more than 2. A bound keeps a corrupted calendar from looping forever.
_MAX_REST_RUN = 31


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


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day: official schedule with 调休, else Monday to Friday."""
    _check_date(day)
    if calendar_covers(day.year):
        # 国务院办公厅 annual 部分节假日安排通知, as packaged by chinese_calendar.
        return bool(chinese_calendar.is_workday(day))
    # Fallback for years not yet published: Monday to Friday (see calendar_covers).
    return day.weekday() < 5


def _step_to_working_day(day: date, step: timedelta) -> date:
    for _ in range(_MAX_REST_RUN + 1):
        if is_working_day(day):
            return day
        day += step
    raise RuntimeError(f"no working day within {_MAX_REST_RUN} days of {day}")  # pragma: no cover


def next_working_day(day: date, *, inclusive: bool = False) -> date:
    """The first working day strictly after `day`, or `day` itself if inclusive and working."""
    _check_date(day)
    return _step_to_working_day(day if inclusive else day + _ONE_DAY, _ONE_DAY)


def previous_working_day(day: date, *, inclusive: bool = False) -> date:
    """The last working day strictly before `day`, or `day` itself if inclusive and working."""
    _check_date(day)
    return _step_to_working_day(day if inclusive else day - _ONE_DAY, -_ONE_DAY)


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (before it if n < 0); n = 0 returns `day` unchanged."""
    _check_date(day)
    result = day
    for _ in range(abs(n)):
        result = next_working_day(result) if n > 0 else previous_working_day(result)
    return result


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b] if a <= b, minus those in [b, a) if b < a.

    So for a working day b, add_working_days(a, working_days_between(a, b)) == b.
    """
    _check_date(a, "a")
    _check_date(b, "b")
    if b < a:
        return -working_days_between(b - _ONE_DAY, a - _ONE_DAY)
    count = 0
    day = a + _ONE_DAY
    while day <= b:
        count += is_working_day(day)
        day += _ONE_DAY
    return count
