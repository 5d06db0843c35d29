"""Ledger queries over closed meetings, aggregated in SQL: what was held, each member's
attendance, and the UTC span of a run of local days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage.models import Attendance, Meeting, Membership, Person


async def held_meetings(
    session: AsyncSession, org_id: int, start: datetime, end: datetime
) -> list[tuple[MeetingKind, datetime]]:
    """Kind and start of each closed meeting in [start, end): what compliance counts."""
    rows = await session.execute(
        select(Meeting.kind, Meeting.starts_at).where(
            Meeting.party_organization_id == org_id,
            Meeting.state == MeetingState.CLOSED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    return [(kind, starts) for kind, starts in rows.all()]


@dataclass(frozen=True)
class MemberAttendance:
    membership_id: int
    name: str
    expected: int
    present: int
    on_leave: int
    absent: int

    @property
    def rate(self) -> float | None:
        return rules.attendance_rate(self.present, self.expected)


async def member_attendance(
    session: AsyncSession, org_id: int, start: datetime, end: datetime,
    *, membership_id: int | None = None,
) -> list[MemberAttendance]:
    """Per member over closed meetings in [start, end): expected / present / leave / absent."""
    counted = Attendance.status.not_in((AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT))

    def count(*statuses: AttendanceStatus) -> Any:
        return func.sum(case((Attendance.status.in_(statuses), 1), else_=0))

    query = (
        select(
            Attendance.membership_id,
            Person.real_name,
            func.sum(case((counted, 1), else_=0)),
            count(AttendanceStatus.PRESENT),
            count(AttendanceStatus.ON_LEAVE),
            count(AttendanceStatus.ABSENT),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            and_(
                Meeting.party_organization_id == org_id,
                Meeting.state == MeetingState.CLOSED,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
        )
        .group_by(Attendance.membership_id, Person.real_name)
        .order_by(Person.real_name)
    )
    if membership_id is not None:
        query = query.where(Attendance.membership_id == membership_id)
    rows = await session.execute(query)
    return [
        MemberAttendance(mid, name or "?", int(e or 0), int(p or 0), int(lv or 0), int(ab or 0))
        for mid, name, e, p, lv, ab in rows.all()
    ]


def day_bounds(first: date, last: date, tz: object) -> tuple[datetime, datetime]:
    """[start, end) in UTC for the local days first..last inclusive."""
    from datetime import time as dtime

    start = datetime.combine(first, dtime.min, tzinfo=tz)  # type: ignore[arg-type]
    end = datetime.combine(last + timedelta(days=1), dtime.min, tzinfo=tz)  # type: ignore[arg-type]
    return start, end
