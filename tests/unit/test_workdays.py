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
    EMPTY_CALENDAR,
    Source,
    WorkCalendar,
    add_working_days,
    calendar_covers,
    covered_years,
    is_working_day,
    next_working_day,
    previous_working_day,
    statutory_holidays,
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


def test_uncovered_year_falls_back_to_weekends_and_statutory_holidays() -> None:
    year = covered_years().stop  # the first year without published data
    assert not calendar_covers(year)
    holidays = statutory_holidays(year)
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        assert is_working_day(day) is (day.weekday() < 5 and day not in holidays), day
    assert EMPTY_CALENDAR.source(year) is Source.APPROXIMATE
    assert EMPTY_CALENDAR.approximate(date(year, 3, 1))
    assert not EMPTY_CALENDAR.approximate(date(year - 1, 3, 1))


def test_statutory_holidays_2027_by_their_lunar_dates() -> None:
    holidays = statutory_holidays(2027)
    # 春节 2027: 正月初一 is 6 February; the eve (除夕) to 初三 are off (2025 rule: 4 days).
    assert [d for d, name in holidays.items() if name == "春节"] == _days(
        date(2027, 2, 5), date(2027, 2, 8))
    assert holidays[date(2027, 1, 1)] == "元旦"
    assert holidays[date(2027, 4, 5)] == "清明节"  # the solar term
    assert holidays[date(2027, 5, 1)] == holidays[date(2027, 5, 2)] == "劳动节"
    assert holidays[date(2027, 6, 9)] == "端午节"  # lunar 5/5
    assert holidays[date(2027, 9, 15)] == "中秋节"  # lunar 8/15
    assert [d for d, name in holidays.items() if name == "国庆节"] == _days(
        date(2027, 10, 1), date(2027, 10, 3))
    assert len(holidays) == 13
    # New Year's Day 2027 is a Friday: a rest day now, no longer a working day.
    assert not is_working_day(date(2027, 1, 1))
    assert next_working_day(date(2027, 1, 1), inclusive=True) == date(2027, 1, 4)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_qingming_and_lunar_holidays_agree_with_the_package(year: int) -> None:
    # The approximation knows the real holiday dates of published years (not the bridging).
    named = {d: detail for d in _days(date(year, 1, 1), date(year, 12, 31))
             if (detail := chinese_calendar.get_holiday_detail(d))[0]}
    for day, name in statutory_holidays(year).items():
        if name in ("春节", "劳动节") and day not in named:
            continue  # before the 2025 rule the eve and 2 May were not statutory
        assert day in named, (day, name)


def test_fallback_in_a_far_year() -> None:
    assert not calendar_covers(2099)
    # 2099-10-01 is a Thursday: National Day, a rest day in the approximation too.
    assert date(2099, 10, 1).weekday() == 3
    assert not is_working_day(date(2099, 10, 1))
    assert next_working_day(date(2099, 9, 30)) == date(2099, 10, 5)  # past 1–3 Oct and Sunday
    assert previous_working_day(date(2099, 10, 5)) == date(2099, 9, 30)
    assert add_working_days(date(2099, 10, 5), 5) == date(2099, 10, 12)
    assert working_days_between(date(2099, 10, 5), date(2099, 10, 12)) == 5
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2099, 10, 1))  # what we protect against


def test_crossing_from_covered_into_uncovered_year() -> None:
    last = covered_years().stop - 1
    first_uncovered = date(last + 1, 1, 1)
    holidays = statutory_holidays(last + 1)
    # Walking forward from the last covered December never raises and lands on a weekday
    # of the approximation once past the covered year.
    day = add_working_days(date(last, 12, 20), 15)
    assert day.year == last + 1 and day.weekday() < 5 and day not in holidays
    assert working_days_between(date(last, 12, 31), first_uncovered + timedelta(days=13)) == sum(
        d.weekday() < 5 and d not in holidays
        for d in _days(first_uncovered, first_uncovered + timedelta(days=13))
    )


# ---------------------------------------------------------------------------------------------
# A loaded schedule comes first
# ---------------------------------------------------------------------------------------------

# The 2027 schedule as a State Council notice might publish it (the test's own data).
LOADED_2027 = WorkCalendar.of(
    [(d, False) for d in _days(date(2027, 2, 5), date(2027, 2, 12))]  # 春节, 8 days
    + [(date(2027, 2, 20), True)]  # Saturday make-up working day (调休)
    + [(d, False) for d in _days(date(2027, 10, 1), date(2027, 10, 7))]
    + [(date(2027, 10, 9), True)],  # Saturday
    [2027],
)


def test_a_loaded_year_comes_before_package_and_approximation() -> None:
    assert LOADED_2027.source(2027) is Source.LOADED
    assert LOADED_2027.source(2026) is Source.PACKAGE
    assert LOADED_2027.source(2028) is Source.APPROXIMATE
    assert not LOADED_2027.approximate(date(2027, 2, 10))
    # Loaded rest days, make-up Saturdays, and Monday–Friday for days not listed.
    assert not is_working_day(date(2027, 2, 10), LOADED_2027)  # Wednesday, 春节
    assert is_working_day(date(2027, 2, 10))  # the approximation has only the eve to 初三
    assert is_working_day(date(2027, 2, 20), LOADED_2027)  # Saturday, 调休
    assert not is_working_day(date(2027, 2, 20))
    assert is_working_day(date(2027, 1, 1), LOADED_2027)  # not listed: a Friday like any other
    assert not is_working_day(date(2027, 2, 21), LOADED_2027)  # a plain Sunday
    assert next_working_day(date(2027, 2, 6), cal=LOADED_2027) == date(2027, 2, 15)
    assert previous_working_day(date(2027, 2, 22), cal=LOADED_2027) == date(2027, 2, 20)
    assert add_working_days(date(2027, 10, 8), 1, LOADED_2027) == date(2027, 10, 9)
    assert working_days_between(date(2027, 9, 30), date(2027, 10, 11), LOADED_2027) == 3
    # Other years are untouched by the loaded one.
    for day in _days(date(2026, 1, 1), date(2026, 12, 31)):
        assert is_working_day(day, LOADED_2027) is chinese_calendar.is_workday(day), day


def test_a_deadline_on_a_loaded_holiday_moves_and_is_exact() -> None:
    from rules import duties as duty_rules

    template = duty_rules.DutyTemplate(code="x", recurrence=duty_rules.Recurrence.YEARLY,
                                       month=2, day=10)
    exact = duty_rules.next_occurrence(template, date(2027, 1, 1), cal=LOADED_2027)
    assert exact == duty_rules.DutyOccurrence("2027", date(2027, 2, 10), date(2027, 2, 15),
                                              False)
    rough = duty_rules.next_occurrence(template, date(2027, 1, 1))
    assert rough == duty_rules.DutyOccurrence("2027", date(2027, 2, 10), date(2027, 2, 10), True)
    # A make-up Saturday is a working day: a deadline on it stays, a reminder may come on it.
    saturday = duty_rules.DutyTemplate(code="y", recurrence=duty_rules.Recurrence.YEARLY,
                                       month=2, day=20, lead_days=(0,))
    occ = duty_rules.next_occurrence(saturday, date(2027, 1, 1), cal=LOADED_2027)
    assert occ is not None and occ.deadline == date(2027, 2, 20) and not occ.approximate
    assert duty_rules.overdue_week(date(2027, 2, 15), date(2027, 2, 22)) == 1
    assert duty_rules.overdue_week(date(2027, 2, 15), date(2027, 3, 1)) == 2
    assert duty_rules.overdue_week(date(2027, 2, 15), date(2027, 2, 23)) is None
    assert duty_rules.overdue_week(date(2027, 2, 15), date(2027, 2, 15)) is None


def test_datetimes_are_refused() -> None:
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 10, 1, 12, 0))
    with pytest.raises(TypeError):
        next_working_day(datetime(2026, 10, 1, 12, 0))
    with pytest.raises(TypeError):
        working_days_between(date(2026, 10, 1), datetime(2026, 10, 9))
