"""Term renewal (换届): months before a committee's term ends, then weekly while overdue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from reminders.rules.dues import (
    DEFAULT_DAY_TIME,
    Due,
    _check_distinct_positive,
    _local_date,
    _utc,
    local_to_utc,
)
from rules.dates import add_months

# 关于党的基层组织任期的意见 (2018) via DOMAIN.md: renew on schedule; product choice of leads.
DEFAULT_RENEWAL_LEAD_MONTHS: tuple[int, ...] = (6, 3, 1)
# Product choice: weekly while overdue, from the day the term ends, until a renewal is recorded.
DEFAULT_OVERDUE_EVERY = timedelta(days=7)


def _renewal_leads(
    term_ends_on: date, lead_months: Sequence[int], tz: tzinfo, at: time
) -> list[Due]:
    months = sorted(_check_distinct_positive(lead_months, "lead_months"), reverse=True)
    return [
        Due(f"{m}m-{term_ends_on.isoformat()}", local_to_utc(add_months(term_ends_on, -m), at, tz))
        for m in months
    ]


def _overdue_step(every: timedelta) -> int:
    if every < timedelta(days=1) or every % timedelta(days=1):
        raise ValueError(f"overdue_every must be a whole number of days, got {every}")
    return every.days


def _overdue(term_ends_on: date, index: int, step_days: int, tz: tzinfo, at: time) -> Due:
    day = term_ends_on + timedelta(days=index * step_days)
    return Due(f"overdue-{day.isoformat()}", local_to_utc(day, at, tz))


def renewal_dues(
    term_ends_on: date,
    now: datetime,
    tz: tzinfo,
    *,
    since: datetime | None = None,
    lead_months: Sequence[int] = DEFAULT_RENEWAL_LEAD_MONTHS,
    overdue_every: timedelta = DEFAULT_OVERDUE_EVERY,
    at: time = DEFAULT_DAY_TIME,
) -> list[Due]:
    """Renewal reminders due by `now` (and after `since` if given), in time order.

    Months before `term_ends_on` ("6m-2029-05-10"), then every week from that day on
    ("overdue-2029-05-17"). Stop calling once a renewal is recorded: the new term has a new
    term_ends_on. After a long outage pass `since` rather than sending every missed week.
    """
    now = _utc(now, "now")
    if since is not None:
        since = _utc(since, "since")
    step = _overdue_step(overdue_every)
    result = _renewal_leads(term_ends_on, lead_months, tz, at)
    index = 0
    while (due := _overdue(term_ends_on, index, step, tz, at)).at <= now:
        result.append(due)
        index += 1
    return [d for d in result if d.at <= now and (since is None or d.at > since)]


def next_renewal_due(
    term_ends_on: date,
    after: datetime,
    tz: tzinfo,
    *,
    lead_months: Sequence[int] = DEFAULT_RENEWAL_LEAD_MONTHS,
    overdue_every: timedelta = DEFAULT_OVERDUE_EVERY,
    at: time = DEFAULT_DAY_TIME,
) -> Due:
    """The first renewal reminder strictly after `after` (there is always one: weekly)."""
    after = _utc(after, "after")
    step = _overdue_step(overdue_every)
    for due in _renewal_leads(term_ends_on, lead_months, tz, at):
        if due.at > after:
            return due
    local_day = _local_date(after, tz)
    # Start from the last overdue day on or before `after`'s local date and walk on.
    index = max(0, (local_day - term_ends_on).days // step)
    while (due := _overdue(term_ends_on, index, step, tz, at)).at <= after:
        index += 1
    return due
