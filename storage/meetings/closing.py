"""Closing a meeting (the record is frozen and counted) and its record afterwards: edits of
closed meetings, corrected lines, files of the minutes, 补学 a member confirms."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage import audit, lesson_attendances, meeting_counts, outbox
from storage.files import remember_file
from storage.meetings.scheduling import MeetingError, _subject
from storage.models import Attendance, Meeting, MeetingFile


async def close(
    session: AsyncSession, meeting: Meeting, *, minutes: str | None, by: int, now: datetime,
    tz: tzinfo | None = None,
) -> rules.LedgerCounts:
    """Freeze the record: whoever did not come and had no approved leave is absent.

    The meeting is counted for compliance (in `tz`'s months) in the same transaction."""
    if meeting.state is MeetingState.CLOSED:
        raise MeetingError("already_closed")
    if meeting.state is MeetingState.CANCELLED:
        raise MeetingError("not_live")
    if now < meeting.starts_at:
        # Closing marks everyone not checked in absent: only after the meeting began.
        raise MeetingError("not_started", starts_at=meeting.starts_at)
    attendances = list(
        (await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))).all()
    )
    frozen = rules.freeze_statuses({a.id: a.status for a in attendances})
    for attendance in attendances:
        attendance.status = frozen[attendance.id]
    meeting.state = MeetingState.CLOSED
    meeting.minutes = minutes
    meeting.closed_at = now
    meeting.closed_by = by
    # Reminders about it (before it, check-in, minutes) are moot once it is closed.
    await outbox.cancel(session, subject=_subject(meeting), reason="meeting closed")
    counts = rules.ledger_counts(frozen)
    await meeting_counts.meeting_closed(session, meeting, counts, tz)
    await lesson_attendances.sync(session, meeting_id=meeting.id)
    audit.record(
        session, by, "meeting.close", "meeting", meeting.id,
        expected=counts.expected, present=counts.present, on_leave=counts.on_leave,
        absent=counts.absent,
    )
    return counts


async def edit_closed(
    session: AsyncSession, meeting: Meeting, *, field: str, value: str | None, by: int,
    reason: str,
) -> None:
    """Change a closed meeting's text fields; never silently: who, why, before and after."""
    if field not in ("minutes", "topic", "place", "host", "recorder", "lecturer"):
        raise MeetingError("not_editable")
    before = getattr(meeting, field)
    setattr(meeting, field, value)
    audit.record(
        session, by, "meeting.edit_closed", "meeting", meeting.id,
        field=field, before=before, after=value, reason=reason,
    )


async def correct_attendance(
    session: AsyncSession, attendance: Attendance, *, status: AttendanceStatus, by: int,
    reason: str, tz: tzinfo | None = None,
) -> None:
    """Fix one line of a frozen record, logged with who and why; a committee meeting's
    quorum is counted again in the same transaction."""
    meeting = await session.get(Meeting, attendance.meeting_id)
    closed = meeting is not None and meeting.state is MeetingState.CLOSED
    was_short = closed and await meeting_counts.meeting_inquorate(
        session, attendance.meeting_id, meeting.kind if meeting else MeetingKind.ASSEMBLY
    )
    before = attendance.status
    attendance.status = status
    attendance.marked_by = by
    if closed and meeting is not None:
        await session.flush()
        await meeting_counts.quorum_changed(session, meeting, was_short, tz)
        await lesson_attendances.sync(session, attendance_ids=[attendance.id])
    audit.record(
        session, by, "attendance.correct", "attendance", attendance.id,
        before=before, after=status, reason=reason,
    )


async def add_file(
    session: AsyncSession, meeting: Meeting, *, telegram_file_id: str, kind: str,
    file_name: str | None, by: int,
) -> MeetingFile:
    attachment = MeetingFile(
        meeting_id=meeting.id, telegram_file_id=telegram_file_id, kind=kind,
        file_name=file_name, added_by=by,
    )
    session.add(attachment)
    await session.flush()
    # A Telegram photo is always a JPEG; a document's type is learnt when it is downloaded.
    await remember_file(session, telegram_file_id, file_name=file_name,
                        mime_type="image/jpeg" if kind == "photo" else None)
    return attachment


async def confirm_makeup(session: AsyncSession, attendance: Attendance, now: datetime) -> bool:
    """An absent member confirms they caught up (补学); once."""
    if attendance.status is not AttendanceStatus.ABSENT or attendance.makeup_done_at:
        return False
    attendance.makeup_done_at = now
    return True
