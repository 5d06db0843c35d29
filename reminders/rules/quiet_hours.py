"""Quiet hours and the daily digest: when a reminder that fell due may be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from reminders.rules.dues import _local_date, _require_aware, _utc, local_to_utc
from rules.workdays import WorkCalendar, is_working_day


@dataclass(frozen=True)
class QuietHours:
    """Local clock times [start, end) with no non-urgent messages; start == end means none.

    start > end crosses midnight (22:00–08:00); start < end does not (12:00–14:00 午休).
    """

    start: time = time(22, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are naive local clock times")

    def contains(self, clock: time) -> bool:
        """Whether local `clock` is inside the window (start included, end excluded)."""
        if self.start < self.end:
            return self.start <= clock < self.end
        if self.start > self.end:
            return clock >= self.start or clock < self.end
        return False


# Product choice (DOMAIN.md, against formalism): nothing that can wait between 22:00 and 08:00.
DEFAULT_QUIET_HOURS = QuietHours()


def in_quiet_hours(at: datetime, tz: tzinfo, quiet: QuietHours = DEFAULT_QUIET_HOURS) -> bool:
    """Whether the instant `at` falls inside quiet hours in the branch's local time."""
    _require_aware(at, "at")
    return quiet.contains(at.astimezone(tz).time().replace(tzinfo=None))


def defer_for_quiet_hours(
    at: datetime,
    tz: tzinfo,
    *,
    urgent: bool = False,
    quiet: QuietHours = DEFAULT_QUIET_HOURS,
) -> datetime:
    """When to send a reminder due at `at`: the end of quiet hours if inside them, else `at`.

    The end is local (08:00 the same or the next day), so DST changes are honoured. Urgent
    reminders pass unchanged. Always returns UTC.
    """
    _require_aware(at, "at")
    local = at.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if urgent or not quiet.contains(clock):
        return at.astimezone(UTC)
    end_day = local.date()
    if quiet.start > quiet.end and clock >= quiet.start:
        end_day += timedelta(days=1)  # the window crosses midnight and we are before it
    return local_to_utc(end_day, quiet.end, tz)


# Product choice: 08:00, when quiet hours end, so what waited overnight and the day's agenda
# (meetings tonight, deadlines) arrive as one message in the morning, not a second ping at 18:00.
DEFAULT_DIGEST_TIME = time(8, 0)


def next_digest(
    after: datetime,
    tz: tzinfo,
    *,
    at: time = DEFAULT_DIGEST_TIME,
    working_days_only: bool = False,
    cal: WorkCalendar | None = None,
) -> datetime:
    """The next digest strictly after `after`: local `at` daily, optionally on working days."""
    after = _utc(after, "after")
    day = _local_date(after, tz)
    for _ in range(32):  # the longest rest run is 9 days (rules/workdays.py)
        candidate = local_to_utc(day, at, tz)
        if candidate > after and (not working_days_only or is_working_day(day, cal)):
            return candidate
        day += timedelta(days=1)
    raise RuntimeError("no digest day within a month")  # pragma: no cover
