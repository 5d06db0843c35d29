"""Members' answers: coming, or asking for leave (请假), and the leaders' decision on leave."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import AttendanceStatus
from storage import audit
from storage.meetings.checkin import ARRIVED
from storage.meetings.lookups import attendance_of
from storage.meetings.scheduling import LIVE_STATES, MeetingError
from storage.models import Attendance, Meeting


async def answer(
    session: AsyncSession, meeting: Meeting, membership_id: int, *, attending: bool,
    reason: str | None = None,
) -> Attendance:
    """A member says they will come, or asks for leave with a reason."""
    if meeting.state not in LIVE_STATES:
        raise MeetingError("not_live")
    attendance = await attendance_of(session, meeting.id, membership_id)
    if attendance is None:
        raise MeetingError("not_expected")
    if attendance.status in (AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT) and (
        not attending
    ):
        raise MeetingError("not_expected")  # guests are not counted, so need no leave
    if attendance.status in ARRIVED:
        raise MeetingError("already_present")
    if attending:
        if attendance.status is not AttendanceStatus.GUEST:
            attendance.status = AttendanceStatus.ATTENDING
            attendance.leave_reason = None
    else:
        attendance.status = AttendanceStatus.LEAVE_REQUESTED
        attendance.leave_reason = reason
        attendance.leave_decided_by = None
    return attendance


async def decide_leave(
    session: AsyncSession, attendance: Attendance, *, approve: bool, by: int
) -> bool:
    """Approve (请假) or refuse a leave request once; False if it was no longer pending."""
    result = await session.execute(
        update(Attendance)
        .where(
            Attendance.id == attendance.id,
            Attendance.status == AttendanceStatus.LEAVE_REQUESTED,
        )
        .values(
            status=AttendanceStatus.ON_LEAVE if approve else AttendanceStatus.EXPECTED,
            leave_decided_by=by,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.refresh(attendance)
    audit.record(
        session, by, "attendance.leave_approve" if approve else "attendance.leave_refuse",
        "attendance", attendance.id, reason=attendance.leave_reason,
    )
    return True
