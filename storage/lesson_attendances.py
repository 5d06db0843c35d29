"""The party lessons attended (table lesson_attendances), kept for the training totals.

The rule: a row per attendance line with status PRESENT at a meeting of kind LESSON in state
CLOSED, holding the line's person and the meeting's start and end as stored. `sync` restores
the rule for some lines by deleting their rows and inserting again those that qualify, so it
is right whatever the rows were; the writers call it in their own transaction:

- storage/meetings/closing.py when a meeting closes (all its lines) and when a closed line is
  corrected; storage/past_meetings.py for a meeting recorded afterwards (closed at once);
  storage/expected_lists.py when a line is added to a closed meeting. A deleted line or
  meeting takes its row with it (ON DELETE CASCADE).
- Nothing else can change the rule's inputs: statuses change on live meetings only otherwise
  (check-in, leave, lists that follow the branch), a closed meeting is never reopened, moved or
  given another kind, and a membership keeps its person.

`rebuild` recomputes the whole table (demo data and bulk loads).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage.models import Attendance, LessonAttendance, Meeting, Membership

_COLUMNS = ["attendance_id", "person_id", "meeting_id", "starts_at", "ends_at"]


def _attended(lines: Any | None) -> Any:
    """The rows the rule gives for the attendance lines matching `lines` (None: every line)."""
    query = (
        select(Attendance.id, Membership.person_id, Meeting.id, Meeting.starts_at,
               Meeting.ends_at)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .where(
            Meeting.kind == MeetingKind.LESSON,
            Meeting.state == MeetingState.CLOSED,
            Attendance.status == AttendanceStatus.PRESENT,
        )
    )
    return query if lines is None else query.where(lines)


async def sync(
    session: AsyncSession, *, meeting_id: int | None = None,
    attendance_ids: Collection[int] = (),
) -> None:
    """Make the rows of a meeting's lines, or of some lines, follow the rule again."""
    chosen: list[Any] = []
    if meeting_id is not None:
        chosen.append(Attendance.meeting_id == meeting_id)
    if attendance_ids:
        chosen.append(Attendance.id.in_(sorted(attendance_ids)))
    if not chosen:
        return
    lines = or_(*chosen)
    await session.flush()  # the ORM's pending changes to the lines first
    await session.execute(delete(LessonAttendance).where(
        LessonAttendance.attendance_id.in_(select(Attendance.id).where(lines))
    ))
    await session.execute(insert(LessonAttendance).from_select(_COLUMNS, _attended(lines)))


async def rebuild(connection: AsyncConnection) -> int:
    """Recompute every row from the attendance lines; returns the number of rows."""
    await connection.execute(delete(LessonAttendance))
    await connection.execute(insert(LessonAttendance).from_select(_COLUMNS, _attended(None)))
    return int(
        await connection.scalar(select(func.count()).select_from(LessonAttendance)) or 0
    )


__all__ = ["rebuild", "sync"]
