"""Drifting members: no organizational life for months."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, tzinfo

from reminders.rules.dues import (
    DEFAULT_DAY_TIME,
    Due,
    _check_distinct_positive,
    _utc,
    local_to_utc,
)
from rules.dates import add_months

# 党章 art. 9; 党员教育管理工作条例 2019 art. 31 (DOMAIN.md): 6 months → treated as having left.
LEFT_AFTER_MONTHS = 6
# Product choice: warn the secretary at 3 and 5 months, well before the 6-month point.
DEFAULT_DRIFT_MONTHS: tuple[int, ...] = (3, 5)


def months_absent(last_seen: date, today: date) -> int:
    """Whole months from `last_seen` to `today` (0 if today is earlier)."""
    if today < last_seen:
        return 0
    months = (today.year - last_seen.year) * 12 + today.month - last_seen.month
    if add_months(last_seen, months) > today:
        months -= 1
    return months


def presumed_left_on(last_seen: date) -> date:
    """The day six months without organizational life are complete (the party decides, not us)."""
    return add_months(last_seen, LEFT_AFTER_MONTHS)


def drift_schedule(
    last_seen: date,
    tz: tzinfo,
    *,
    thresholds: Sequence[int] = DEFAULT_DRIFT_MONTHS,
    at: time = DEFAULT_DAY_TIME,
) -> list[Due]:
    """Every drift alert for an absence that began after `last_seen`, in time order.

    `last_seen` is the member's last organizational life, or the joining date if none. The
    occurrence names threshold and anchor, "3m-2026-01-15", so a member who comes back and
    drifts again is warned again.
    """
    months = sorted(_check_distinct_positive(thresholds, "thresholds"))
    return [
        Due(f"{m}m-{last_seen.isoformat()}", local_to_utc(add_months(last_seen, m), at, tz))
        for m in months
    ]


def drift_case(last_seen: date, tz: tzinfo, *, at: time = DEFAULT_DAY_TIME) -> Due:
    """The day six months are complete: the secretary gets a case to handle, always."""
    # 党章 art. 9: at six months the branch must act (talk, excuse, or report), not wait.
    return Due(f"case-{last_seen.isoformat()}",
               local_to_utc(presumed_left_on(last_seen), at, tz))


def drift_alerts(
    last_seen: date,
    now: datetime,
    tz: tzinfo,
    *,
    thresholds: Sequence[int] = DEFAULT_DRIFT_MONTHS,
    at: time = DEFAULT_DAY_TIME,
) -> list[Due]:
    """The drift alerts already due at `now` (thresholds crossed), each to be sent once."""
    now = _utc(now, "now")
    return [
        due
        for due in drift_schedule(last_seen, tz, thresholds=thresholds, at=at)
        if due.at <= now
    ]
