"""Chinese working days: official holidays, make-up days (调休) and the Monday–Friday fallback.

The holiday dates below were read from the installed chinese_calendar data (1.11.0), which
follows the State Council's annual 部分节假日安排通知; the whole-year cross-check makes sure
rules/workdays.py agrees with the package day by day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from rules.workdays import (
    add_working_days,
    calendar_covers,
    covered_years,
    is_working_day,
    next_working_day,
    previous_working_day,
    working_days_between,
)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------


def test_package_covers_the_recent_years() -> None:
    years = covered_years()
    assert {2024, 2025, 2026} <= set(years)
    assert years.start == 2004  # the package's first year
    for year in (2004, 2024, 2025, 2026, years.stop - 1):
        assert calendar_covers(year)
    assert not calendar_covers(years.start - 1)
    assert not calendar_covers(years.stop)
    assert not calendar_covers(2099)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_agrees_with_the_package_every_day_of_the_year(year: int) -> None:
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        assert is_working_day(day) is chinese_calendar.is_workday(day), day


# ---------------------------------------------------------------------------------------------
# Real holidays and make-up working days
# ---------------------------------------------------------------------------------------------


def test_national_day_2024() -> None:
    # 2024: 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 are working days.
    assert all(not is_working_day(d) for d in _days(date(2024, 10, 1), date(2024, 10, 7)))
    assert date(2024, 9, 29).weekday() == 6 and is_working_day(date(2024, 9, 29))
    assert date(2024, 10, 12).weekday() == 5 and is_working_day(date(2024, 10, 12))
    assert is_working_day(date(2024, 10, 8))
    assert not is_working_day(date(2024, 10, 13))  # an ordinary Sunday


def test_spring_festival_2025() -> None:
    # 2025: 01-28..02-04 off; Sunday 01-26 and Saturday 02-08 are working days.
    assert all(not is_working_day(d) for d in _days(date(2025, 1, 28), date(2025, 2, 4)))
    assert date(2025, 1, 26).weekday() == 6 and is_working_day(date(2025, 1, 26))
    assert date(2025, 2, 8).weekday() == 5 and is_working_day(date(2025, 2, 8))
    assert is_working_day(date(2025, 1, 27)) and is_working_day(date(2025, 2, 5))


def test_national_day_and_mid_autumn_2025() -> None:
    # 2025: 10-01..10-08 off (中秋 10-06 inside); Sunday 09-28 and Saturday 10-11 work.
    assert all(not is_working_day(d) for d in _days(date(2025, 10, 1), date(2025, 10, 8)))
    assert is_working_day(date(2025, 9, 28)) and is_working_day(date(2025, 10, 11))
    assert next_working_day(date(2025, 9, 30)) == date(2025, 10, 9)


def test_spring_festival_2026_nine_days() -> None:
    # 2026: 02-15..02-23 off; Saturdays 02-14 and 02-28 are working days.
    assert all(not is_working_day(d) for d in _days(date(2026, 2, 15), date(2026, 2, 23)))
    assert date(2026, 2, 14).weekday() == 5 and is_working_day(date(2026, 2, 14))
    assert date(2026, 2, 28).weekday() == 5 and is_working_day(date(2026, 2, 28))
    assert next_working_day(date(2026, 2, 13)) == date(2026, 2, 14)  # Friday → make-up Saturday
    assert next_working_day(date(2026, 2, 14)) == date(2026, 2, 24)
    assert previous_working_day(date(2026, 2, 24)) == date(2026, 2, 14)


def test_new_year_2026_make_up_sunday() -> None:
    # 2026: 01-01..01-03 off; Sunday 01-04 is a working day.
    assert not is_working_day(date(2026, 1, 1))
    assert not is_working_day(date(2026, 1, 2))  # a Friday off
    assert date(2026, 1, 4).weekday() == 6 and is_working_day(date(2026, 1, 4))
    assert next_working_day(date(2025, 12, 31)) == date(2026, 1, 4)


def test_national_day_2026() -> None:
    # 2026: 10-01..10-07 off; Sunday 09-20 and Saturday 10-10 are working days.
    assert all(not is_working_day(d) for d in _days(date(2026, 10, 1), date(2026, 10, 7)))
    assert is_working_day(date(2026, 9, 20)) and is_working_day(date(2026, 10, 10))
    assert next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)
    assert previous_working_day(date(2026, 10, 8)) == date(2026, 9, 30)
    assert previous_working_day(date(2026, 10, 11)) == date(2026, 10, 10)


# ---------------------------------------------------------------------------------------------
# next / previous / add / between
# ---------------------------------------------------------------------------------------------


def test_next_working_day_inclusive_variant() -> None:
    assert next_working_day(date(2026, 9, 30), inclusive=True) == date(2026, 9, 30)
    assert next_working_day(date(2026, 10, 1), inclusive=True) == date(2026, 10, 8)
    assert next_working_day(date(2026, 10, 10), inclusive=True) == date(2026, 10, 10)
    assert next_working_day(date(2026, 11, 21), inclusive=True) == date(2026, 11, 23)  # Sat
    # Strictly after, even from a working day.
    assert next_working_day(date(2026, 11, 23)) == date(2026, 11, 24)
    assert previous_working_day(date(2026, 11, 23), inclusive=True) == date(2026, 11, 23)
    assert previous_working_day(date(2026, 11, 22), inclusive=True) == date(2026, 11, 20)


def test_add_working_days_counts_make_up_days() -> None:
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # Oct 8, 9, Sat 10
    assert add_working_days(date(2026, 10, 10), -3) == date(2026, 9, 30)
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)  # unchanged, even off
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # seed 003: a 5-working-day public notice starting during the Mid-autumn break.
    assert add_working_days(date(2026, 9, 27), 5) == date(2026, 10, 9)
    # An ordinary week: Friday + 1 is Monday.
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert add_working_days(date(2026, 11, 23), -1) == date(2026, 11, 20)


def test_working_days_between_half_open() -> None:
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert working_days_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1)) == 0
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 23)) == 0
    # October 2026: 8, 9, Sat 10, then three full weeks.
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 31)) == 18
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 31)) == len(
        chinese_calendar.get_workdays(date(2026, 10, 1), date(2026, 10, 31))
    )
    # A whole year, against the package.
    assert working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == len(
        chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31))
    )


def test_add_and_between_are_inverse_on_working_days() -> None:
    days = _days(date(2026, 1, 25), date(2026, 3, 10))[::3]
    for a in days:
        for b in days:
            if is_working_day(b):
                assert add_working_days(a, working_days_between(a, b)) == b, (a, b)


# ---------------------------------------------------------------------------------------------
# Fallback for years the package does not cover
# ---------------------------------------------------------------------------------------------


def test_uncovered_year_falls_back_to_monday_to_friday_without_crashing() -> None:
    year = covered_years().stop  # the first year without published data
    assert not calendar_covers(year)
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        assert is_working_day(day) is (day.weekday() < 5), day


def test_fallback_in_a_far_year() -> None:
    assert not calendar_covers(2099)
    # 2099-10-01 is a Thursday: a holiday in reality, a working day in the fallback.
    assert date(2099, 10, 1).weekday() == 3
    assert is_working_day(date(2099, 10, 1))
    assert next_working_day(date(2099, 10, 2)) == date(2099, 10, 5)  # Friday → Monday
    assert previous_working_day(date(2099, 10, 5)) == date(2099, 10, 2)
    assert add_working_days(date(2099, 10, 2), 5) == date(2099, 10, 9)
    assert working_days_between(date(2099, 10, 2), date(2099, 10, 9)) == 5
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 10, 1))  # what we protect against


def test_crossing_from_covered_into_uncovered_year() -> None:
    last = covered_years().stop - 1
    first_uncovered = date(last + 1, 1, 1)
    # Walking forward from the last covered December never raises and lands on a weekday
    # of the fallback once past the covered year.
    day = add_working_days(date(last, 12, 20), 15)
    assert day.year == last + 1 and day.weekday() < 5
    assert working_days_between(date(last, 12, 31), first_uncovered + timedelta(days=13)) == sum(
        d.weekday() < 5 for d in _days(first_uncovered, first_uncovered + timedelta(days=13))
    )


def test_datetimes_are_refused() -> None:
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 10, 1, 12, 0))
    with pytest.raises(TypeError):
        next_working_day(datetime(2026, 10, 1, 12, 0))
    with pytest.raises(TypeError):
        working_days_between(date(2026, 10, 1), datetime(2026, 10, 9))
