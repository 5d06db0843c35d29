"""Who may see a stored file: admins; the leaders of the branch it belongs to and above (the
meeting's, the duty's, or the training member's branch); the member whose training it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.permissions import Actor
from storage.models import (
    CURRENT_STATES,
    Duty,
    DutyCompletion,
    FileState,
    Meeting,
    MeetingFile,
    Membership,
    Person,
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
    row = kept(await session.get(StoredFile, stored_id))
    if row is None:
        return None
    orgs, people = await owners(session, row.telegram_file_id)
    return row if may_see(actor, orgs, people) else None


async def kept_copy(session: AsyncSession, telegram_file_id: str) -> StoredFile | None:
    """The stored row of a Telegram file if its bytes are kept (the chat's fallback when
    Telegram no longer serves the file id); the caller has checked the actor may see it."""
    return kept(await session.scalar(
        select(StoredFile).where(StoredFile.telegram_file_id == telegram_file_id)))


def kept(row: StoredFile | None) -> StoredFile | None:
    """The row if its bytes are in the store."""
    return row if row is not None and row.state is FileState.STORED and row.sha256 else None


@dataclass(frozen=True)
class BranchFile:
    """A kept file of a branch: what it is evidence of, and when."""

    stored_id: int
    kind: str  # minutes | duty | training
    at: datetime
    about: str  # the meeting's topic, the duty's own title, the training and its member
    file_name: str | None
    duty_code: str | None = None  # a built-in duty: its label is translated from the code


async def branch_files(session: AsyncSession, org_id: int, start: datetime, end: datetime,
                       *, limit: int = 200) -> list[BranchFile]:
    """The branch's kept files from [start, end): meeting files, duty documents and its current
    members' training evidence, newest first (leaders and admins see them: may_see)."""
    kept = (StoredFile.state == FileState.STORED, StoredFile.sha256.is_not(None))
    minutes = await session.execute(
        select(StoredFile.id, Meeting.starts_at, Meeting.topic, StoredFile.file_name)
        .join(MeetingFile, MeetingFile.telegram_file_id == StoredFile.telegram_file_id)
        .join(Meeting, Meeting.id == MeetingFile.meeting_id)
        .where(*kept, Meeting.party_organization_id == org_id, Meeting.starts_at >= start,
               Meeting.starts_at < end))
    duties = await session.execute(
        select(StoredFile.id, DutyCompletion.done_at, Duty.title, Duty.code,
               StoredFile.file_name)
        .join(DutyCompletion, DutyCompletion.file_id == StoredFile.telegram_file_id)
        .join(Duty, Duty.id == DutyCompletion.duty_id)
        .where(*kept, DutyCompletion.party_organization_id == org_id,
               DutyCompletion.done_at >= start, DutyCompletion.done_at < end))
    training = await session.execute(
        select(StoredFile.id, TrainingEvidence.added_at, TrainingRecord.title, Person.real_name,
               StoredFile.file_name)
        .join(TrainingEvidence, TrainingEvidence.telegram_file_id == StoredFile.telegram_file_id)
        .join(TrainingRecord, TrainingRecord.id == TrainingEvidence.record_id)
        .join(Person, Person.id == TrainingRecord.person_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(*kept, Membership.party_organization_id == org_id,
               Membership.state.in_(CURRENT_STATES), TrainingEvidence.added_at >= start,
               TrainingEvidence.added_at < end))
    found = [BranchFile(i, "minutes", at, topic, name) for i, at, topic, name in minutes]
    found += [BranchFile(i, "duty", at, title or "", name, code)
              for i, at, title, code, name in duties]
    found += [BranchFile(i, "training", at, f"{title} · {who or ''}", name)
              for i, at, title, who, name in training]
    return sorted(found, key=lambda f: (f.at, f.stored_id), reverse=True)[:limit]
