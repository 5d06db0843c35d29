"""Compliance: was the required meeting held this period? Checked in its last month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from reminders.rules.dues import DEFAULT_DAY_TIME, Due, _local_date, _utc, local_to_utc
from rules.meetings import Period, period_label, period_of


@dataclass(frozen=True)
class ComplianceSchedule:
    """When the compliance check runs in the last month of a period, and at what local time.

    Quarter and year: `day` of the last month. Month: `month_days_before_end` days before the
    month's last day if set (0 = the last day), else `day` too. Days past a short month's end
    are clamped to it.
    """

    day: int = 20
    month_days_before_end: int | None = None
    at: time = DEFAULT_DAY_TIME

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise ValueError(f"day must be 1..31, got {self.day}")
        if self.month_days_before_end is not None and not 0 <= self.month_days_before_end <= 27:
            raise ValueError(
                f"month_days_before_end must be 0..27, got {self.month_days_before_end}"
            )


# Product choice: the 20th leaves about ten days to hold the meeting before the period ends
# (支部工作条例（试行）2018 art. 9 frequencies, as in rules/meetings.py DEFAULT_REQUIREMENTS).
DEFAULT_COMPLIANCE_SCHEDULE = ComplianceSchedule()


def compliance_check_date(
    day: date, period: Period, schedule: ComplianceSchedule = DEFAULT_COMPLIANCE_SCHEDULE
) -> date:
    """The local date of the compliance check for the period (month/quarter/year) holding day."""
    _first, last = period_of(day, period)
    if period is Period.MONTH and schedule.month_days_before_end is not None:
        return last - timedelta(days=schedule.month_days_before_end)
    return last.replace(day=min(schedule.day, last.day))


def compliance_check(
    day: date,
    period: Period,
    tz: tzinfo,
    schedule: ComplianceSchedule = DEFAULT_COMPLIANCE_SCHEDULE,
) -> Due:
    """The check for the period holding `day`, keyed by its label ("2026-11", "2026-Q4", "2026")."""
    first, _last = period_of(day, period)
    check_on = compliance_check_date(day, period, schedule)
    return Due(period_label(first, period), local_to_utc(check_on, schedule.at, tz))


def next_compliance_check(
    period: Period,
    after: datetime,
    tz: tzinfo,
    schedule: ComplianceSchedule = DEFAULT_COMPLIANCE_SCHEDULE,
) -> Due:
    """The first compliance check for `period` falling due strictly after `after`."""
    after = _utc(after, "after")
    first, last = period_of(_local_date(after, tz), period)
    current = compliance_check(first, period, tz, schedule)
    if current.at > after:
        return current
    return compliance_check(last + timedelta(days=1), period, tz, schedule)
