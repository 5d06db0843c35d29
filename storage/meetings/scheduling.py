"""Scheduling meetings (MeetingPlan, series, clashes), and moving or cancelling them while they
are live; MeetingError and LIVE_STATES, which the other modules use too."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState, MembershipState
from storage import audit, outbox
from storage.models import Attendance, Meeting, Membership, PartyGroup

LIVE_STATES = (MeetingState.SCHEDULED, MeetingState.CHECKIN_OPEN)


class MeetingError(Exception):
    """A meeting change that cannot happen; `code` is a message id key for the handlers."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class MeetingPlan:
    """What the secretary entered when scheduling."""

    org_id: int
    kind: MeetingKind
    starts_at: datetime
    ends_at: datetime
    topic: str
    place: str | None = None
    online_url: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    host: str | None = None
    recorder: str | None = None
    lecturer: str | None = None
    party_group_id: int | None = None
    checkin_minutes_before: int = 30
    checkin_minutes_after: int = 30


async def _member_facts(
    session: AsyncSession, org_id: int
) -> list[rules.MemberFacts]:
    rows = await session.execute(
        select(Membership.id, Membership.status, Membership.role, Membership.party_group_id).where(
            Membership.party_organization_id == org_id,
            Membership.state == MembershipState.ACTIVE,
        )
    )
    return [
        rules.MemberFacts(
            membership_id=mid, status=status, role=role, party_group_id=group_id
        )
        for mid, status, role, group_id in rows.all()
    ]


member_facts = _member_facts  # storage/expected_lists.py keeps lists up to date with it


async def clashes(
    session: AsyncSession, org_id: int, starts_at: datetime, ends_at: datetime,
    *, ignore_id: int | None = None,
) -> list[Meeting]:
    """Live meetings of the same organization overlapping [starts_at, ends_at)."""
    query = select(Meeting).where(
        Meeting.party_organization_id == org_id,
        Meeting.state.in_(LIVE_STATES),
        Meeting.starts_at < ends_at,
        Meeting.ends_at > starts_at,
    )
    if ignore_id is not None:
        query = query.where(Meeting.id != ignore_id)
    return list((await session.scalars(query)).all())


async def schedule(
    session: AsyncSession,
    plan: MeetingPlan,
    *,
    created_by: int,
    now: datetime,
    series_id: str | None = None,
) -> Meeting:
    """Create a meeting and its expected list (应到) from the kind's rule."""
    if plan.starts_at <= now:
        raise MeetingError("in_past")
    if plan.ends_at <= plan.starts_at:
        raise MeetingError("end_before_start")
    if plan.kind is MeetingKind.GROUP:
        group = await session.get(PartyGroup, plan.party_group_id or 0)
        if group is None or group.party_organization_id != plan.org_id:
            raise MeetingError("group_needed")
    if await clashes(session, plan.org_id, plan.starts_at, plan.ends_at):
        raise MeetingError("clash", when=plan.starts_at)
    expectation = rules.expected_attendees(
        plan.kind,
        await _member_facts(session, plan.org_id),
        party_group_id=plan.party_group_id,
    )
    meeting = Meeting(
        party_organization_id=plan.org_id,
        party_group_id=plan.party_group_id if plan.kind is MeetingKind.GROUP else None,
        series_id=series_id,
        kind=plan.kind,
        state=MeetingState.SCHEDULED,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        place=plan.place,
        online_url=plan.online_url,
        latitude=plan.latitude,
        longitude=plan.longitude,
        topic=plan.topic,
        host=plan.host,
        recorder=plan.recorder,
        lecturer=plan.lecturer,
        checkin_minutes_before=plan.checkin_minutes_before,
        checkin_minutes_after=plan.checkin_minutes_after,
        code_secret=rules.new_code_secret().hex(),
        created_by=created_by,
    )
    session.add(meeting)
    await session.flush()
    session.add_all(
        [Attendance(meeting_id=meeting.id, membership_id=m, status=AttendanceStatus.EXPECTED)
         for m in sorted(expectation.expected)]
        + [Attendance(meeting_id=meeting.id, membership_id=m, status=AttendanceStatus.GUEST)
           for m in sorted(expectation.guests)]
    )
    audit.record(
        session, created_by, "meeting.schedule", "meeting", meeting.id,
        kind=plan.kind.value, starts_at=plan.starts_at.isoformat(), series_id=series_id,
    )
    return meeting


async def schedule_series(
    session: AsyncSession,
    plan: MeetingPlan,
    starts: Sequence[datetime],
    *,
    created_by: int,
    now: datetime,
) -> list[Meeting]:
    """The same meeting at each start time (e.g. the first Monday of each month); all or none."""
    series_id = secrets.token_hex(8)
    duration = plan.ends_at - plan.starts_at
    created = []
    for start in starts:
        one = MeetingPlan(**{**plan.__dict__, "starts_at": start, "ends_at": start + duration})
        created.append(
            await schedule(session, one, created_by=created_by, now=now, series_id=series_id)
        )
    return created


def _subject(meeting: Meeting) -> str:
    """What outbox rows about this meeting are filed under (reminders/planner/meetings.py)."""
    return f"meeting:{meeting.id}"


async def cancel(
    session: AsyncSession, meeting: Meeting, *, reason: str | None, by: int
) -> None:
    if meeting.state not in LIVE_STATES:
        raise MeetingError("not_live")
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_reason = reason
    audit.record(session, by, "meeting.cancel", "meeting", meeting.id, reason=reason)
    await outbox.cancel(session, subject=_subject(meeting), reason="meeting cancelled")


async def postpone(
    session: AsyncSession, meeting: Meeting, *, starts_at: datetime, by: int, now: datetime
) -> None:
    """Move a live meeting, keeping its length; answers and leave stay as they were."""
    if meeting.state not in LIVE_STATES:
        raise MeetingError("not_live")
    if starts_at <= now:
        raise MeetingError("in_past")
    ends_at = starts_at + (meeting.ends_at - meeting.starts_at)
    if await clashes(
        session, meeting.party_organization_id, starts_at, ends_at, ignore_id=meeting.id
    ):
        raise MeetingError("clash", when=starts_at)
    before = meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    meeting.state = MeetingState.SCHEDULED
    meeting.checkin_opened_at = None
    # The planner plans the moved meeting afresh (its keys carry the start time).
    await outbox.cancel(session, subject=_subject(meeting), reason="meeting moved")
    audit.record(
        session, by, "meeting.postpone", "meeting", meeting.id,
        before=before.isoformat(), after=starts_at.isoformat(),
    )
