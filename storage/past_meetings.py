"""Meetings entered afterwards: held before the branch used the bot, or while it was down.

A secretary records the date, kind, topic, who was present, on leave or absent, and the
minutes; the meeting is stored closed and marked `entered_afterwards`, counted for compliance
(storage/meeting_counts.py) in the same transaction, and shown so in the record and the
ledger. Nobody is asked to catch up (补学) for it: the request would reach people weeks or
years after the fact, and the branch decides that for itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingKind, MeetingState
from storage import audit, lesson_attendances, meeting_counts
from storage.meetings import MeetingError, member_facts
from storage.models import Attendance, Meeting, Membership, PartyGroup, PartyOrganization, Person

# What each line of a meeting entered afterwards may say.
RECORDED = (AttendanceStatus.PRESENT, AttendanceStatus.ON_LEAVE, AttendanceStatus.ABSENT)
LENGTH = timedelta(hours=1)  # nobody recorded how long it took


@dataclass(frozen=True)
class PastMeeting:
    """What the secretary entered; `at` None when only the day is known."""

    org_id: int
    kind: MeetingKind
    day: date
    topic: str
    minutes: str
    attendance: Mapping[int, AttendanceStatus]  # membership id -> present / on leave / absent
    at: time | None = None
    party_group_id: int | None = None


def earliest_day(org: PartyOrganization, tz: tzinfo) -> date:
    """The first day the branch is known to have existed: its creation in the bot, or the
    election of its current committee when that was earlier."""
    created = org.created_at.astimezone(tz).date()
    return min(created, org.term_started_on) if org.term_started_on else created


def check_day(day: date, org: PartyOrganization, *, now: datetime, tz: tzinfo) -> str | None:
    """Why a day cannot be a past meeting's ("in_future", "before_branch"), else None."""
    if day > now.astimezone(tz).date():
        return "in_future"
    if day < earliest_day(org, tz):
        return "before_branch"
    return None


async def who_was_expected(
    session: AsyncSession, org_id: int, kind: MeetingKind, party_group_id: int | None
) -> list[tuple[int, Person]]:
    """The members a meeting of this kind counts (应到), from the branch as it is now, by name.

    Activists (guests, not counted) are left out of a record entered afterwards."""
    expected = rules.expected_attendees(
        kind, await member_facts(session, org_id), party_group_id=party_group_id
    ).expected
    if not expected:
        return []
    rows = await session.execute(
        select(Membership.id, Person).join(Person, Person.id == Membership.person_id)
        .where(Membership.id.in_(sorted(expected)))
        .order_by(Person.real_name, Membership.id)
    )
    return [(mid, person) for mid, person in rows.all()]


async def record_past(
    session: AsyncSession, past: PastMeeting, *, by: int, now: datetime, tz: tzinfo
) -> Meeting:
    """Store a closed meeting marked as entered afterwards and count it; all or nothing."""
    org = await session.get(PartyOrganization, past.org_id)
    if org is None:
        raise MeetingError("not_live")
    problem = check_day(past.day, org, now=now, tz=tz)
    if problem:
        raise MeetingError(problem)
    starts_at = datetime.combine(past.day, past.at or time(0), tzinfo=tz)
    if starts_at > now:
        raise MeetingError("in_future")
    group_id = past.party_group_id if past.kind is MeetingKind.GROUP else None
    if past.kind is MeetingKind.GROUP:
        group = await session.get(PartyGroup, group_id or 0)
        if group is None or group.party_organization_id != past.org_id:
            raise MeetingError("group_needed")
    allowed = {mid for mid, _p in await who_was_expected(session, past.org_id, past.kind,
                                                         group_id)}
    if not set(past.attendance) <= allowed or any(
        status not in RECORDED for status in past.attendance.values()
    ):
        raise MeetingError("not_in_branch")
    day_start = datetime.combine(past.day, time(0), tzinfo=tz)
    same_day = await session.scalar(
        select(func.count()).select_from(Meeting).where(
            Meeting.party_organization_id == past.org_id, Meeting.kind == past.kind,
            Meeting.state != MeetingState.CANCELLED,
            Meeting.starts_at >= day_start, Meeting.starts_at < day_start + timedelta(days=1),
            *([Meeting.party_group_id == group_id] if group_id else []),
        )
    )
    if same_day:
        raise MeetingError("same_day")
    meeting = Meeting(
        party_organization_id=past.org_id, party_group_id=group_id, kind=past.kind,
        state=MeetingState.CLOSED, starts_at=starts_at, ends_at=starts_at + LENGTH,
        topic=past.topic, minutes=past.minutes, code_secret=rules.new_code_secret().hex(),
        closed_at=now, closed_by=by, created_by=by, entered_afterwards=True,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(
        Attendance(meeting_id=meeting.id, membership_id=mid, status=status,
                   method=CheckinMethod.MANUAL if status is AttendanceStatus.PRESENT else None,
                   marked_by=by)
        for mid, status in sorted(past.attendance.items())
    )
    counts = rules.ledger_counts(dict(enumerate(past.attendance.values())))
    await meeting_counts.meeting_closed(session, meeting, counts, tz)
    await lesson_attendances.sync(session, meeting_id=meeting.id)
    audit.record(
        session, by, "meeting.record_past", "meeting", meeting.id, kind=past.kind.value,
        day=past.day.isoformat(), expected=counts.expected, present=counts.present,
        on_leave=counts.on_leave, absent=counts.absent,
    )
    return meeting


__all__ = ["PastMeeting", "check_day", "earliest_day", "record_past", "who_was_expected"]
