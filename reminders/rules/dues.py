"""A reminder's `Due` and the local clock every rule of when shares: local dates to UTC
instants, months added to a date, and the days whose 08:00 a planner pass covers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

# 08:00 local: quiet hours are over, the digest goes out (see DEFAULT_DIGEST_TIME).
DEFAULT_DAY_TIME = time(8, 0)


@dataclass(frozen=True)
class Due:
    """One reminder occurrence: a stable name and when it falls due (normalised to UTC)."""

    occurrence: str
    at: datetime

    def __post_init__(self) -> None:
        _require_aware(self.at, "at")
        object.__setattr__(self, "at", self.at.astimezone(UTC))


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _utc(value: datetime, name: str) -> datetime:
    # Python adds, subtracts and compares datetimes sharing a tzinfo by wall clock (so 24 h
    # before 19:00 CEST on the spring-forward Sunday would be 19:00 CET): work in UTC.
    _require_aware(value, name)
    return value.astimezone(UTC)


def _local_date(moment: datetime, tz: tzinfo) -> date:
    _require_aware(moment, "moment")
    return moment.astimezone(tz).date()


def local_to_utc(day: date, clock: time, tz: tzinfo) -> datetime:
    """The UTC instant of local `clock` on `day` in `tz`.

    A clock time skipped by a DST jump lands just after the jump (02:30 → 03:30 CEST); a
    repeated one takes its first occurrence (PEP 495, fold=0).
    """
    if clock.tzinfo is not None:
        raise ValueError("clock must be a naive local time")
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _check_distinct_positive(values: Iterable[int], name: str) -> list[int]:
    result = list(values)
    if any(v <= 0 for v in result):
        raise ValueError(f"{name} must be positive, got {result}")
    if len(set(result)) != len(result):
        raise ValueError(f"{name} must not repeat, got {result}")
    return result


def day_checks(
    after: datetime, until: datetime, tz: tzinfo, *, at: time = DEFAULT_DAY_TIME
) -> list[date]:
    """The local dates whose `at` (08:00) falls in the slice (`after`, `until`], in order:
    the days whose date-based reminders a planner pass over that slice is to plan."""
    after, until = _utc(after, "after"), _utc(until, "until")
    if until <= after:
        return []
    day, last = _local_date(after, tz), _local_date(until, tz)
    result = []
    while day <= last:
        if after < local_to_utc(day, at, tz) <= until:
            result.append(day)
        day += timedelta(days=1)
    return result
