"""A meeting as an .ics file (RFC 5545), for the "Add to calendar" button of /meetings.

Plain values in, bytes out; icalendar is imported when a file is built.
"""

from __future__ import annotations

from datetime import UTC, datetime


def meeting_ics(
    *,
    meeting_id: int,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str | None,
    description: str,
    url: str | None,
    now: datetime,
) -> bytes:
    """One VEVENT with a stable UID, times in UTC: importing it again updates the entry."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//branchbot//meetings//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting_id}@branchbot")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", starts_at.astimezone(UTC))
    event.add("dtend", ends_at.astimezone(UTC))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    cal.add_component(event)
    return bytes(cal.to_ical())


__all__ = ["meeting_ics"]
