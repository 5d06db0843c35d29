"""Meetings and attendance lines a check-in press points at."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act
from handlers.kit.buttons import AttendanceId, MeetingId
from storage import meetings as store
from storage.models import Attendance, Meeting


async def access_meeting_to_check_in(act: Act, meeting_id: MeetingId) -> Meeting:
    """Any meeting: whether the actor may check in there is the check-in rules' answer."""
    return found(act, await store.get_meeting(act.session, meeting_id))


async def access_own_line(act: Act, attendance_id: AttendanceId) -> Attendance:
    """The actor's own line (an absent member catching up)."""
    attendance = found(act, await store.get_attendance(act.session, attendance_id))
    act.check(attendance.membership.person.telegram_id == act.actor.telegram_id)
    return attendance
