"""Training records a press points at, and the organizations whose training a leader sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access import found
from handlers.kit.actions import Act
from handlers.kit.buttons import OrgId, TrainingId
from handlers.kit.i18n import N_
from rules import training as rules
from rules.permissions import Actor, can_manage_org
from rules.vocabulary import TrainingKind, TrainingState
from storage import orgs as org_store
from storage import training as store
from storage.models import PartyOrganization

OWN_RECORD = N_("You cannot verify or correct your own training; another leader or the level "
                "above does.")
LATE_EVIDENCE_CLOSED = N_("Files can be added only while a record waits for verification. A "
                          "verified record is changed by a leader of your branch; a record not "
                          "accepted is logged again, corrected.")


@dataclass(frozen=True)
class RecordInfo:
    """A record with whose it is; plain values, usable after the session ends."""

    id: TrainingId
    person_id: int
    telegram_id: int
    language: str
    name: str
    org_id: int | None
    org_name: str
    title: str
    organizer: str | None
    kind: TrainingKind
    state: TrainingState
    starts_on: date
    ends_on: date
    minutes: int
    years: tuple[tuple[int, int], ...]
    evidence: tuple[tuple[str, str, str | None], ...]  # (file id, mime type, file name)
    reject_reason: str | None
    batch: bool


async def record_info(session: AsyncSession, record_id: int) -> RecordInfo | None:
    record = await store.get_record(session, record_id)
    if record is None:
        return None
    org_id = await store.current_org_id(session, record.person_id)
    org = await session.get(PartyOrganization, org_id) if org_id is not None else None
    person = record.person
    return RecordInfo(
        id=TrainingId(record.id), person_id=record.person_id, telegram_id=person.telegram_id,
        language=person.language, name=person.real_name or str(person.telegram_id),
        org_id=org_id, org_name=org.name if org is not None else "", title=record.title,
        organizer=record.organizer, kind=record.kind, state=record.state,
        starts_on=record.starts_on, ends_on=record.ends_on, minutes=record.minutes,
        years=tuple((row.year, row.minutes) for row in record.years),
        evidence=tuple((e.telegram_file_id, e.mime_type, e.file_name) for e in record.evidence),
        reject_reason=record.reject_reason, batch=record.batch_id is not None,
    )


def leads_member_of(actor: Actor, info: RecordInfo) -> bool:
    """The actor runs the member's organization (a member of none: admins)."""
    return actor.is_admin if info.org_id is None else can_manage_org(actor, info.org_id)


def can_decide(actor: Actor, info: RecordInfo) -> bool:
    if info.org_id is None:
        return actor.is_admin and actor.person_id != info.person_id
    return rules.can_verify(actor, info.org_id, info.person_id)


async def access_record(act: Act, record_id: TrainingId) -> RecordInfo:
    """A record of a member the actor leads."""
    info = found(act, await record_info(act.session, record_id), leaders=True)
    act.check(leads_member_of(act.actor, info))
    return info


async def access_decided_record(act: Act, record_id: TrainingId) -> RecordInfo:
    """A record the actor may verify, reject or correct: never their own."""
    info = await access_record(act, record_id)
    act.check(act.actor.person_id != info.person_id, OWN_RECORD)
    act.check(can_decide(act.actor, info))
    return info


async def access_own_record(act: Act, record_id: TrainingId) -> RecordInfo:
    """One of the actor's own records."""
    info = found(act, await record_info(act.session, record_id))
    act.check(act.actor.person_id == info.person_id)
    return info


async def access_open_record(act: Act, record_id: TrainingId) -> RecordInfo:
    """One of the actor's own records, still waiting for verification."""
    info = await access_own_record(act, record_id)
    if info.state is not TrainingState.PENDING:
        act.refuse(LATE_EVIDENCE_CLOSED)
    return info


async def access_evidence(act: Act, record_id: TrainingId) -> RecordInfo:
    """A record whose files the actor may see: their own, or a member's they lead."""
    info = found(act, await record_info(act.session, record_id))
    act.check(act.actor.person_id == info.person_id or leads_member_of(act.actor, info))
    return info


async def access_training_scope(act: Act, scope: OrgId) -> set[int] | None:
    """The organizations of a scope: one with everything below it, or 0 for all the actor
    leads (None: everything, for an admin)."""
    if scope == 0:
        return None if act.actor.is_admin else set(act.actor.managed_org_ids)
    act.check(can_manage_org(act.actor, scope))
    found(act, await org_store.get_party_org(act.session, scope))
    return await org_store.descendant_ids(act.session, {scope})
