"""Training records: logged for one member or many, verified or rejected, withdrawn, edited,
evidence attached; and the queue of records waiting for verification."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from rules import training as rules
from rules.training import DEFAULT_POLICY, TrainingDraft, TrainingPolicy
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import MembershipState, TrainingState
from storage import audit, people
from storage import orgs as org_store
from storage.files import remember_file
from storage.models import (
    Membership,
    PartyOrganization,
    Person,
    TrainingEvidence,
    TrainingRecord,
    TrainingYear,
)
from storage.training.errors import DuplicateTraining, TrainingError
from storage.training.totals import OPEN_STATES, display_name


@dataclass(frozen=True)
class EvidenceFile:
    """A photo or PDF sent in the chat, as Telegram describes it."""

    telegram_file_id: str
    telegram_file_unique_id: str
    mime_type: str  # "image/jpeg" for a Telegram photo
    size_bytes: int | None
    file_name: str | None = None


def _check(draft: TrainingDraft, today: date) -> None:
    problem = rules.validate_training(draft, today=today)
    if problem is not None:
        raise TrainingError(problem.value)


def _check_evidence(files: Sequence[EvidenceFile], policy: TrainingPolicy) -> None:
    for file in files:
        problem = rules.validate_evidence(
            file.mime_type, file.size_bytes, max_bytes=policy.evidence_max_bytes
        )
        if problem is not None:
            raise TrainingError(problem.value, file_name=file.file_name)


def _evidence_row(file: EvidenceFile, by: int) -> TrainingEvidence:
    return TrainingEvidence(
        telegram_file_id=file.telegram_file_id,
        telegram_file_unique_id=file.telegram_file_unique_id,
        mime_type=rules.canonical_mime(file.mime_type),
        size_bytes=file.size_bytes,
        file_name=file.file_name,
        added_by=by,
    )


def _snapshot(record: TrainingRecord) -> dict[str, Any]:
    return {
        "title": record.title,
        "organizer": record.organizer,
        "kind": record.kind.value,
        "starts_on": record.starts_on.isoformat(),
        "ends_on": record.ends_on.isoformat(),
        "minutes": record.minutes,
        "state": record.state.value,
    }


def _draft_details(draft: TrainingDraft) -> dict[str, Any]:
    return {
        "title": draft.title.strip(),
        "organizer": (draft.organizer or "").strip() or None,
        "kind": draft.kind.value,
        "starts_on": draft.starts_on.isoformat(),
        "ends_on": draft.ends_on.isoformat(),
        "minutes": draft.minutes,
    }


def _new_record(
    person_id: int, draft: TrainingDraft, *, by: int, state: TrainingState,
    batch_id: str | None, evidence: Sequence[EvidenceFile], now: datetime,
) -> TrainingRecord:
    verified = state is TrainingState.VERIFIED
    return TrainingRecord(
        person_id=person_id,
        kind=draft.kind,
        title=draft.title.strip(),
        title_key=draft.title_key,
        organizer=(draft.organizer or "").strip() or None,
        starts_on=draft.starts_on,
        ends_on=draft.ends_on,
        minutes=draft.minutes,
        state=state,
        batch_id=batch_id,
        logged_by=by,
        logged_at=now,
        decided_by=by if verified else None,
        decided_at=now if verified else None,
        years=[
            TrainingYear(year=year, minutes=minutes)
            for year, minutes in rules.split_minutes_by_year(
                draft.starts_on, draft.ends_on, draft.minutes
            ).items()
        ],
        evidence=[_evidence_row(file, by) for file in evidence],
    )


async def _holders(
    session: AsyncSession, person_ids: Collection[int], draft: TrainingDraft,
    *, ignore_id: int | None = None,
) -> list[int]:
    """Who among person_ids already has this course logged (pending or verified)."""
    return await already_logged(
        session, person_ids, draft.title, draft.starts_on, ignore_id=ignore_id
    )


async def already_logged(
    session: AsyncSession, person_ids: Collection[int], title: str, starts_on: date,
    *, ignore_id: int | None = None,
) -> list[int]:
    """Who among person_ids has this course (normalized title, start day) pending or verified.

    The chat asks this as soon as the title and the first day are known, so a duplicate is
    caught at the step that can fix it; log_training and log_for_many check it again.
    """
    if not person_ids:
        return []
    query = select(TrainingRecord.person_id).where(
        TrainingRecord.person_id.in_(sorted(person_ids)),
        TrainingRecord.title_key == rules.normalize_title(title),
        TrainingRecord.starts_on == starts_on,
        TrainingRecord.state.in_(OPEN_STATES),
    )
    if ignore_id is not None:
        query = query.where(TrainingRecord.id != ignore_id)
    return sorted(set((await session.scalars(query)).all()))


async def _flush_new(session: AsyncSession, records: Sequence[TrainingRecord]) -> None:
    """Insert; a concurrent log of the same course trips the unique index: DuplicateTraining."""
    session.add_all(records)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DuplicateTraining(()) from None
    for row in {e.telegram_file_id: e for r in records for e in r.evidence}.values():
        await _remember(session, row)


async def _remember(session: AsyncSession, row: TrainingEvidence) -> None:
    """The file store keeps a copy (storage/files): pending in this transaction."""
    await remember_file(
        session, row.telegram_file_id, unique_id=row.telegram_file_unique_id,
        mime_type=row.mime_type, file_name=row.file_name, size_bytes=row.size_bytes,
    )


async def log_training(
    session: AsyncSession,
    person_id: int,
    draft: TrainingDraft,
    *,
    by: int,
    today: date,
    now: datetime,
    evidence: Sequence[EvidenceFile] = (),
    policy: TrainingPolicy = DEFAULT_POLICY,
) -> TrainingRecord:
    """A member logs a training they attended: validated, pending until a leader verifies it."""
    _check(draft, today)
    _check_evidence(evidence, policy)
    if await session.get(Person, person_id) is None:
        raise TrainingError("unknown_person")
    holders = await _holders(session, [person_id], draft)
    if holders:
        raise DuplicateTraining(holders)
    record = _new_record(
        person_id, draft, by=by, state=TrainingState.PENDING, batch_id=None, evidence=evidence,
        now=now,
    )
    await _flush_new(session, [record])
    audit.record(
        session, by, "training.log", "training_record", record.id, after=_snapshot(record),
        evidence=len(evidence),
    )
    return record


@dataclass(frozen=True)
class BatchResult:
    """One training logged for many members in one call."""

    batch_id: str
    records: list[TrainingRecord]
    skipped: tuple[int, ...] = ()  # person ids that already had the course


async def log_for_many(
    session: AsyncSession,
    person_ids: Sequence[int],
    draft: TrainingDraft,
    *,
    by: int,
    today: date,
    now: datetime,
    verify: bool = False,
    skip_duplicates: bool = False,
    evidence: Sequence[EvidenceFile] = (),
    policy: TrainingPolicy = DEFAULT_POLICY,
) -> BatchResult:
    """A leader logs one training for many people (one batch id); all or nothing.

    With verify=True the records are verified by `by` at once, except the leader's own
    record, which stays pending for someone else. Members who already have the course
    raise DuplicateTraining, or are skipped with skip_duplicates=True.
    """
    _check(draft, today)
    _check_evidence(evidence, policy)
    wanted = sorted(set(person_ids))
    if not wanted:
        raise TrainingError("no_members")
    telegram_ids = dict(
        (await session.execute(
            select(Person.id, Person.telegram_id).where(Person.id.in_(wanted))
        )).all()
    )
    missing = [pid for pid in wanted if pid not in telegram_ids]
    if missing:
        raise TrainingError("unknown_person", person_ids=tuple(missing))
    holders = await _holders(session, wanted, draft)
    if holders and not skip_duplicates:
        raise DuplicateTraining(holders)
    batch_id = secrets.token_hex(8)
    records = [
        _new_record(
            pid, draft, by=by,
            state=TrainingState.VERIFIED if verify and telegram_ids[pid] != by
            else TrainingState.PENDING,
            batch_id=batch_id, evidence=evidence, now=now,
        )
        for pid in wanted
        if pid not in holders
    ]
    await _flush_new(session, records)
    audit.record(
        session, by, "training.log_batch", "training_batch", None,
        batch_id=batch_id, people=len(records), skipped=len(holders), verified=verify,
        after=_draft_details(draft), evidence=len(evidence),
    )
    return BatchResult(batch_id, records, tuple(holders))


async def get_record(session: AsyncSession, record_id: int) -> TrainingRecord | None:
    """One record with its person, year split and evidence loaded."""
    return await session.scalar(
        select(TrainingRecord)
        .options(
            selectinload(TrainingRecord.person),
            selectinload(TrainingRecord.years),
            selectinload(TrainingRecord.evidence),
        )
        .where(TrainingRecord.id == record_id)
    )


async def _owner_telegram_id(session: AsyncSession, record_id: int) -> int:
    telegram_id = await session.scalar(
        select(Person.telegram_id)
        .join(TrainingRecord, TrainingRecord.person_id == Person.id)
        .where(TrainingRecord.id == record_id)
    )
    if telegram_id is None:
        raise TrainingError("not_found")
    return telegram_id


async def decide(
    session: AsyncSession, record_id: int, *, approve: bool, by: int, now: datetime,
    reason: str | None = None,
) -> bool:
    """Verify, or reject with a reason, a pending record once; False if no longer pending."""
    if await _owner_telegram_id(session, record_id) == by:
        raise TrainingError("own_record")
    cleaned: str | None = None
    if not approve:
        text = clean_text(reason, max_length=MAX_REASON)
        if isinstance(text, Invalid):
            raise TrainingError("reason_too_long" if text.reason == "too_long" else "reason_needed")
        cleaned = text
    new_state = TrainingState.VERIFIED if approve else TrainingState.REJECTED
    result = await session.execute(
        update(TrainingRecord)
        .where(TrainingRecord.id == record_id, TrainingRecord.state == TrainingState.PENDING)
        .values(state=new_state, decided_by=by, decided_at=now, reject_reason=cleaned)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    audit.record(
        session, by, "training.verify" if approve else "training.reject", "training_record",
        record_id, before={"state": TrainingState.PENDING.value},
        after={"state": new_state.value, "reason": cleaned},
    )
    return True


async def withdraw(session: AsyncSession, record_id: int, *, by: int) -> bool:
    """The member takes back their own pending record; False if it was no longer pending."""
    if await _owner_telegram_id(session, record_id) != by:
        raise TrainingError("not_owner")
    result = await session.execute(
        update(TrainingRecord)
        .where(TrainingRecord.id == record_id, TrainingRecord.state == TrainingState.PENDING)
        .values(state=TrainingState.WITHDRAWN)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    audit.record(
        session, by, "training.withdraw", "training_record", record_id,
        before={"state": TrainingState.PENDING.value},
        after={"state": TrainingState.WITHDRAWN.value},
    )
    return True


async def edit_training(
    session: AsyncSession,
    record_id: int,
    draft: TrainingDraft,
    *,
    by: int,
    today: date,
    reason: str | None = None,
) -> TrainingRecord:
    """Replace a record's details (re-split per year); audited with before and after.

    The member edits only while it is pending; a leader may also correct a verified record.
    Rejected and withdrawn records are final: log the training again instead.
    """
    record = await get_record(session, record_id)
    if record is None:
        raise TrainingError("not_found")
    if record.state not in OPEN_STATES:
        raise TrainingError("not_editable")
    if record.person.telegram_id == by and record.state is not TrainingState.PENDING:
        raise TrainingError("not_pending")
    _check(draft, today)
    if (draft.title_key, draft.starts_on) != (record.title_key, record.starts_on):
        holders = await _holders(session, [record.person_id], draft, ignore_id=record.id)
        if holders:
            raise DuplicateTraining(holders)
    before = _snapshot(record)
    record.kind = draft.kind
    record.title = draft.title.strip()
    record.title_key = draft.title_key
    record.organizer = (draft.organizer or "").strip() or None
    record.starts_on, record.ends_on = draft.starts_on, draft.ends_on
    record.minutes = draft.minutes
    split = rules.split_minutes_by_year(draft.starts_on, draft.ends_on, draft.minutes)
    for row in list(record.years):
        if row.year in split:
            row.minutes = split.pop(row.year)
        else:
            record.years.remove(row)
    record.years.extend(TrainingYear(year=year, minutes=m) for year, m in split.items())
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DuplicateTraining(()) from None
    after = _snapshot(record)
    changed = [key for key in after if after[key] != before[key]]
    audit.record(
        session, by, "training.edit", "training_record", record.id,
        before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
        reason=reason,
    )
    return record


async def add_evidence(
    session: AsyncSession,
    record_id: int,
    file: EvidenceFile,
    *,
    by: int,
    policy: TrainingPolicy = DEFAULT_POLICY,
) -> TrainingEvidence:
    """Attach a certificate photo or PDF to a pending or verified record (audited).

    Its member adds files only while it waits for verification; once verified, a leader does.
    """
    _check_evidence([file], policy)
    found = (await session.execute(
        select(TrainingRecord.state, Person.telegram_id)
        .join(Person, Person.id == TrainingRecord.person_id)
        .where(TrainingRecord.id == record_id)
    )).first()
    if found is None:
        raise TrainingError("not_found")
    state, owner = found
    if state not in OPEN_STATES:
        raise TrainingError("not_editable")
    if owner == by and state is not TrainingState.PENDING:
        raise TrainingError("not_pending")
    row = _evidence_row(file, by)
    row.record_id = record_id
    session.add(row)
    await session.flush()
    await _remember(session, row)
    audit.record(
        session, by, "training.evidence_add", "training_record", record_id,
        evidence_id=row.id, mime_type=row.mime_type, size_bytes=row.size_bytes,
        file_name=row.file_name,
    )
    return row


async def current_org_id(session: AsyncSession, person_id: int) -> int | None:
    """The organization of a person's active membership (for permission checks)."""
    return await session.scalar(
        select(Membership.party_organization_id).where(
            Membership.person_id == person_id, Membership.state == MembershipState.ACTIVE
        )
    )


async def verifiers(
    session: AsyncSession, org_id: int | None, owner: int, admins: Collection[int]
) -> list[tuple[int, str]]:
    """Who is asked to verify a member's record, as (Telegram id, language): the branch's
    leaders, else the level above, else the configured admins; never the member themselves."""
    found: list[tuple[int, str]] = []
    if org_id is not None:
        for candidate in [org_id, *(await org_store.ancestor_ids(session, org_id))[:1]]:
            found = [(person.telegram_id, person.language)
                     for person, _org in await people.leaders_of(session, candidate)
                     if person.telegram_id != owner]
            if found:
                return found
    languages = await people.languages_of(session, admins)
    return [(admin, languages.get(admin, "zh")) for admin in sorted(admins) if admin != owner]


@dataclass(frozen=True)
class PendingLine:
    """A record waiting for verification, with whose it is."""

    record: TrainingRecord
    name: str
    org_id: int
    org_name: str


async def pending_records(
    session: AsyncSession, org_ids: Collection[int] | None, *, limit: int = 50
) -> list[PendingLine]:
    """Pending records of the active members of these organizations (None: all), oldest first."""
    query = (
        select(TrainingRecord, Person.real_name, Person.telegram_id, PartyOrganization.id,
               PartyOrganization.name)
        .join(Person, Person.id == TrainingRecord.person_id)
        .join(Membership, and_(Membership.person_id == Person.id,
                               Membership.state == MembershipState.ACTIVE))
        .join(PartyOrganization, PartyOrganization.id == Membership.party_organization_id)
        .options(selectinload(TrainingRecord.evidence))
        .where(TrainingRecord.state == TrainingState.PENDING)
        .order_by(TrainingRecord.logged_at, TrainingRecord.id)
        .limit(limit)
    )
    if org_ids is not None:
        query = query.where(Membership.party_organization_id.in_(sorted(org_ids)))
    rows = await session.execute(query)
    return [
        PendingLine(record, display_name(real_name, telegram_id), org_id, org_name)
        for record, real_name, telegram_id, org_id, org_name in rows.all()
    ]
