"""Meetings and attendance lines a check-in press points at."""

from __future__ import annotations

from handlers.kit.actions import Act
from handlers.kit.buttons import AttendanceId, MeetingId
from handlers.kit.chat import STALE_BUTTON
from rules.permissions import can_manage_org
from storage import meetings as store
from storage.models import Attendance, Meeting


async def access_meeting_to_check_in(act: Act, meeting_id: MeetingId) -> Meeting:
    """Any meeting: whether the actor may check in there is the check-in rules' answer."""
    meeting = await store.get_meeting(act.session, meeting_id)
    if meeting is None:
        act.refuse(STALE_BUTTON)
    return meeting


async def access_led_line(act: Act, attendance_id: AttendanceId) -> Attendance:
    """A line of a meeting the actor runs, with its meeting and the member's person."""
    attendance = await store.get_attendance(act.session, attendance_id)
    if attendance is None:
        act.check(act.actor.is_admin or act.actor.leads_a_branch)
        act.refuse(STALE_BUTTON)
    act.check(can_manage_org(act.actor, attendance.meeting.party_organization_id))
    return attendance


async def access_own_line(act: Act, attendance_id: AttendanceId) -> Attendance:
    """The actor's own line (an absent member catching up)."""
    attendance = await store.get_attendance(act.session, attendance_id)
    if attendance is None:
        act.refuse(STALE_BUTTON)
    act.check(attendance.membership.person.telegram_id == act.actor.telegram_id)
    return attendance


async def access_meeting_on_my_list(act: Act, meeting_id: MeetingId) -> Meeting:
    """A meeting the actor is on the list of, or whose organization they run."""
    meeting = await store.get_meeting(act.session, meeting_id)
    if meeting is None:
        act.refuse(STALE_BUTTON)
    actor = act.actor
    on_list = actor.is_member and actor.membership_id is not None and (
        await store.attendance_of(act.session, meeting.id, actor.membership_id)
    ) is not None
    act.check(on_list or can_manage_org(actor, meeting.party_organization_id))
    return meeting
