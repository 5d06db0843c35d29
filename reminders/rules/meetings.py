"""Meetings: members before the start, the secretary at the start and after the end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from reminders.rules.dues import Due, _utc

# Product choice (DOMAIN.md "reminders that are reliable"): the day before and an hour before.
DEFAULT_MEETING_LEADS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
# A reminder late by less than this (restart, scheduler lag) still goes; later ones are dropped.
DEFAULT_LATE_GRACE = timedelta(minutes=15)
# Check-in closes 30 min after the start (rules/meetings.py CheckinWindow): warn well before.
DEFAULT_CHECKIN_GRACE = timedelta(minutes=5)
# DOMAIN.md: the ledger record needs minutes; nudge the secretary a day after the end.
DEFAULT_MINUTES_DELAY = timedelta(days=1)


def lead_label(lead: timedelta) -> str:
    """The occurrence name of a lead time: "24h", "1h", "90m", "45s" (largest whole unit)."""
    seconds = lead.total_seconds()
    if lead <= timedelta(0) or lead % timedelta(seconds=1):
        raise ValueError(f"lead must be a positive whole number of seconds, got {lead}")
    whole = int(seconds)
    if whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"


def meeting_reminders(
    starts_at: datetime,
    now: datetime,
    *,
    leads: Sequence[timedelta] = DEFAULT_MEETING_LEADS,
    grace: timedelta = DEFAULT_LATE_GRACE,
) -> list[Due]:
    """Reminders to expected members `lead` before the start, in time order.

    Leads are durations (24 h before, across a DST change too). A reminder already past at
    `now` is dropped unless it is less than `grace` late; a late one keeps its nominal time,
    so send it at once. Nothing once the meeting has started.
    """
    starts_at = _utc(starts_at, "starts_at")
    now = _utc(now, "now")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    labels = [lead_label(lead) for lead in leads]
    if len(set(labels)) != len(labels):
        raise ValueError(f"leads must not repeat, got {labels}")
    if now >= starts_at:
        return []
    result = []
    for lead, label in zip(leads, labels, strict=True):
        at = starts_at - lead
        if at >= now or now - at < grace:
            result.append(Due(label, at))
    return sorted(result, key=lambda due: due.at)


def meeting_reminders_between(
    starts_at: datetime,
    after: datetime,
    until: datetime,
    now: datetime,
    *,
    leads: Sequence[timedelta] = DEFAULT_MEETING_LEADS,
) -> list[Due]:
    """Reminders to expected members falling due in the slice (`after`, `until`], in order.

    Nothing once the meeting has started at `now`. Of the reminders already past at `now`
    (missed during an outage, or a meeting scheduled at short notice) only the latest is kept,
    at its nominal time (send at once): one late reminder says what the others would.
    """
    starts_at = _utc(starts_at, "starts_at")
    after, until, now = _utc(after, "after"), _utc(until, "until"), _utc(now, "now")
    labels = [lead_label(lead) for lead in leads]
    if len(set(labels)) != len(labels):
        raise ValueError(f"leads must not repeat, got {labels}")
    if now >= starts_at:
        return []
    dues = sorted(
        (Due(label, starts_at - lead) for lead, label in zip(leads, labels, strict=True)
         if after < starts_at - lead <= until),
        key=lambda due: due.at,
    )
    late = [due for due in dues if due.at < now]
    return late[-1:] + [due for due in dues if due.at >= now]


def checkin_check(starts_at: datetime, *, grace: timedelta = DEFAULT_CHECKIN_GRACE) -> Due:
    """When to warn the secretary if check-in has still not been opened: start + grace."""
    starts_at = _utc(starts_at, "starts_at")
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    return Due("checkin", starts_at + grace)


def minutes_check(ends_at: datetime, *, delay: timedelta = DEFAULT_MINUTES_DELAY) -> Due:
    """When to remind the secretary if minutes are still not recorded: end + delay (24 h)."""
    ends_at = _utc(ends_at, "ends_at")
    if delay < timedelta(0):
        raise ValueError("delay must not be negative")
    return Due("minutes", ends_at + delay)
