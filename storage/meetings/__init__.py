"""Meetings (三会一课): scheduling, answers and leave, check-in, closing, ledger queries.

One module each: `scheduling` (creating, moving and cancelling meetings; MeetingError),
`lookups` (a meeting, its lines, a member's meetings), `answers` (coming, leave), `checkin`,
`closing` (closing and correcting the record), `ledger_queries` (aggregates over closed
meetings). Import the names from here (`from storage import meetings`).
"""

from __future__ import annotations

from storage.meetings.answers import answer, decide_leave
from storage.meetings.checkin import (
    ARRIVED,
    CheckinResult,
    assess_checkin,
    check_in,
    checkin_candidates,
    checkin_candidates_for,
    live_meetings,
    open_checkin,
    window_of,
)
from storage.meetings.closing import (
    add_file,
    close,
    confirm_makeup,
    correct_attendance,
    edit_closed,
)
from storage.meetings.ledger_queries import (
    MemberAttendance,
    day_bounds,
    held_meetings,
    member_attendance,
)
from storage.meetings.lookups import (
    attendance_of,
    files_of,
    get_attendance,
    get_meeting,
    meetings_between,
    roster,
    upcoming_for,
)
from storage.meetings.scheduling import (
    LIVE_STATES,
    MeetingError,
    MeetingPlan,
    cancel,
    clashes,
    member_facts,
    postpone,
    schedule,
    schedule_series,
)
from storage.models import utcnow

__all__ = [
    "ARRIVED",
    "LIVE_STATES",
    "CheckinResult",
    "MeetingError",
    "MeetingPlan",
    "MemberAttendance",
    "add_file",
    "answer",
    "assess_checkin",
    "attendance_of",
    "cancel",
    "check_in",
    "checkin_candidates",
    "checkin_candidates_for",
    "clashes",
    "close",
    "confirm_makeup",
    "correct_attendance",
    "day_bounds",
    "decide_leave",
    "edit_closed",
    "files_of",
    "get_attendance",
    "get_meeting",
    "held_meetings",
    "live_meetings",
    "meetings_between",
    "member_attendance",
    "member_facts",
    "open_checkin",
    "postpone",
    "roster",
    "schedule",
    "schedule_series",
    "upcoming_for",
    "utcnow",
    "window_of",
]
