"""When the reminders of a reporting duty fall due, as the planner's Dues.

The duty templates and their recurrence arithmetic are rules/duties.py; this adds the reminder
clock (DEFAULT_DAY_TIME local) and the occurrence keys of single reminders.
"""

from __future__ import annotations

from datetime import date, time, timedelta, tzinfo

from reminders.rules import DEFAULT_DAY_TIME, Due, local_to_utc
from rules.duties import DutyTemplate, occurrences, reminder_dates
from rules.workdays import WorkCalendar

__all__ = ["duty_dues", "reminder_key"]


def reminder_key(key: str, lead_days: int) -> str:
    """The occurrence of one reminder of one duty occurrence: "2026-03/7d"."""
    return f"{key}/{lead_days}d"


def duty_dues(
    template: DutyTemplate,
    start: date,
    end: date,
    tz: tzinfo,
    *,
    at: time = DEFAULT_DAY_TIME,
    move: bool = True,
    working_days_only: bool = False,
    cal: WorkCalendar | None = None,
) -> list[Due]:
    """Every reminder of the template sent on a local date in [start, end], as Dues in order."""
    longest = max(template.lead_days, default=0)
    # Occurrences due up to the longest lead (plus a Spring Festival's worth of moving) later.
    horizon = end + timedelta(days=longest + 31)
    result = []
    for occ in occurrences(template, start - timedelta(days=31), horizon, move=move, cal=cal):
        for reminder in reminder_dates(
            occ.due_on, template.lead_days, move=move, working_days_only=working_days_only,
            cal=cal,
        ):
            if start <= reminder.on <= end:
                key = reminder_key(occ.key, reminder.lead_days)
                result.append(Due(key, local_to_utc(reminder.on, at, tz)))
    return sorted(result, key=lambda due: (due.at, due.occurrence))
