"""A meeting's expected list (应到): it follows the branch until check-in opens, then it is fixed.

Until a meeting's check-in opens (a leader opens it, or its window begins), its list is the
branch as it is now: `follow_branch` runs in the transaction of every membership change
(approval, transfer out, status, role or 党小组), so a member transferred out leaves the list
(no reminder, no 补学 request) and a newly approved one joins it. Once check-in has opened the
list is fixed: adding or removing someone is an edit (`add_line`, `remove_line`) recorded with
who and why, and a closed committee meeting's quorum is counted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingState, MembershipState
from storage import audit, lesson_attendances, meeting_counts
from storage.meetings import ARRIVED, MeetingError, member_facts
from storage.models import Attendance, Meeting, Membership, OutboxMessage, OutboxState, Person

# A line that counts towards 应到 turns into a guest line (and back) when the status changes.
_AS_GUEST = {AttendanceStatus.PRESENT: AttendanceStatus.GUEST_PRESENT}
_AS_MEMBER = {AttendanceStatus.GUEST: AttendanceStatus.EXPECTED,
              AttendanceStatus.GUEST_PRESENT: AttendanceStatus.PRESENT}
GUEST_LINES = frozenset({AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT})
# Memberships that may be put on a fixed list: current members, and those who left since.
ADDABLE_STATES = (MembershipState.ACTIVE, MembershipState.TRANSFERRED_OUT)


def list_follows(meeting: Meeting, now: datetime) -> bool:
    """Whether the list still follows the branch: scheduled and its check-in not yet open."""
    opens = meeting.starts_at - timedelta(minutes=meeting.checkin_minutes_before)
    return meeting.state is MeetingState.SCHEDULED and now < opens


async def cancel_reminders(session: AsyncSession, meeting_id: int, chat_ids: Sequence[int]) -> None:
    """Reminders about the meeting not sent yet to people who are no longer on its list."""
    if chat_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.subject == f"meeting:{meeting_id}",
                   OutboxMessage.state == OutboxState.PENDING,
                   OutboxMessage.chat_id.in_(list(chat_ids)))
            .values(state=OutboxState.CANCELLED, error="no longer on the list")
        )


async def _telegram_ids(session: AsyncSession, membership_ids: Sequence[int]) -> list[int]:
    if not membership_ids:
        return []
    rows = await session.scalars(
        select(Person.telegram_id).join(Membership, Membership.person_id == Person.id)
        .where(Membership.id.in_(list(membership_ids)))
    )
    return list(rows.all())


async def follow_branch(
    session: AsyncSession, org_id: int, *, now: datetime, by: int | None
) -> int:
    """Bring the lists of the branch's meetings whose check-in has not opened up to date with
    its members; returns how many lines were added, removed or changed."""
    meetings = [
        m for m in (
            await session.scalars(
                select(Meeting).where(Meeting.party_organization_id == org_id,
                                      Meeting.state == MeetingState.SCHEDULED,
                                      Meeting.starts_at > now)
            )
        ).all()
        if list_follows(m, now)
    ]
    if not meetings:
        return 0
    facts = await member_facts(session, org_id)
    changed = 0
    for meeting in meetings:
        expectation = rules.expected_attendees(
            meeting.kind, facts, party_group_id=meeting.party_group_id
        )
        lines = {
            a.membership_id: a for a in (
                await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
            ).all()
        }
        added, removed = [], []
        for membership_id in sorted(expectation.expected | expectation.guests):
            guest = membership_id in expectation.guests
            line = lines.get(membership_id)
            if line is None:
                session.add(Attendance(
                    meeting_id=meeting.id, membership_id=membership_id,
                    status=AttendanceStatus.GUEST if guest else AttendanceStatus.EXPECTED,
                ))
                added.append(membership_id)
            elif guest and line.status not in GUEST_LINES:
                line.status = _AS_GUEST.get(line.status, AttendanceStatus.GUEST)
                line.leave_reason = None
                changed += 1
            elif not guest and line.status in GUEST_LINES:
                line.status = _AS_MEMBER[line.status]
                changed += 1
        for membership_id, line in lines.items():
            wanted = membership_id in expectation.expected or membership_id in expectation.guests
            if not wanted and line.status not in ARRIVED:  # someone marked present stays
                removed.append(membership_id)
        if removed:
            await session.execute(
                delete(Attendance).where(Attendance.meeting_id == meeting.id,
                                         Attendance.membership_id.in_(removed))
                .execution_options(synchronize_session="fetch")
            )
            await cancel_reminders(session, meeting.id, await _telegram_ids(session, removed))
        if added or removed:
            audit.record(session, by, "meeting.list_follows", "meeting", meeting.id,
                         added=",".join(map(str, added)), removed=",".join(map(str, removed)))
        changed += len(added) + len(removed)
    await session.flush()
    return changed


async def _quorum_before(session: AsyncSession, meeting: Meeting) -> bool:
    closed = meeting.state is MeetingState.CLOSED
    return closed and await meeting_counts.meeting_inquorate(session, meeting.id, meeting.kind)


async def add_line(
    session: AsyncSession, meeting: Meeting, membership: Membership, *, by: int, reason: str,
    now: datetime, tz: tzinfo | None = None,
) -> Attendance:
    """Put someone on a fixed list, logged with who and why: expected while the meeting is
    live, absent once it is closed (a correction then records what they did)."""
    if meeting.state is MeetingState.CANCELLED:
        raise MeetingError("not_live")
    if list_follows(meeting, now):
        raise MeetingError("list_follows")
    if (membership.party_organization_id != meeting.party_organization_id
            or membership.state not in ADDABLE_STATES):
        raise MeetingError("not_in_branch")
    exists = await session.scalar(
        select(Attendance.id).where(Attendance.meeting_id == meeting.id,
                                    Attendance.membership_id == membership.id)
    )
    if exists is not None:
        raise MeetingError("already_on_list")
    was_short = await _quorum_before(session, meeting)
    guest = membership.status not in rules.MEMBER_STATUSES  # an activist or applicant
    closed = meeting.state is MeetingState.CLOSED
    status = (AttendanceStatus.GUEST if guest
              else AttendanceStatus.ABSENT if closed else AttendanceStatus.EXPECTED)
    line = Attendance(meeting_id=meeting.id, membership_id=membership.id, status=status,
                      marked_by=by)
    session.add(line)
    await session.flush()
    if closed:
        await meeting_counts.quorum_changed(session, meeting, was_short, tz)
        await lesson_attendances.sync(session, attendance_ids=[line.id])
    audit.record(session, by, "attendance.add", "attendance", line.id, meeting_id=meeting.id,
                 membership_id=membership.id, status=status, reason=reason)
    return line


async def remove_line(
    session: AsyncSession, line: Attendance, *, by: int, reason: str, now: datetime,
    tz: tzinfo | None = None,
) -> None:
    """Take someone off a fixed list, logged with who, why and the line as it was."""
    meeting = await session.get(Meeting, line.meeting_id)
    assert meeting is not None
    if meeting.state is MeetingState.CANCELLED:
        raise MeetingError("not_live")
    if list_follows(meeting, now):
        raise MeetingError("list_follows")
    was_short = await _quorum_before(session, meeting)
    membership_id, status = line.membership_id, line.status
    audit.record(session, by, "attendance.remove", "attendance", line.id, meeting_id=meeting.id,
                 membership_id=membership_id, status=status, reason=reason)
    await session.delete(line)
    await session.flush()
    if meeting.state is MeetingState.CLOSED:
        await meeting_counts.quorum_changed(session, meeting, was_short, tz)
    else:
        await cancel_reminders(session, meeting.id, await _telegram_ids(session, [membership_id]))


__all__ = ["add_line", "follow_branch", "list_follows", "remove_line"]
