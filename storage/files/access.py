"""Who may see a stored file: admins; the leaders of the branch it belongs to and above (the
meeting's, the duty's, or the training member's branch); the member whose training it is."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.permissions import Actor
from storage.models import (
    CURRENT_STATES,
    DutyCompletion,
    FileState,
    Meeting,
    MeetingFile,
    Membership,
    StoredFile,
    TrainingEvidence,
    TrainingRecord,
)


async def owners(session: AsyncSession, telegram_file_id: str) -> tuple[set[int], set[int]]:
    """The organizations a file belongs to, and the people whose training records hold it."""
    orgs = set((await session.scalars(
        select(Meeting.party_organization_id)
        .join(MeetingFile, MeetingFile.meeting_id == Meeting.id)
        .where(MeetingFile.telegram_file_id == telegram_file_id)
    )).all())
    orgs |= set((await session.scalars(
        select(DutyCompletion.party_organization_id)
        .where(DutyCompletion.file_id == telegram_file_id)
    )).all())
    people = set((await session.scalars(
        select(TrainingRecord.person_id)
        .join(TrainingEvidence, TrainingEvidence.record_id == TrainingRecord.id)
        .where(TrainingEvidence.telegram_file_id == telegram_file_id)
    )).all())
    if people:
        orgs |= set((await session.scalars(
            select(Membership.party_organization_id)
            .where(Membership.person_id.in_(people), Membership.state.in_(CURRENT_STATES))
        )).all())
    return orgs, people


def may_see(actor: Actor, orgs: set[int], people: set[int]) -> bool:
    if actor.is_admin:
        return True
    if actor.person_id is not None and actor.person_id in people:
        return True
    return actor.leads_a_branch and bool(orgs & actor.managed_org_ids)


async def visible_file(session: AsyncSession, stored_id: int, actor: Actor) -> StoredFile | None:
    """The stored file if `actor` may see it and its bytes are kept; else None (a 404)."""
    row = await session.get(StoredFile, stored_id)
    if row is None or row.state is not FileState.STORED or row.sha256 is None:
        return None
    orgs, people = await owners(session, row.telegram_file_id)
    return row if may_see(actor, orgs, people) else None


async def kept_copy(session: AsyncSession, telegram_file_id: str) -> StoredFile | None:
    """The stored row of a Telegram file if its bytes are kept (the chat's fallback when
    Telegram no longer serves the file id); the caller has checked the actor may see it."""
    row = await session.scalar(
        select(StoredFile).where(StoredFile.telegram_file_id == telegram_file_id))
    if row is None or row.state is not FileState.STORED or row.sha256 is None:
        return None
    return row
