"""When reminders fall due (reminders/rules/, reminders/duties.py) and the reporting
calendar (rules/duties.py).

Times are built in the branch's zone and compared as instants; every Due must come back in
UTC. Holiday dates come from the installed chinese_calendar data (see tests/unit/test_workdays.py).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reminders.duties import duty_dues, reminder_key
from reminders.rules import (
    DEFAULT_DAY_TIME,
    DEFAULT_DIGEST_TIME,
    DEFAULT_DRIFT_MONTHS,
    DEFAULT_MEETING_LEADS,
    DEFAULT_QUIET_HOURS,
    DEFAULT_RENEWAL_LEAD_MONTHS,
    LEFT_AFTER_MONTHS,
    ComplianceSchedule,
    Due,
    QuietHours,
    TrainingCheck,
    add_months,
    checkin_check,
    compliance_check,
    compliance_check_date,
    day_checks,
    defer_for_quiet_hours,
    drift_alerts,
    drift_schedule,
    in_quiet_hours,
    lead_label,
    local_to_utc,
    meeting_reminders,
    meeting_reminders_between,
    minutes_check,
    months_absent,
    next_compliance_check,
    next_digest,
    next_renewal_due,
    next_training_check,
    presumed_left_on,
    renewal_dues,
    training_checks,
)
from rules.duties import (
    DEFAULT_DUES_DAY,
    DEFAULT_DUTIES,
    Audience,
    DutyOccurrence,
    DutyTemplate,
    LeadReminder,
    Recurrence,
    deadline,
    due_date,
    dues_duty,
    next_occurrence,
    occurrence_key,
    occurrences,
    reminder_dates,
)
from rules.meetings import Period
from rules.terms import term_ends_on
from rules.vocabulary import PartyOrgKind
from rules.workdays import next_working_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A wall-clock time in Shanghai (UTC+8 all year)."""
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


def be(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, fold: int = 0) -> datetime:
    """A wall-clock time in Berlin (CET/CEST); fold=1 picks the second of a repeated hour."""
    return datetime(y, mo, d, h, mi, s, tzinfo=BERLIN, fold=fold)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def _is_utc(moment: datetime) -> bool:
    return moment.tzinfo is UTC


# ---------------------------------------------------------------------------------------------
# Basics: Due, local_to_utc, add_months
# ---------------------------------------------------------------------------------------------


def test_due_is_normalised_to_utc_and_frozen() -> None:
    due = Due("24h", sh(2026, 11, 24, 19, 0))
    assert due.at == utc(2026, 11, 24, 11, 0) and _is_utc(due.at)
    assert due == Due("24h", utc(2026, 11, 24, 11, 0))
    with pytest.raises(FrozenInstanceError):
        due.occurrence = "1h"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Due("24h", datetime(2026, 11, 24, 19, 0))


def test_local_to_utc_in_both_zones_and_across_dst() -> None:
    assert local_to_utc(date(2026, 11, 23), time(8, 0), SHANGHAI) == utc(2026, 11, 23, 0, 0)
    assert local_to_utc(date(2026, 1, 15), time(8, 0), BERLIN) == utc(2026, 1, 15, 7, 0)
    assert local_to_utc(date(2026, 7, 15), time(8, 0), BERLIN) == utc(2026, 7, 15, 6, 0)
    # 02:30 does not exist in Berlin on 2026-03-29: it lands just after the jump, 03:30 CEST.
    assert local_to_utc(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 30)
    # 02:30 happens twice on 2026-10-25: the first one (CEST) is taken.
    assert local_to_utc(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    with pytest.raises(ValueError):
        local_to_utc(date(2026, 1, 1), time(8, 0, tzinfo=UTC), SHANGHAI)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 3, date(2026, 4, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
        (date(2026, 8, 31), -6, date(2026, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 31), 0, date(2026, 1, 31)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 1, 15), -25, date(2023, 12, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# ---------------------------------------------------------------------------------------------
# Meeting reminders
# ---------------------------------------------------------------------------------------------

START = sh(2026, 11, 25, 19, 0)


def test_meeting_reminders_default_24h_and_1h() -> None:
    assert DEFAULT_MEETING_LEADS == (timedelta(hours=24), timedelta(hours=1))
    dues = meeting_reminders(START, sh(2026, 11, 23, 10, 0))
    assert dues == [
        Due("24h", utc(2026, 11, 24, 11, 0)),  # 19:00 the day before, Shanghai
        Due("1h", utc(2026, 11, 25, 10, 0)),
    ]
    assert all(_is_utc(d.at) for d in dues)


def test_meeting_reminders_skip_past_ones_beyond_grace() -> None:
    # Scheduled 23 h before: the 24 h reminder is an hour late and dropped.
    assert meeting_reminders(START, START - timedelta(hours=23)) == [
        Due("1h", START - timedelta(hours=1))
    ]
    # 10 minutes late is within the default 15-minute grace: it still goes, at its nominal time.
    now = START - timedelta(hours=24) + timedelta(minutes=10)
    assert meeting_reminders(START, now) == [
        Due("24h", START - timedelta(hours=24)),
        Due("1h", START - timedelta(hours=1)),
    ]
    # Exactly 15 minutes late is not "less than" the grace.
    now = START - timedelta(hours=24) + timedelta(minutes=15)
    assert [d.occurrence for d in meeting_reminders(START, now)] == ["1h"]
    # Due exactly now: not past.
    now = START - timedelta(hours=1)
    assert meeting_reminders(START, now, grace=timedelta(0)) == [Due("1h", now)]
    assert meeting_reminders(START, now + timedelta(seconds=1), grace=timedelta(0)) == []
    # Scheduled 30 minutes before the start: both are past, nothing to send.
    assert meeting_reminders(START, START - timedelta(minutes=30)) == []


def test_meeting_reminders_nothing_once_started() -> None:
    assert meeting_reminders(START, START) == []
    assert meeting_reminders(START, START + timedelta(minutes=5), grace=timedelta(hours=2)) == []


def test_meeting_reminders_custom_leads_sorted_by_time() -> None:
    leads = [timedelta(minutes=30), timedelta(days=2), timedelta(minutes=90)]
    dues = meeting_reminders(START, sh(2026, 11, 20, 9, 0), leads=leads)
    assert [d.occurrence for d in dues] == ["48h", "90m", "30m"]
    assert [d.at for d in dues] == [
        utc(2026, 11, 23, 11, 0),
        utc(2026, 11, 25, 9, 30),
        utc(2026, 11, 25, 10, 30),
    ]
    assert meeting_reminders(START, sh(2026, 11, 20, 9, 0), leads=[]) == []


def test_meeting_reminder_24h_is_a_duration_across_dst() -> None:
    # Berlin, the meeting after the spring-forward night: 24 h earlier is 18:00 CET locally.
    start = be(2026, 3, 29, 19, 0)
    dues = meeting_reminders(start, be(2026, 3, 20, 9, 0))
    assert dues[0] == Due("24h", utc(2026, 3, 28, 17, 0))
    assert dues[0].at.astimezone(BERLIN).hour == 18


def test_meeting_times_do_not_depend_on_the_zone_they_are_given_in() -> None:
    start = be(2026, 3, 29, 19, 0)
    now = be(2026, 3, 20, 9, 0)
    in_utc = meeting_reminders(start.astimezone(UTC), now.astimezone(UTC))
    in_shanghai = meeting_reminders(start.astimezone(SHANGHAI), now.astimezone(SHANGHAI))
    assert meeting_reminders(start, now) == in_utc == in_shanghai
    # Minutes a day after a meeting ending 21:00 CET the night before the clocks go forward:
    # 24 h later is 22:00 CEST, not 21:00.
    assert minutes_check(be(2026, 3, 28, 21, 0)) == Due("minutes", be(2026, 3, 29, 22, 0))
    # 02:58 CEST on the fall-back night, 5 minutes later is 02:03 CET (the repeated hour).
    assert checkin_check(be(2026, 10, 25, 2, 58)) == Due("checkin", utc(2026, 10, 25, 1, 3))
    assert checkin_check(be(2026, 10, 25, 2, 58, fold=1)) == Due(
        "checkin", utc(2026, 10, 25, 2, 3)
    )


@pytest.mark.parametrize(
    ("lead", "label"),
    [
        (timedelta(hours=24), "24h"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=2), "48h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(minutes=30), "30m"),
        (timedelta(seconds=45), "45s"),
    ],
)
def test_lead_label(lead: timedelta, label: str) -> None:
    assert lead_label(lead) == label


@pytest.mark.parametrize(
    "leads",
    [
        [timedelta(0)],
        [timedelta(hours=-1)],
        [timedelta(milliseconds=1500)],
        [timedelta(hours=1), timedelta(minutes=60)],  # same label twice
    ],
)
def test_meeting_reminders_refuse_bad_leads(leads: list[timedelta]) -> None:
    with pytest.raises(ValueError):
        meeting_reminders(START, sh(2026, 11, 20, 9, 0), leads=leads)


def test_meeting_reminders_refuse_naive_and_negative_grace() -> None:
    with pytest.raises(ValueError):
        meeting_reminders(datetime(2026, 11, 25, 19, 0), sh(2026, 11, 20, 9, 0))
    with pytest.raises(ValueError):
        meeting_reminders(START, datetime(2026, 11, 20, 9, 0))
    with pytest.raises(ValueError):
        meeting_reminders(START, sh(2026, 11, 20, 9, 0), grace=timedelta(minutes=-1))


def test_secretary_checks_at_start_and_after_end() -> None:
    assert checkin_check(START) == Due("checkin", utc(2026, 11, 25, 11, 5))
    assert checkin_check(START, grace=timedelta(0)) == Due("checkin", START)
    end = START + timedelta(hours=2)
    assert minutes_check(end) == Due("minutes", utc(2026, 11, 26, 13, 0))
    assert minutes_check(end, delay=timedelta(hours=3)) == Due("minutes", utc(2026, 11, 25, 16, 0))
    with pytest.raises(ValueError):
        checkin_check(START, grace=timedelta(minutes=-1))
    with pytest.raises(ValueError):
        minutes_check(end, delay=timedelta(days=-1))
    with pytest.raises(ValueError):
        minutes_check(datetime(2026, 11, 25, 21, 0))


# ---------------------------------------------------------------------------------------------
# Compliance checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "period", "expected"),
    [
        (date(2026, 11, 5), Period.MONTH, date(2026, 11, 20)),
        (date(2026, 11, 5), Period.QUARTER, date(2026, 12, 20)),
        (date(2026, 5, 31), Period.QUARTER, date(2026, 6, 20)),
        (date(2026, 1, 1), Period.QUARTER, date(2026, 3, 20)),
        (date(2026, 2, 3), Period.YEAR, date(2026, 12, 20)),
        (date(2026, 2, 28), Period.MONTH, date(2026, 2, 20)),
    ],
)
def test_compliance_check_date_default_20th(day: date, period: Period, expected: date) -> None:
    assert compliance_check_date(day, period) == expected


def test_compliance_check_days_before_month_end_for_months_only() -> None:
    schedule = ComplianceSchedule(month_days_before_end=10)
    assert compliance_check_date(date(2026, 11, 1), Period.MONTH, schedule) == date(2026, 11, 20)
    assert compliance_check_date(date(2026, 12, 1), Period.MONTH, schedule) == date(2026, 12, 21)
    assert compliance_check_date(date(2026, 2, 1), Period.MONTH, schedule) == date(2026, 2, 18)
    assert compliance_check_date(date(2028, 2, 1), Period.MONTH, schedule) == date(2028, 2, 19)
    # Quarters and years keep the day of the last month.
    assert compliance_check_date(date(2026, 12, 1), Period.QUARTER, schedule) == date(2026, 12, 20)
    last_day = ComplianceSchedule(month_days_before_end=0)
    assert compliance_check_date(date(2026, 4, 9), Period.MONTH, last_day) == date(2026, 4, 30)


def test_compliance_check_day_is_clamped_to_short_months() -> None:
    schedule = ComplianceSchedule(day=31)
    assert compliance_check_date(date(2026, 4, 1), Period.QUARTER, schedule) == date(2026, 6, 30)
    assert compliance_check_date(date(2026, 2, 1), Period.MONTH, schedule) == date(2026, 2, 28)
    assert compliance_check_date(date(2026, 2, 1), Period.YEAR, schedule) == date(2026, 12, 31)


def test_compliance_check_due_keys_and_time() -> None:
    assert compliance_check(date(2026, 11, 23), Period.QUARTER, SHANGHAI) == Due(
        "2026-Q4", utc(2026, 12, 20, 0, 0)
    )
    assert compliance_check(date(2026, 11, 23), Period.MONTH, SHANGHAI) == Due(
        "2026-11", utc(2026, 11, 20, 0, 0)
    )
    assert compliance_check(date(2026, 11, 23), Period.YEAR, BERLIN) == Due(
        "2026", utc(2026, 12, 20, 7, 0)
    )
    evening = ComplianceSchedule(at=time(18, 30))
    assert compliance_check(date(2026, 7, 2), Period.QUARTER, SHANGHAI, evening) == Due(
        "2026-Q3", utc(2026, 9, 20, 10, 30)
    )


def test_next_compliance_check() -> None:
    # The Q4 check is 2026-12-20 08:00 Shanghai.
    assert next_compliance_check(Period.QUARTER, sh(2026, 11, 23, 9, 0), SHANGHAI) == Due(
        "2026-Q4", sh(2026, 12, 20, 8, 0)
    )
    assert next_compliance_check(Period.QUARTER, sh(2026, 12, 20, 7, 59), SHANGHAI).occurrence == (
        "2026-Q4"
    )
    assert next_compliance_check(Period.QUARTER, sh(2026, 12, 20, 8, 0), SHANGHAI) == Due(
        "2027-Q1", sh(2027, 3, 20, 8, 0)
    )
    assert next_compliance_check(Period.MONTH, sh(2026, 11, 23, 9, 0), SHANGHAI) == Due(
        "2026-12", sh(2026, 12, 20, 8, 0)
    )
    assert next_compliance_check(Period.MONTH, sh(2026, 11, 3, 9, 0), SHANGHAI) == Due(
        "2026-11", sh(2026, 11, 20, 8, 0)
    )
    assert next_compliance_check(Period.YEAR, sh(2026, 12, 21, 0, 0), SHANGHAI) == Due(
        "2027", sh(2027, 12, 20, 8, 0)
    )
    # An instant given in UTC is judged by the branch's local date: 2026-12-19 23:30 UTC is
    # already the 20th, 07:30, in Shanghai, so the Q4 check is still ahead.
    assert next_compliance_check(Period.QUARTER, utc(2026, 12, 19, 23, 30), SHANGHAI) == Due(
        "2026-Q4", sh(2026, 12, 20, 8, 0)
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"day": 0}, {"day": 32}, {"month_days_before_end": -1}, {"month_days_before_end": 28}],
)
def test_compliance_schedule_validation(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ComplianceSchedule(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def test_training_checks_2026_on_working_days() -> None:
    checks = training_checks(2026, SHANGHAI)
    assert [(c.occurrence, c.at.astimezone(SHANGHAI).date()) for c in checks] == [
        ("2026-Q1", date(2026, 1, 4)),  # Jan 1-3 off, Sunday 4th is a make-up working day
        ("2026-Q2", date(2026, 4, 1)),
        ("2026-Q3", date(2026, 7, 1)),
        ("2026-10", date(2026, 10, 8)),  # after National Day
        ("2026-11", date(2026, 11, 2)),  # the 1st is a Sunday
        ("2026-12", date(2026, 12, 1)),
    ]
    assert all(c.at.astimezone(SHANGHAI).time() == DEFAULT_DAY_TIME for c in checks)
    assert all(_is_utc(c.at) and isinstance(c, Due) for c in checks)
    assert all(c.on == c.at.astimezone(SHANGHAI).date() for c in checks)
    assert [(c.training_year, c.whole_year, c.final) for c in checks] == [
        (2025, True, True),  # January judges the year just ended
        (2026, False, False),  # pro rata
        (2026, False, False),
        (2026, True, False),  # last quarter: the whole requirement
        (2026, True, False),
        (2026, True, False),
    ]


def test_training_checks_2025_and_without_working_day_rule() -> None:
    dates_2025 = [c.at.astimezone(SHANGHAI).date() for c in training_checks(2025, SHANGHAI)]
    assert dates_2025 == [
        date(2025, 1, 2),
        date(2025, 4, 1),
        date(2025, 7, 1),
        date(2025, 10, 9),  # Oct 1-8 off
        date(2025, 11, 3),  # Saturday 1st
        date(2025, 12, 1),
    ]
    plain = training_checks(2026, SHANGHAI, working_day=False, at=time(9, 30))
    assert [c.at for c in plain] == [
        sh(2026, m, 1, 9, 30) for m in (1, 4, 7, 10, 11, 12)
    ]


def test_next_training_check() -> None:
    nxt = next_training_check(sh(2026, 11, 23, 9, 0), SHANGHAI)
    assert isinstance(nxt, TrainingCheck)
    assert (nxt.occurrence, nxt.at) == ("2026-12", sh(2026, 12, 1, 8, 0))
    assert next_training_check(sh(2026, 11, 2, 7, 59), SHANGHAI).occurrence == "2026-11"
    assert next_training_check(sh(2026, 11, 2, 8, 0), SHANGHAI).occurrence == "2026-12"
    after_december = next_training_check(sh(2026, 12, 1, 8, 0), SHANGHAI)
    assert after_december.occurrence == "2027-Q1" and after_december.training_year == 2026
    expected_day = next_working_day(date(2027, 1, 1), inclusive=True)
    assert after_december.at == local_to_utc(expected_day, DEFAULT_DAY_TIME, SHANGHAI)
    assert next_training_check(sh(2026, 12, 1, 8, 0), SHANGHAI, working_day=False).at == sh(
        2027, 1, 1, 8, 0
    )


# ---------------------------------------------------------------------------------------------
# Drifting members
# ---------------------------------------------------------------------------------------------


def test_drift_thresholds_crossed_once_each() -> None:
    assert DEFAULT_DRIFT_MONTHS == (3, 5) and LEFT_AFTER_MONTHS == 6
    last = date(2026, 1, 15)
    assert drift_schedule(last, SHANGHAI) == [
        Due("3m-2026-01-15", sh(2026, 4, 15, 8, 0)),
        Due("5m-2026-01-15", sh(2026, 6, 15, 8, 0)),
    ]
    assert drift_alerts(last, sh(2026, 4, 15, 7, 59), SHANGHAI) == []
    assert drift_alerts(last, sh(2026, 4, 15, 8, 0), SHANGHAI) == [
        Due("3m-2026-01-15", sh(2026, 4, 15, 8, 0))
    ]
    assert [d.occurrence for d in drift_alerts(last, sh(2026, 6, 20, 12, 0), SHANGHAI)] == [
        "3m-2026-01-15",
        "5m-2026-01-15",
    ]
    assert drift_alerts(last, sh(2026, 1, 10, 12, 0), SHANGHAI) == []


def test_drift_new_absence_gets_new_occurrences() -> None:
    first = drift_alerts(date(2026, 1, 15), sh(2026, 11, 23, 9, 0), SHANGHAI)
    again = drift_alerts(date(2026, 7, 1), sh(2026, 11, 23, 9, 0), SHANGHAI)
    assert [d.occurrence for d in again] == ["3m-2026-07-01"]
    assert not {d.occurrence for d in first} & {d.occurrence for d in again}


def test_drift_custom_thresholds_and_month_ends() -> None:
    last = date(2025, 11, 30)
    dues = drift_schedule(last, BERLIN, thresholds=(6, 1))
    assert dues == [
        Due("1m-2025-11-30", be(2025, 12, 30, 8, 0)),
        Due("6m-2025-11-30", be(2026, 5, 30, 8, 0)),
    ]
    assert [d.at.astimezone(BERLIN).date() for d in drift_schedule(last, BERLIN)] == [
        date(2026, 2, 28),
        date(2026, 4, 30),
    ]
    for bad in [(0,), (3, 3), (-1, 5)]:
        with pytest.raises(ValueError):
            drift_schedule(last, BERLIN, thresholds=bad)


def test_months_absent_and_presumed_left() -> None:
    assert months_absent(date(2026, 1, 15), date(2026, 4, 14)) == 2
    assert months_absent(date(2026, 1, 15), date(2026, 4, 15)) == 3
    assert months_absent(date(2026, 1, 31), date(2026, 2, 28)) == 1
    assert months_absent(date(2026, 1, 31), date(2026, 2, 27)) == 0
    assert months_absent(date(2026, 5, 1), date(2026, 4, 1)) == 0
    assert months_absent(date(2025, 5, 23), date(2026, 11, 23)) == 18
    assert presumed_left_on(date(2026, 1, 15)) == date(2026, 7, 15)
    assert presumed_left_on(date(2025, 8, 31)) == date(2026, 2, 28)
    # The last default warning comes a month before that point.
    last = date(2026, 1, 15)
    assert drift_schedule(last, SHANGHAI)[-1].at < local_to_utc(
        presumed_left_on(last), DEFAULT_DAY_TIME, SHANGHAI
    )


# ---------------------------------------------------------------------------------------------
# Term renewal (换届)
# ---------------------------------------------------------------------------------------------

TERM_END = term_ends_on(date(2023, 5, 10), PartyOrgKind.BRANCH)  # 3 years: 2026-05-10


def test_renewal_dues_before_and_overdue() -> None:
    assert TERM_END == date(2026, 5, 10)
    assert DEFAULT_RENEWAL_LEAD_MONTHS == (6, 3, 1)
    dues = renewal_dues(TERM_END, sh(2026, 5, 24, 9, 0), SHANGHAI)
    assert dues == [
        Due("6m-2026-05-10", sh(2025, 11, 10, 8, 0)),
        Due("3m-2026-05-10", sh(2026, 2, 10, 8, 0)),
        Due("1m-2026-05-10", sh(2026, 4, 10, 8, 0)),
        Due("overdue-2026-05-10", sh(2026, 5, 10, 8, 0)),
        Due("overdue-2026-05-17", sh(2026, 5, 17, 8, 0)),
        Due("overdue-2026-05-24", sh(2026, 5, 24, 8, 0)),
    ]
    assert all(_is_utc(d.at) for d in dues)
    assert renewal_dues(TERM_END, sh(2025, 11, 10, 7, 59), SHANGHAI) == []
    assert [d.occurrence for d in renewal_dues(TERM_END, sh(2026, 3, 1), SHANGHAI)] == [
        "6m-2026-05-10",
        "3m-2026-05-10",
    ]


def test_renewal_dues_since_limits_catch_up() -> None:
    dues = renewal_dues(
        TERM_END, sh(2026, 11, 23, 9, 0), SHANGHAI, since=sh(2026, 11, 10, 0, 0)
    )
    assert [d.occurrence for d in dues] == ["overdue-2026-11-15", "overdue-2026-11-22"]
    everything = renewal_dues(TERM_END, sh(2026, 11, 23, 9, 0), SHANGHAI)
    assert len(everything) == 3 + 29  # 3 leads, weeks from 05-10 to 11-22 inclusive
    assert len({d.occurrence for d in everything}) == len(everything)


def test_next_renewal_due() -> None:
    assert next_renewal_due(TERM_END, sh(2025, 1, 1), SHANGHAI) == Due(
        "6m-2026-05-10", sh(2025, 11, 10, 8, 0)
    )
    assert next_renewal_due(TERM_END, sh(2025, 11, 10, 8, 0), SHANGHAI).occurrence == (
        "3m-2026-05-10"
    )
    assert next_renewal_due(TERM_END, sh(2026, 4, 10, 8, 0), SHANGHAI) == Due(
        "overdue-2026-05-10", sh(2026, 5, 10, 8, 0)
    )
    assert next_renewal_due(TERM_END, utc(2026, 11, 23, 0, 0), SHANGHAI) == Due(
        "overdue-2026-11-29", sh(2026, 11, 29, 8, 0)
    )
    assert next_renewal_due(TERM_END, sh(2026, 11, 22, 7, 59), SHANGHAI).occurrence == (
        "overdue-2026-11-22"
    )
    assert next_renewal_due(TERM_END, sh(2026, 11, 22, 8, 0), SHANGHAI).occurrence == (
        "overdue-2026-11-29"
    )


def test_next_renewal_due_agrees_with_renewal_dues() -> None:
    far = sh(2027, 6, 1)
    timeline = renewal_dues(TERM_END, far, SHANGHAI)
    probe = sh(2025, 10, 1, 8, 0)
    while probe < sh(2027, 5, 1):
        expected = next(d for d in timeline if d.at > probe)
        assert next_renewal_due(TERM_END, probe, SHANGHAI) == expected, probe
        probe += timedelta(days=2, hours=5)


def test_renewal_month_ends_fortnightly_and_validation() -> None:
    end = date(2026, 8, 31)
    dues = renewal_dues(
        end, be(2026, 9, 20, 12, 0), BERLIN, overdue_every=timedelta(days=14)
    )
    assert [(d.occurrence, d.at.astimezone(BERLIN).date()) for d in dues] == [
        ("6m-2026-08-31", date(2026, 2, 28)),
        ("3m-2026-08-31", date(2026, 5, 31)),
        ("1m-2026-08-31", date(2026, 7, 31)),
        ("overdue-2026-08-31", date(2026, 8, 31)),
        ("overdue-2026-09-14", date(2026, 9, 14)),
    ]
    # 08:00 local in winter and in summer.
    assert dues[0].at == utc(2026, 2, 28, 7, 0) and dues[1].at == utc(2026, 5, 31, 6, 0)
    with pytest.raises(ValueError):
        renewal_dues(end, be(2026, 9, 20), BERLIN, overdue_every=timedelta(hours=36))
    with pytest.raises(ValueError):
        next_renewal_due(end, be(2026, 9, 20), BERLIN, lead_months=(3, 3))
    with pytest.raises(ValueError):
        renewal_dues(end, datetime(2026, 9, 20), BERLIN)


# ---------------------------------------------------------------------------------------------
# Quiet hours
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        (sh(2026, 11, 23, 22, 30), sh(2026, 11, 24, 8, 0)),  # evening: next morning
        (sh(2026, 11, 23, 22, 0), sh(2026, 11, 24, 8, 0)),  # start included
        (sh(2026, 11, 24, 3, 0), sh(2026, 11, 24, 8, 0)),  # night: same morning
        (sh(2026, 11, 24, 7, 59), sh(2026, 11, 24, 8, 0)),
        (sh(2026, 11, 24, 8, 0), sh(2026, 11, 24, 8, 0)),  # end excluded: unchanged
        (sh(2026, 11, 23, 21, 59, 59), sh(2026, 11, 23, 21, 59, 59)),
        (sh(2026, 12, 31, 23, 0), sh(2027, 1, 1, 8, 0)),  # across the year
        (utc(2026, 11, 23, 15, 0), sh(2026, 11, 24, 8, 0)),  # 23:00 in Shanghai, given in UTC
    ],
)
def test_quiet_hours_shanghai(due: datetime, sent: datetime) -> None:
    result = defer_for_quiet_hours(due, SHANGHAI)
    assert result == sent and _is_utc(result)


def test_urgent_passes_unchanged() -> None:
    due = sh(2026, 11, 23, 23, 30)
    result = defer_for_quiet_hours(due, SHANGHAI, urgent=True)
    assert result == due and _is_utc(result)


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        # Spring forward (2026-03-29): 22:30 CET, quiet ends at 08:00 CEST = 06:00 UTC.
        (be(2026, 3, 28, 22, 30), utc(2026, 3, 29, 6, 0)),
        (be(2026, 3, 29, 1, 30), utc(2026, 3, 29, 6, 0)),
        # Fall back (2026-10-25): 22:30 CEST, quiet ends at 08:00 CET = 07:00 UTC.
        (be(2026, 10, 24, 22, 30), utc(2026, 10, 25, 7, 0)),
        # Ordinary summer and winter nights.
        (be(2026, 7, 1, 7, 0), utc(2026, 7, 1, 6, 0)),
        (be(2026, 1, 15, 23, 0), utc(2026, 1, 16, 7, 0)),
        (be(2026, 1, 15, 12, 0), utc(2026, 1, 15, 11, 0)),  # daytime: unchanged
    ],
)
def test_quiet_hours_berlin_with_dst(due: datetime, sent: datetime) -> None:
    assert defer_for_quiet_hours(due, BERLIN) == sent


def test_quiet_hours_window_not_crossing_midnight() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0))  # 午休
    assert defer_for_quiet_hours(sh(2026, 11, 23, 12, 30), SHANGHAI, quiet=lunch) == sh(
        2026, 11, 23, 14, 0
    )
    assert defer_for_quiet_hours(sh(2026, 11, 23, 12, 0), SHANGHAI, quiet=lunch) == sh(
        2026, 11, 23, 14, 0
    )
    for unchanged in (sh(2026, 11, 23, 14, 0), sh(2026, 11, 23, 23, 0), sh(2026, 11, 23, 3, 0)):
        assert defer_for_quiet_hours(unchanged, SHANGHAI, quiet=lunch) == unchanged
    assert in_quiet_hours(sh(2026, 11, 23, 13, 0), SHANGHAI, lunch)
    assert not in_quiet_hours(sh(2026, 11, 23, 23, 0), SHANGHAI, lunch)


def test_quiet_hours_empty_window_and_end_in_dst_gap() -> None:
    never = QuietHours(time(8, 0), time(8, 0))
    for hour in (0, 8, 12, 23):
        moment = sh(2026, 11, 23, hour, 0)
        assert not in_quiet_hours(moment, SHANGHAI, never)
        assert defer_for_quiet_hours(moment, SHANGHAI, quiet=never) == moment
    # A window ending at 02:30, which Berlin skips on 2026-03-29: it ends at 03:30 CEST.
    short = QuietHours(time(22, 0), time(2, 30))
    assert defer_for_quiet_hours(be(2026, 3, 28, 23, 0), BERLIN, quiet=short) == utc(
        2026, 3, 29, 1, 30
    )


def test_in_quiet_hours_default() -> None:
    assert DEFAULT_QUIET_HOURS == QuietHours(time(22, 0), time(8, 0))
    assert in_quiet_hours(sh(2026, 11, 23, 22, 0), SHANGHAI)
    assert in_quiet_hours(sh(2026, 11, 23, 0, 0), SHANGHAI)
    assert not in_quiet_hours(sh(2026, 11, 23, 8, 0), SHANGHAI)
    # The same instant is quiet in Shanghai (23:00) and not in Berlin (16:00).
    assert in_quiet_hours(utc(2026, 11, 23, 15, 0), SHANGHAI)
    assert not in_quiet_hours(utc(2026, 11, 23, 15, 0), BERLIN)
    with pytest.raises(ValueError):
        in_quiet_hours(datetime(2026, 11, 23, 23, 0), SHANGHAI)
    with pytest.raises(ValueError):
        QuietHours(time(22, 0, tzinfo=UTC), time(8, 0))


# ---------------------------------------------------------------------------------------------
# Daily digest
# ---------------------------------------------------------------------------------------------


def test_next_digest_default_morning() -> None:
    assert DEFAULT_DIGEST_TIME == time(8, 0) == DEFAULT_QUIET_HOURS.end
    assert next_digest(sh(2026, 11, 23, 7, 0), SHANGHAI) == sh(2026, 11, 23, 8, 0)
    assert next_digest(sh(2026, 11, 23, 8, 0), SHANGHAI) == sh(2026, 11, 24, 8, 0)  # strictly
    assert next_digest(sh(2026, 11, 23, 9, 0), SHANGHAI) == sh(2026, 11, 24, 8, 0)
    result = next_digest(utc(2026, 11, 23, 23, 30), SHANGHAI)  # 07:30 on the 24th locally
    assert result == sh(2026, 11, 24, 8, 0) and _is_utc(result)
    assert next_digest(sh(2026, 11, 23, 9, 0), SHANGHAI, at=time(18, 0)) == sh(
        2026, 11, 23, 18, 0
    )


def test_next_digest_working_days_only() -> None:
    assert next_digest(sh(2026, 9, 30, 9, 0), SHANGHAI, working_days_only=True) == sh(
        2026, 10, 8, 8, 0
    )
    assert next_digest(sh(2026, 10, 9, 9, 0), SHANGHAI, working_days_only=True) == sh(
        2026, 10, 10, 8, 0  # make-up Saturday
    )
    assert next_digest(sh(2026, 11, 20, 9, 0), SHANGHAI, working_days_only=True) == sh(
        2026, 11, 23, 8, 0
    )


def test_next_digest_across_dst_in_berlin() -> None:
    assert next_digest(be(2026, 3, 28, 9, 0), BERLIN) == utc(2026, 3, 29, 6, 0)
    assert next_digest(be(2026, 10, 24, 9, 0), BERLIN) == utc(2026, 10, 25, 7, 0)


# ---------------------------------------------------------------------------------------------
# Reporting duties
# ---------------------------------------------------------------------------------------------


def test_default_duty_calendar() -> None:
    assert set(DEFAULT_DUTIES) == {
        "secretary_report",
        "inspection_supervisor",
        "inspection_registration",
        "org_life_and_appraisal",
        "classification_grading",
        "dues",
    }
    dated = {
        code: (d.recurrence, d.month, d.day) for code, d in DEFAULT_DUTIES.items()
    }
    assert dated == {
        "secretary_report": (Recurrence.YEARLY, 1, 31),
        "inspection_supervisor": (Recurrence.YEARLY, 3, 31),
        "inspection_registration": (Recurrence.YEARLY, 5, 31),
        "org_life_and_appraisal": (Recurrence.YEARLY, 12, 31),
        "classification_grading": (Recurrence.YEARLY, 11, 30),
        "dues": (Recurrence.MONTHLY, None, DEFAULT_DUES_DAY),
    }
    assert DEFAULT_DUES_DAY == 10
    assert DEFAULT_DUTIES["dues"].audience == {Audience.MEMBERS}
    assert Audience.ADMINS in DEFAULT_DUTIES["inspection_supervisor"].audience
    assert all(d.source and d.lead_days for d in DEFAULT_DUTIES.values())
    assert all(d.code == code for code, d in DEFAULT_DUTIES.items())


def test_annual_inspection_occurrences_move_off_rest_days() -> None:
    supervisor = DEFAULT_DUTIES["inspection_supervisor"]
    found = occurrences(supervisor, date(2024, 1, 1), date(2026, 12, 31))
    assert found == [
        DutyOccurrence("2024", date(2024, 3, 31), date(2024, 4, 1)),  # Sunday → Monday
        DutyOccurrence("2025", date(2025, 3, 31), date(2025, 3, 31)),
        DutyOccurrence("2026", date(2026, 3, 31), date(2026, 3, 31)),
    ]
    unmoved = occurrences(supervisor, date(2024, 1, 1), date(2024, 12, 31), move=False)
    assert unmoved == [DutyOccurrence("2024", date(2024, 3, 31), date(2024, 3, 31))]


def test_secretary_report_in_spring_festival() -> None:
    found = occurrences(DEFAULT_DUTIES["secretary_report"], date(2025, 1, 1), date(2026, 12, 31))
    assert found == [
        DutyOccurrence("2025", date(2025, 1, 31), date(2025, 2, 5)),  # 01-28..02-04 off
        DutyOccurrence("2026", date(2026, 1, 31), date(2026, 2, 2)),  # Saturday → Monday
    ]


def test_monthly_dues_and_make_up_sunday() -> None:
    found = occurrences(DEFAULT_DUTIES["dues"], date(2024, 1, 1), date(2024, 12, 31))
    assert [o.key for o in found] == [f"2024-{m:02d}" for m in range(1, 13)]
    assert all(o.due_on.day == 10 for o in found)
    # 2024-02-10 is Spring Festival; the next working day is the make-up Sunday 02-18.
    assert found[1] == DutyOccurrence("2024-02", date(2024, 2, 10), date(2024, 2, 18))
    # The range is inclusive at both ends and may start mid-month.
    assert [o.key for o in occurrences(dues_duty(), date(2026, 3, 10), date(2026, 5, 10))] == [
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    assert occurrences(dues_duty(), date(2026, 3, 11), date(2026, 4, 9)) == []


def test_day_31_is_the_last_day_of_each_month() -> None:
    template = DutyTemplate("month_end", Recurrence.MONTHLY, day=31)
    dues = [o.due_on for o in occurrences(template, date(2028, 1, 1), date(2028, 4, 30))]
    assert dues == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)]
    leap = DutyTemplate("leap", Recurrence.YEARLY, month=2, day=29)
    assert [o.due_on for o in occurrences(leap, date(2026, 1, 1), date(2028, 12, 31))] == [
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_quarterly_duties() -> None:
    quarterly = dues_duty(15, quarterly=True)
    assert (quarterly.recurrence, quarterly.month, quarterly.day) == (Recurrence.QUARTERLY, 1, 15)
    found = occurrences(quarterly, date(2026, 1, 1), date(2026, 12, 31))
    assert [(o.key, o.due_on) for o in found] == [
        ("2026-Q1", date(2026, 1, 15)),
        ("2026-Q2", date(2026, 4, 15)),
        ("2026-Q3", date(2026, 7, 15)),
        ("2026-Q4", date(2026, 10, 15)),
    ]
    end_of_quarter = DutyTemplate("q_end", Recurrence.QUARTERLY, month=3, day=31)
    found = occurrences(end_of_quarter, date(2026, 2, 1), date(2026, 12, 31))
    assert [o.due_on for o in found] == [
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
    ]
    assert due_date(end_of_quarter, date(2026, 8, 15)) == date(2026, 9, 30)


def test_once_duty_demonstration_base_application() -> None:
    # seed 003: applications by 10 July (2021), a Saturday.
    template = DutyTemplate(
        "demo_base_application", Recurrence.ONCE, on=date(2021, 7, 10), source="seed 003"
    )
    assert occurrences(template, date(2021, 1, 1), date(2021, 12, 31)) == [
        DutyOccurrence("2021-07-10", date(2021, 7, 10), date(2021, 7, 12))
    ]
    assert occurrences(template, date(2021, 7, 11), date(2021, 12, 31)) == []
    assert next_occurrence(template, date(2021, 7, 9)) == DutyOccurrence(
        "2021-07-10", date(2021, 7, 10), date(2021, 7, 12)
    )
    assert next_occurrence(template, date(2021, 7, 10)) is None
    assert next_occurrence(template, date(2021, 7, 10), inclusive=True) is not None
    assert next_occurrence(template, date(2020, 1, 1)) is None  # more than a year ahead


def test_next_occurrence() -> None:
    report = DEFAULT_DUTIES["secretary_report"]
    nxt = next_occurrence(report, date(2026, 11, 23))
    assert nxt is not None and (nxt.key, nxt.due_on) == ("2027", date(2027, 1, 31))
    assert nxt.deadline == next_working_day(date(2027, 1, 31), inclusive=True)
    after = next_occurrence(report, date(2027, 1, 31))
    assert after is not None and after.due_on == date(2028, 1, 31)
    same = next_occurrence(report, date(2027, 1, 31), inclusive=True)
    assert same is not None and same.due_on == date(2027, 1, 31)
    dues = next_occurrence(dues_duty(), date(2026, 11, 10))
    assert dues == DutyOccurrence("2026-12", date(2026, 12, 10), date(2026, 12, 10))
    grading = next_occurrence(DEFAULT_DUTIES["classification_grading"], date(2026, 1, 1))
    assert grading == DutyOccurrence("2026", date(2026, 11, 30), date(2026, 11, 30))


def test_occurrence_keys() -> None:
    assert occurrence_key(dues_duty(), date(2026, 3, 10)) == "2026-03"
    assert occurrence_key(dues_duty(quarterly=True), date(2026, 3, 10)) == "2026-Q1"
    assert occurrence_key(dues_duty(quarterly=True), date(2026, 12, 10)) == "2026-Q4"
    assert occurrence_key(DEFAULT_DUTIES["secretary_report"], date(2027, 1, 31)) == "2027"
    once = DutyTemplate("once", Recurrence.ONCE, on=date(2026, 7, 10))
    assert occurrence_key(once, date(2026, 7, 10)) == "2026-07-10"
    assert reminder_key("2026-03", 7) == "2026-03/7d"


def test_deadline_moves_to_next_working_day() -> None:
    assert deadline(date(2026, 10, 1)) == date(2026, 10, 8)
    assert deadline(date(2026, 10, 1), move=False) == date(2026, 10, 1)
    assert deadline(date(2026, 11, 23)) == date(2026, 11, 23)
    assert deadline(date(2026, 2, 14)) == date(2026, 2, 14)  # a make-up Saturday is working
    assert deadline(date(2026, 5, 31)) == date(2026, 6, 1)


def test_reminder_dates_for_the_registration_deadline_2026() -> None:
    # Due 2026-05-31 (Sunday) → deadline Monday 06-01.
    leads = DEFAULT_DUTIES["inspection_registration"].lead_days
    assert leads == (30, 14, 7, 1)
    assert reminder_dates(date(2026, 5, 31), leads) == [
        LeadReminder(30, date(2026, 5, 2)),
        LeadReminder(14, date(2026, 5, 18)),
        LeadReminder(7, date(2026, 5, 25)),
        LeadReminder(1, date(2026, 5, 31)),
    ]
    assert reminder_dates(date(2026, 5, 31), leads, move=False) == [
        LeadReminder(30, date(2026, 5, 1)),
        LeadReminder(14, date(2026, 5, 17)),
        LeadReminder(7, date(2026, 5, 24)),
        LeadReminder(1, date(2026, 5, 30)),
    ]
    # Reminders on rest days come on the working day before: 05-02 (Labour Day) → 04-30,
    # Sunday 05-31 → Friday 05-29.
    assert reminder_dates(date(2026, 5, 31), leads, working_days_only=True) == [
        LeadReminder(30, date(2026, 4, 30)),
        LeadReminder(14, date(2026, 5, 18)),
        LeadReminder(7, date(2026, 5, 25)),
        LeadReminder(1, date(2026, 5, 29)),
    ]


def test_reminder_dates_order_zero_lead_and_validation() -> None:
    assert reminder_dates(date(2026, 11, 10), [0, 3]) == [
        LeadReminder(3, date(2026, 11, 7)),
        LeadReminder(0, date(2026, 11, 10)),
    ]
    # Two leads on the same day once moved: the longer lead first.
    assert reminder_dates(date(2026, 10, 12), [2, 1], working_days_only=True) == [
        LeadReminder(2, date(2026, 10, 10)),
        LeadReminder(1, date(2026, 10, 10)),
    ]
    assert reminder_dates(date(2026, 11, 10), []) == []
    with pytest.raises(ValueError):
        reminder_dates(date(2026, 11, 10), [-1])


def test_duty_dues_as_utc_reminders() -> None:
    registration = DEFAULT_DUTIES["inspection_registration"]
    dues = duty_dues(registration, date(2026, 1, 1), date(2026, 12, 31), SHANGHAI)
    assert dues == [
        Due("2026/30d", sh(2026, 5, 2, 8, 0)),
        Due("2026/14d", sh(2026, 5, 18, 8, 0)),
        Due("2026/7d", sh(2026, 5, 25, 8, 0)),
        Due("2026/1d", sh(2026, 5, 31, 8, 0)),
    ]
    # Only reminders sent inside the range, even if the deadline is after it.
    early_may = duty_dues(registration, date(2026, 5, 1), date(2026, 5, 10), SHANGHAI)
    assert [d.occurrence for d in early_may] == ["2026/30d"]
    monthly = duty_dues(dues_duty(), date(2026, 11, 1), date(2026, 12, 31), BERLIN, at=time(9, 0))
    assert monthly == [
        Due("2026-11/3d", be(2026, 11, 7, 9, 0)),
        Due("2026-11/0d", be(2026, 11, 10, 9, 0)),
        Due("2026-12/3d", be(2026, 12, 7, 9, 0)),
        Due("2026-12/0d", be(2026, 12, 10, 9, 0)),
    ]
    # A deadline moved out of a long holiday keeps its reminders relative to the new day:
    # dues due on 2024-02-10 (Spring Festival) are due on the make-up Sunday 02-18.
    feb = duty_dues(dues_duty(), date(2024, 2, 1), date(2024, 2, 29), SHANGHAI)
    assert feb == [
        Due("2024-02/3d", sh(2024, 2, 15, 8, 0)),
        Due("2024-02/0d", sh(2024, 2, 18, 8, 0)),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"code": "", "recurrence": Recurrence.MONTHLY},
        {"code": "bad code", "recurrence": Recurrence.MONTHLY},
        {"code": "述职", "recurrence": Recurrence.MONTHLY},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "day": 0},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "day": 32},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "month": 3},
        {"code": "x", "recurrence": Recurrence.YEARLY},
        {"code": "x", "recurrence": Recurrence.YEARLY, "month": 13},
        {"code": "x", "recurrence": Recurrence.QUARTERLY, "month": 4},
        {"code": "x", "recurrence": Recurrence.ONCE},
        {"code": "x", "recurrence": Recurrence.YEARLY, "month": 1, "on": date(2026, 1, 1)},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "lead_days": (7, 7)},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "lead_days": (-1,)},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "audience": frozenset()},
        {"code": "x", "recurrence": "fortnightly"},
        {"code": "x", "recurrence": Recurrence.MONTHLY, "audience": frozenset({"everyone"})},
    ],
)
def test_duty_template_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DutyTemplate(**kwargs)  # type: ignore[arg-type]


def test_duty_template_accepts_plain_strings_from_configuration() -> None:
    template = DutyTemplate(
        "x",
        "yearly",  # type: ignore[arg-type]
        month=6,
        day=30,
        lead_days=[10, 2],  # type: ignore[arg-type]
        audience=frozenset({"admins"}),  # type: ignore[arg-type]
    )
    assert template.recurrence is Recurrence.YEARLY
    assert template.audience == frozenset({Audience.ADMINS})
    assert template.lead_days == (10, 2)
    assert hash(template)  # still hashable after normalising


# ---------------------------------------------------------------------------------------------
# Planning by time slice
# ---------------------------------------------------------------------------------------------


def test_slice_holds_the_reminders_falling_due_in_it_only() -> None:
    starts = sh(2030, 1, 9, 19)
    got = meeting_reminders_between(starts, sh(2030, 1, 8, 18, 50), sh(2030, 1, 8, 19, 5),
                                    sh(2030, 1, 8, 18, 50))
    assert got == [Due("24h", sh(2030, 1, 8, 19))]
    # The lower end is open, the upper closed: adjacent slices never both hold one.
    assert meeting_reminders_between(starts, sh(2030, 1, 8, 19), sh(2030, 1, 8, 19, 15),
                                     sh(2030, 1, 8, 19)) == []
    assert meeting_reminders_between(starts, sh(2030, 1, 9, 17), sh(2030, 1, 9, 18),
                                     sh(2030, 1, 9, 17))[0].occurrence == "1h"


def test_after_an_outage_only_the_latest_missed_reminder_and_none_once_started() -> None:
    starts = sh(2030, 1, 9, 19)
    down_since = sh(2030, 1, 8, 10)
    # Back at 18:30 on the day: both missed; one late reminder says it all.
    assert meeting_reminders_between(starts, down_since, sh(2030, 1, 9, 18, 45),
                                     sh(2030, 1, 9, 18, 30)) == [Due("1h", sh(2030, 1, 9, 18))]
    # Back at noon: the day-before one is late, the hour-before one still ahead.
    assert meeting_reminders_between(starts, down_since, sh(2030, 1, 9, 18, 15),
                                     sh(2030, 1, 9, 12)) == [
        Due("24h", sh(2030, 1, 8, 19)), Due("1h", sh(2030, 1, 9, 18))
    ]
    # Back after the start: nothing.
    assert meeting_reminders_between(starts, down_since, sh(2030, 1, 9, 20),
                                     sh(2030, 1, 9, 19)) == []


def test_day_checks_are_the_local_days_whose_morning_falls_in_the_slice() -> None:
    assert day_checks(sh(2030, 1, 8, 7, 50), sh(2030, 1, 8, 8, 5), SHANGHAI) == [date(2030, 1, 8)]
    assert day_checks(sh(2030, 1, 8, 8), sh(2030, 1, 8, 8, 15), SHANGHAI) == []
    assert day_checks(sh(2030, 1, 8, 9), sh(2030, 1, 8, 9, 15), SHANGHAI) == []
    assert day_checks(sh(2030, 1, 7, 10), sh(2030, 1, 9, 9), SHANGHAI) == [
        date(2030, 1, 8), date(2030, 1, 9)
    ]
    assert day_checks(sh(2030, 1, 9), sh(2030, 1, 8), SHANGHAI) == []
    # Local mornings, across a DST change too: 08:00 CEST is 06:00 UTC.
    assert day_checks(be(2030, 3, 31, 7, 55), be(2030, 3, 31, 8, 5), BERLIN, at=time(8)) == [
        date(2030, 3, 31)
    ]
