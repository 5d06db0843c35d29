"""Meetings and their attendance lines a press points at."""

from __future__ import annotations

from handlers.access import found
from handlers.kit.actions import Act, Checker
from handlers.kit.buttons import AttendanceId, MeetingId
from rules.permissions import can_manage_org
from storage import meetings as store
from storage.models import Attendance, Meeting


async def access_led_meeting(act: Checker, meeting_id: MeetingId) -> Meeting:
    """A meeting of an organization the actor runs (admins: any)."""
    meeting = found(act, await store.get_meeting(act.session, meeting_id), leaders=True)
    act.check(can_manage_org(act.actor, meeting.party_organization_id))
    return meeting


async def access_led_meeting_line(act: Act, attendance_id: AttendanceId) -> Attendance:
    """A line on the list of a meeting the actor runs, with its meeting and person loaded."""
    line = found(act, await store.get_attendance(act.session, attendance_id), leaders=True)
    act.check(can_manage_org(act.actor, line.meeting.party_organization_id))
    return line


async def _own_line(act: Checker, meeting: Meeting) -> Attendance | None:
    """The actor's line on the meeting's list, if they are a member on it."""
    membership = act.actor.membership_id
    return (await store.attendance_of(act.session, meeting.id, membership)
            if membership is not None and act.actor.is_member else None)


async def access_own_line(act: Checker, meeting_id: MeetingId) -> tuple[Meeting, Attendance]:
    """A meeting the actor is on the list of (a member or a guest), and their own line."""
    meeting = found(act, await store.get_meeting(act.session, meeting_id))
    line = await _own_line(act, meeting)
    if line is None:
        act.refuse()
    return meeting, line


async def access_seen_meeting(act: Act, meeting_id: MeetingId) -> Meeting:
    """A meeting the actor is on the list of, or whose organization they run."""
    meeting = found(act, await store.get_meeting(act.session, meeting_id))
    if not can_manage_org(act.actor, meeting.party_organization_id):
        act.check(await _own_line(act, meeting) is not None)
    return meeting
