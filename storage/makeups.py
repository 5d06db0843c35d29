"""补学 a member confirmed themselves, waiting for the secretary to accept it.

Only an accepted catch-up counts as organizational life for the drift warnings
(reminders/planner/drift.py): a member's own "I have caught up" does not stop the six-month clock.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.vocabulary import AttendanceStatus, MeetingKind
from storage import audit
from storage.models import Attendance, Meeting, Membership, Person


@dataclass(frozen=True)
class AwaitingMakeup:
    """One self-confirmed catch-up: who, which meeting, when they said they caught up."""

    attendance_id: int
    org_id: int
    name: str
    kind: MeetingKind
    topic: str
    starts_at: datetime
    done_at: datetime


async def awaiting(
    session: AsyncSession, org_ids: Collection[int] | None, *, limit: int = 50
) -> list[AwaitingMakeup]:
    """Catch-ups confirmed by members of these organizations (None: all), oldest first."""
    query = (
        select(
            Attendance.id, Membership.party_organization_id, Person.real_name,
            Person.telegram_id, Meeting.kind, Meeting.topic, Meeting.starts_at,
            Attendance.makeup_done_at,
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Attendance.status == AttendanceStatus.ABSENT,
            Attendance.makeup_done_at.is_not(None),
            Attendance.makeup_accepted_at.is_(None),
        )
        .order_by(Attendance.makeup_done_at, Attendance.id)
        .limit(limit)
    )
    if org_ids is not None:
        query = query.where(Membership.party_organization_id.in_(sorted(org_ids)))
    rows = await session.execute(query)
    return [
        AwaitingMakeup(aid, oid, name or str(tg), kind, topic, starts, done or starts)
        for aid, oid, name, tg, kind, topic, starts, done in rows.all()
    ]


async def org_of(session: AsyncSession, attendance_id: int) -> int | None:
    """The organization of the member an attendance line belongs to (for the permission)."""
    return await session.scalar(
        select(Membership.party_organization_id)
        .join(Attendance, Attendance.membership_id == Membership.id)
        .where(Attendance.id == attendance_id)
    )


async def accept(session: AsyncSession, attendance_id: int, *, by: int, now: datetime) -> bool:
    """The secretary accepts a self-confirmed catch-up, once; False if there is none to accept."""
    result = await session.execute(
        update(Attendance)
        .where(
            Attendance.id == attendance_id,
            Attendance.status == AttendanceStatus.ABSENT,
            Attendance.makeup_done_at.is_not(None),
            Attendance.makeup_accepted_at.is_(None),
        )
        .values(makeup_accepted_at=now, makeup_accepted_by=by)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    audit.record(session, by, "attendance.makeup_accept", "attendance", attendance_id)
    return True
