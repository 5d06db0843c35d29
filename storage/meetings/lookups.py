"""Finding meetings and their lines: one meeting, a member's line, the roster, a member's
upcoming meetings, an organization's meetings in a span, one attendance line, the files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rules.vocabulary import MeetingState
from storage.meetings.scheduling import LIVE_STATES
from storage.models import Attendance, Meeting, MeetingFile, Membership, Person


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    return await session.scalar(
        select(Meeting)
        .options(selectinload(Meeting.party_organization), selectinload(Meeting.party_group))
        .where(Meeting.id == meeting_id)
    )


async def attendance_of(
    session: AsyncSession, meeting_id: int, membership_id: int
) -> Attendance | None:
    return await session.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.membership_id == membership_id
        )
    )


async def roster(session: AsyncSession, meeting_id: int) -> list[tuple[Attendance, Person]]:
    """Everyone on a meeting's list with their person, by name."""
    rows = await session.execute(
        select(Attendance, Person)
        .join(Membership, Membership.id == Attendance.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Person.real_name, Attendance.id)
    )
    return [(a, p) for a, p in rows.all()]


async def upcoming_for(
    session: AsyncSession, membership_id: int, now: datetime, limit: int = 10
) -> list[tuple[Meeting, Attendance]]:
    """A member's live meetings that have not ended, soonest first."""
    rows = await session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.membership_id == membership_id,
            Meeting.state.in_(LIVE_STATES),
            Meeting.ends_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(limit)
    )
    return [(m, a) for m, a in rows.all()]


async def meetings_between(
    session: AsyncSession, org_id: int, start: datetime, end: datetime,
    *, states: Sequence[MeetingState] | None = None,
) -> list[Meeting]:
    query = (
        select(Meeting)
        .options(selectinload(Meeting.party_group))
        .where(
            Meeting.party_organization_id == org_id,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at)
    )
    if states is not None:
        query = query.where(Meeting.state.in_(states))
    return list((await session.scalars(query)).all())


async def get_attendance(session: AsyncSession, attendance_id: int) -> Attendance | None:
    """One attendance line with its meeting and the member's person."""
    return await session.scalar(
        select(Attendance)
        .options(
            selectinload(Attendance.meeting).selectinload(Meeting.party_organization),
            selectinload(Attendance.membership).selectinload(Membership.person),
        )
        .where(Attendance.id == attendance_id)
    )


async def files_of(session: AsyncSession, meeting_id: int) -> list[MeetingFile]:
    """Photos and documents attached to a meeting's minutes, in the order they were added."""
    return list(
        (
            await session.scalars(
                select(MeetingFile)
                .where(MeetingFile.meeting_id == meeting_id)
                .order_by(MeetingFile.id)
            )
        ).all()
    )
