"""What several topics load: a meeting as plain values, and who is on its list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.meetings.views import MeetingInfo
from rules.vocabulary import AttendanceStatus
from storage import meetings as store
from storage.models import Meeting, PartyGroup, PartyOrganization


async def meeting_info(session: AsyncSession, meeting: Meeting) -> MeetingInfo:
    org = await session.get(PartyOrganization, meeting.party_organization_id)
    group = (
        await session.get(PartyGroup, meeting.party_group_id) if meeting.party_group_id else None
    )
    return MeetingInfo(
        id=meeting.id,
        org_id=meeting.party_organization_id,
        org_name=org.name if org else "?",
        group_name=group.name if group else None,
        kind=meeting.kind,
        state=meeting.state,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        online_url=meeting.online_url,
        located=meeting.latitude is not None and meeting.longitude is not None,
        topic=meeting.topic,
        host=meeting.host,
        recorder=meeting.recorder,
        lecturer=meeting.lecturer,
        cancelled_reason=meeting.cancelled_reason,
    )


@dataclass(frozen=True)
class Recipient:
    telegram_id: int
    language: str
    status: AttendanceStatus


async def recipients_of(
    session: AsyncSession, meeting_id: int, *, skip: int | None = None
) -> list[Recipient]:
    """Everyone on a meeting's list (guests too), except `skip` (a Telegram id)."""
    return [
        Recipient(person.telegram_id, person.language, attendance.status)
        for attendance, person in await store.roster(session, meeting_id)
        if person.telegram_id != skip
    ]
