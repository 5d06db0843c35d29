"""Training hours (issue 5): logging for one member or many, verification, evidence,
per-organization requirements, and the views: a person's year, who is behind, secretaries on
track, and the yearly .xlsx export.

Every view aggregates in SQL with a fixed number of statements whatever the number of members:

- A record's minutes are split per calendar year when it is written (`training_years`), so a
  year's total is a plain SUM.
- Party lessons attended (PRESENT on a CLOSED meeting of kind LESSON) count as verified
  training of kind `lesson` with the meeting's duration. The totals add them to the logged
  records by a UNION ALL, reading them from lesson_attendances (storage/lesson_attendances.py),
  kept in the transaction that closes the meeting or corrects a line, so a correction counts
  at once. The lesson's year is the local year of its start (`tz`).
- The yearly requirement of each party organization is resolved by a recursive query down the
  tree (the nearest override wins, else the deployment default of the TrainingPolicy), the
  same rule as rules.training.resolve_required_minutes, which the person view uses.
- Only active memberships are counted; the requirement follows the current role and status.

Permissions are the handlers' (rules.training.can_verify and can_log_for_others); storage
refuses only what is never allowed (verifying one's own record, withdrawing someone else's).
Errors carry a `code` (a string or a rules.training problem code) for the handlers to translate.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from rules import training as rules
from rules.meetings import MEMBER_STATUSES
from rules.training import DEFAULT_POLICY, LEADER_ROLES, TrainingDraft, TrainingPolicy
from rules.training_standing import standings
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import (
    AttendanceStatus,
    MeetingKind,
    MeetingState,
    MemberRole,
    MembershipState,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)
from storage import audit
from storage.models import (
    Attendance,
    LessonAttendance,
    Meeting,
    Membership,
    PartyOrganization,
    Person,
    TrainingEvidence,
    TrainingRecord,
    TrainingRequirement,
    TrainingYear,
    utcnow,
)
from storage.orgs import descendant_ids
from storage.sql_functions import MinutesBetween
from storage.training_overlap import counted_once

__all__ = [
    "BatchResult",
    "BehindRow",
    "CourseYear",
    "DuplicateTraining",
    "EvidenceFile",
    "MemberYear",
    "OnTrackReport",
    "OnTrackRow",
    "PendingLine",
    "PersonYear",
    "TrainingError",
    "TrainingExport",
    "TrainingLine",
    "add_evidence",
    "already_logged",
    "behind",
    "current_org_id",
    "decide",
    "edit_training",
    "export_data",
    "get_record",
    "log_for_many",
    "log_training",
    "own_requirements",
    "pending_records",
    "person_lines",
    "person_year",
    "required_minutes",
    "secretaries_on_track",
    "set_requirement",
    "withdraw",
]

# Records that count (verified) or may count (pending) toward a year.
OPEN_STATES = (TrainingState.PENDING, TrainingState.VERIFIED)
MAX_CHAIN_DEPTH = 64  # guards the upward walk against a (never expected) cycle in the tree


class TrainingError(Exception):
    """A training change that cannot happen; `code` is a message id key for the handlers.

    Codes: a rules.training.TrainingProblem or EvidenceProblem value, or one of not_found,
    unknown_person, no_members, not_pending, not_editable, not_owner, own_record,
    reason_needed, reason_too_long, negative_requirement, duplicate.
    """

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


class DuplicateTraining(TrainingError):
    """The same course (normalized title, start day) is already logged and not rejected."""

    def __init__(self, person_ids: Sequence[int]) -> None:
        super().__init__("duplicate", person_ids=tuple(person_ids))
        self.person_ids = tuple(person_ids)  # who already has it (empty: lost a race)


@dataclass(frozen=True)
class EvidenceFile:
    """A photo or PDF sent in the chat, as Telegram describes it."""

    telegram_file_id: str
    telegram_file_unique_id: str
    mime_type: str  # "image/jpeg" for a Telegram photo
    size_bytes: int | None
    file_name: str | None = None


# ---------------------------------------------------------------------------------------------
# SQL building blocks
# ---------------------------------------------------------------------------------------------


def _int(value: int) -> ColumnElement[int]:
    """An integer constant written into the SQL (typed the same on both dialects)."""
    return literal_column(str(int(value)), Integer)


def _word(value: str) -> ColumnElement[str]:
    """One of our own enum values as an SQL string constant."""
    assert value.isidentifier(), value
    return literal_column(f"'{value}'", String)


def _year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _is_leader() -> ColumnElement[bool]:
    # rules.training.role_group: 书记, 副书记, 委员 are leaders (activists are excluded apart).
    return Membership.role.in_(LEADER_ROLES)


def _counted_membership(org_ids: Collection[int] | None) -> list[ColumnElement[bool]]:
    """Active party members (not activists: no requirement), optionally of some orgs."""
    conditions = [
        Membership.state == MembershipState.ACTIVE,
        Membership.status.in_(MEMBER_STATUSES),
    ]
    if org_ids is not None:
        conditions.append(Membership.party_organization_id.in_(sorted(org_ids)))
    return conditions


def _facts(year: int, tz: tzinfo, persons: Any | None) -> Any:
    """(person_id, kind, state, minutes) of `year`: logged records UNION ALL lessons attended.

    `persons` restricts to some person ids (a list or a SELECT of ids); None means everyone.
    """
    start, end = _year_bounds(year, tz)
    # For some people a range, not an equality: SQLite, which keeps no statistics, then reads
    # their records by person instead of every record of the year (the same rows either way).
    in_year = (
        TrainingYear.year == year if persons is None else TrainingYear.year.between(year, year)
    )
    logged = (
        select(
            TrainingRecord.person_id.label("person_id"),
            TrainingRecord.kind.label("kind"),
            TrainingRecord.state.label("state"),
            TrainingYear.minutes.label("minutes"),
        )
        .join(TrainingYear, TrainingYear.record_id == TrainingRecord.id)
        .where(
            in_year,
            TrainingRecord.state.in_(OPEN_STATES),
            counted_once(tz, year),  # a lesson attended and logged by hand counts once
        )
    )
    # Kept by storage/lesson_attendances.py: a person's lessons of a year by index.
    lessons = select(
        LessonAttendance.person_id,
        _word(TrainingKind.LESSON.value),
        _word(TrainingState.VERIFIED.value),
        MinutesBetween(LessonAttendance.starts_at, LessonAttendance.ends_at),
    ).where(LessonAttendance.starts_at >= start, LessonAttendance.starts_at < end)
    if persons is not None:
        logged = logged.where(TrainingRecord.person_id.in_(persons))
        lessons = lessons.where(LessonAttendance.person_id.in_(persons))
    return union_all(logged, lessons).subquery("facts")


def _sums(facts: Any, policy: TrainingPolicy) -> Any:
    """Per person: counted and pending minutes for each group, verified minutes per kind."""
    verified = facts.c.state == TrainingState.VERIFIED
    pending = facts.c.state == TrainingState.PENDING

    def total(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, facts.c.minutes), else_=_int(0)))

    columns: list[Any] = [facts.c.person_id]
    for group in TrainingGroup:
        kinds = sorted(policy.counted_kinds[group])
        columns.append(total(and_(verified, facts.c.kind.in_(kinds))).label(f"{group.value}_c"))
        columns.append(total(and_(pending, facts.c.kind.in_(kinds))).label(f"{group.value}_p"))
    for kind in TrainingKind:
        columns.append(total(and_(verified, facts.c.kind == kind)).label(f"k_{kind.value}"))
    return select(*columns).group_by(facts.c.person_id).subquery("sums")


def _requirements_cte(policy: TrainingPolicy) -> Any:
    """(org_id, leader_minutes, member_minutes) for every organization reachable from a root.

    Recursive down the tree: an organization's own override, else its parent's value, else
    the deployment default (rules.training.resolve_required_minutes, in SQL).
    """

    def overrides(org: Any) -> tuple[Any, Any, list[Any]]:
        leader, member = aliased(TrainingRequirement), aliased(TrainingRequirement)
        return leader, member, [
            (leader, and_(leader.party_organization_id == org.id,
                          leader.role_group == TrainingGroup.LEADER)),
            (member, and_(member.party_organization_id == org.id,
                          member.role_group == TrainingGroup.MEMBER)),
        ]

    top = aliased(PartyOrganization)
    leader, member, joins = overrides(top)
    anchor = select(
        top.id.label("org_id"),
        func.coalesce(
            leader.required_minutes, _int(policy.required_minutes[TrainingGroup.LEADER])
        ).label("leader_minutes"),
        func.coalesce(
            member.required_minutes, _int(policy.required_minutes[TrainingGroup.MEMBER])
        ).label("member_minutes"),
    ).select_from(top)
    for target, onclause in joins:
        anchor = anchor.outerjoin(target, onclause)
    tree = anchor.where(top.parent_id.is_(None)).cte("training_required", recursive=True)

    child = aliased(PartyOrganization)
    leader, member, joins = overrides(child)
    step = (
        select(
            child.id,
            func.coalesce(leader.required_minutes, tree.c.leader_minutes),
            func.coalesce(member.required_minutes, tree.c.member_minutes),
        )
        .select_from(child)
        .join(tree, child.parent_id == tree.c.org_id)
    )
    for target, onclause in joins:
        step = step.outerjoin(target, onclause)
    return tree.union_all(step)


def _progress(
    org_ids: Collection[int] | None, year: int, tz: tzinfo, policy: TrainingPolicy,
    extra: Sequence[ColumnElement[bool]] = (),
) -> Any:
    """Per counted membership: required, counted and pending minutes and verified per kind."""
    required_tree = _requirements_cte(policy)
    persons = (
        select(Membership.person_id).where(*_counted_membership(org_ids), *extra)
        if org_ids is not None
        else None
    )
    sums = _sums(_facts(year, tz, persons), policy)
    leader = _is_leader()

    def by_group(leader_value: Any, member_value: Any) -> ColumnElement[int]:
        return case((leader, leader_value), else_=member_value)

    def zero(column: Any) -> ColumnElement[int]:
        return func.coalesce(column, _int(0))

    defaults = policy.required_minutes
    study_minutes = func.coalesce(
        required_tree.c.member_minutes, _int(defaults[TrainingGroup.MEMBER])
    )
    leaders_study = TrainingGroup.MEMBER in policy.binding(TrainingGroup.LEADER)
    return (
        select(
            Membership.id.label("membership_id"),
            Membership.person_id.label("person_id"),
            Membership.party_organization_id.label("org_id"),
            Membership.role.label("role"),
            Person.real_name.label("real_name"),
            Person.telegram_id.label("telegram_id"),
            PartyOrganization.name.label("org_name"),
            by_group(_word(TrainingGroup.LEADER.value), _word(TrainingGroup.MEMBER.value)).label(
                "role_group"
            ),
            by_group(
                func.coalesce(
                    required_tree.c.leader_minutes, _int(defaults[TrainingGroup.LEADER])
                ),
                func.coalesce(
                    required_tree.c.member_minutes, _int(defaults[TrainingGroup.MEMBER])
                ),
            ).label("required"),
            by_group(zero(sums.c.leader_c), zero(sums.c.member_c)).label("counted"),
            by_group(zero(sums.c.leader_p), zero(sums.c.member_p)).label("pending"),
            # The members' yearly study, which binds leaders too (policy.binds, issue 14).
            (by_group(_int(0), study_minutes) if not leaders_study else study_minutes).label(
                "study_required"
            ),
            zero(sums.c.member_c).label("study_counted"),
            *[zero(sums.c[f"k_{kind.value}"]).label(f"k_{kind.value}") for kind in TrainingKind],
        )
        .select_from(Membership)
        .join(Person, Person.id == Membership.person_id)
        .join(PartyOrganization, PartyOrganization.id == Membership.party_organization_id)
        .outerjoin(required_tree, required_tree.c.org_id == Membership.party_organization_id)
        .outerjoin(sums, sums.c.person_id == Membership.person_id)
        .where(*_counted_membership(org_ids), *extra)
        .subquery("progress")
    )


def _target(required: Any, on: date, year: int) -> ColumnElement[int]:
    """rules.training.pro_rata_target in SQL: ceil(required × elapsed / days), integers only."""
    elapsed, total = rules.elapsed_days(on, year)
    result: ColumnElement[int] = (required * _int(elapsed) + _int(total - 1)) // _int(total)
    return result


def _name(real_name: str | None, telegram_id: int) -> str:
    return real_name or str(telegram_id)


# ---------------------------------------------------------------------------------------------
# Requirements per organization
# ---------------------------------------------------------------------------------------------


async def _chain(session: AsyncSession, org_id: int) -> list[int]:
    """org_id and its ancestors, nearest first, by one recursive query."""
    up = (
        select(
            PartyOrganization.id.label("org_id"),
            PartyOrganization.parent_id.label("parent_id"),
            _int(0).label("depth"),
        )
        .where(PartyOrganization.id == org_id)
        .cte("chain", recursive=True)
    )
    parent = aliased(PartyOrganization)
    up = up.union_all(
        select(parent.id, parent.parent_id, up.c.depth + 1)
        .join(up, parent.id == up.c.parent_id)
        .where(up.c.depth < MAX_CHAIN_DEPTH)
    )
    rows = await session.execute(select(up.c.org_id).order_by(up.c.depth))
    seen: list[int] = []
    for (oid,) in rows.all():
        if oid in seen:
            break
        seen.append(oid)
    return seen


async def required_minutes(
    session: AsyncSession, org_id: int, *, policy: TrainingPolicy = DEFAULT_POLICY
) -> dict[TrainingGroup, int]:
    """The yearly requirement in force for an organization's leaders and members."""
    chain = await _chain(session, org_id)
    rows = await session.execute(
        select(
            TrainingRequirement.party_organization_id,
            TrainingRequirement.role_group,
            TrainingRequirement.required_minutes,
        ).where(TrainingRequirement.party_organization_id.in_(chain))
    )
    by_org: dict[int, dict[TrainingGroup, int]] = {}
    for oid, group, minutes in rows.all():
        by_org.setdefault(oid, {})[group] = minutes
    overrides = [by_org.get(oid, {}) for oid in chain]
    return {
        group: rules.resolve_required_minutes(group, overrides, policy) for group in TrainingGroup
    }


async def own_requirements(session: AsyncSession, org_id: int) -> dict[TrainingGroup, int]:
    """The overrides set on this organization itself (not inherited), by group."""
    rows = await session.execute(
        select(TrainingRequirement.role_group, TrainingRequirement.required_minutes).where(
            TrainingRequirement.party_organization_id == org_id
        )
    )
    return {group: minutes for group, minutes in rows.all()}


@dataclass(frozen=True)
class RequirementSource:
    """The yearly requirement in force for one group, and where it is set."""

    minutes: int
    org_id: int | None  # the organization whose override applies; None: deployment default
    org_name: str | None


async def requirement_sources(
    session: AsyncSession, org_id: int, *, policy: TrainingPolicy = DEFAULT_POLICY
) -> dict[TrainingGroup, RequirementSource]:
    """Per group: the requirement in force for an organization and which level sets it."""
    chain = await _chain(session, org_id)
    rows = await session.execute(
        select(
            TrainingRequirement.party_organization_id,
            TrainingRequirement.role_group,
            TrainingRequirement.required_minutes,
            PartyOrganization.name,
        )
        .join(PartyOrganization,
              PartyOrganization.id == TrainingRequirement.party_organization_id)
        .where(TrainingRequirement.party_organization_id.in_(chain))
    )
    by_org: dict[int, dict[TrainingGroup, tuple[int, str]]] = {}
    for oid, group, minutes, name in rows.all():
        by_org.setdefault(oid, {})[group] = (minutes, name)
    result: dict[TrainingGroup, RequirementSource] = {}
    for group in TrainingGroup:
        found = next(((oid, by_org[oid][group]) for oid in chain
                      if group in by_org.get(oid, {})), None)
        if found is None:
            result[group] = RequirementSource(policy.default_required(group), None, None)
        else:
            oid, (minutes, name) = found
            result[group] = RequirementSource(minutes, oid, name)
    return result


# An override above this is a typo (hours for minutes); 50 days of 8 hours.
MAX_REQUIRED_MINUTES = 400 * 60


async def set_requirement(
    session: AsyncSession, org_id: int, group: TrainingGroup, minutes: int | None, *, by: int
) -> bool:
    """Override (or with None clear) an organization's yearly requirement for its subtree;
    False if nothing changed (and nothing is audited)."""
    if minutes is not None and minutes < 0:
        raise TrainingError("negative_requirement")
    if minutes is not None and minutes > MAX_REQUIRED_MINUTES:
        raise TrainingError("requirement_too_large")
    if await session.get(PartyOrganization, org_id) is None:
        raise TrainingError("not_found")
    existing = await session.get(TrainingRequirement, (org_id, group))
    before = existing.required_minutes if existing else None
    if before == minutes:
        return False
    if minutes is None:
        if existing is not None:
            await session.delete(existing)
    elif existing is None:
        session.add(
            TrainingRequirement(
                party_organization_id=org_id, role_group=group, required_minutes=minutes,
                set_by=by,
            )
        )
    else:
        existing.required_minutes = minutes
        existing.set_by = by
    await session.flush()
    audit.record(
        session, by, "training.requirement", "party_organization", org_id,
        group=group.value, before=before, after=minutes,
    )
    return True


# ---------------------------------------------------------------------------------------------
# Logging, verification, edits
# ---------------------------------------------------------------------------------------------


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
    batch_id: str | None, evidence: Sequence[EvidenceFile],
) -> TrainingRecord:
    now = utcnow()
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


async def log_training(
    session: AsyncSession,
    person_id: int,
    draft: TrainingDraft,
    *,
    by: int,
    today: date,
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
        person_id, draft, by=by, state=TrainingState.PENDING, batch_id=None, evidence=evidence
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
            batch_id=batch_id, evidence=evidence,
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
    session: AsyncSession, record_id: int, *, approve: bool, by: int, reason: str | None = None
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
        .values(state=new_state, decided_by=by, decided_at=utcnow(), reject_reason=cleaned)
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
        PendingLine(record, _name(real_name, telegram_id), org_id, org_name)
        for record, real_name, telegram_id, org_id, org_name in rows.all()
    ]


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonYear:
    """One person's training year (minutes); lessons attended count as verified `lesson`."""

    person_id: int
    year: int
    group: TrainingGroup | None  # None: no requirement (activist, or not an active member)
    required: int
    done_by_kind: Mapping[TrainingKind, int]  # verified, whether it counts or not
    pending_by_kind: Mapping[TrainingKind, int]
    counted: int  # verified minutes of the kinds that count for the group
    pending: int  # pending minutes of the kinds that would count once verified
    progress: rules.Progress  # against the pro-rata target of the date asked for
    # Every requirement binding the person, own group's first (a leader: concentrated, study).
    standing: Mapping[TrainingGroup, rules.Progress] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.progress.remaining

    @property
    def fraction(self) -> float:
        return self.progress.fraction


async def person_year(
    session: AsyncSession,
    person_id: int,
    year: int,
    *,
    tz: tzinfo,
    policy: TrainingPolicy = DEFAULT_POLICY,
    on: date | None = None,
) -> PersonYear:
    """Required, done by kind, pending, counted, remaining and fraction for one person's year.

    `on` is the date the pro-rata target is taken at (default: the year's last day).
    """
    membership = (
        await session.execute(
            select(Membership.party_organization_id, Membership.role, Membership.status).where(
                Membership.person_id == person_id, Membership.state == MembershipState.ACTIVE
            )
        )
    ).first()
    group: TrainingGroup | None = None
    required = 0
    owed: dict[TrainingGroup, int] = {}
    if membership is not None:
        org_id, role, status = membership
        group = rules.role_group(role, status)
        if group is not None:
            owed = await required_minutes(session, org_id, policy=policy)
            required = owed[group]
    facts = _facts(year, tz, [person_id])
    rows = await session.execute(
        select(facts.c.kind, facts.c.state, func.sum(facts.c.minutes)).group_by(
            facts.c.kind, facts.c.state
        )
    )
    done = dict.fromkeys(TrainingKind, 0)
    waiting = dict.fromkeys(TrainingKind, 0)
    for kind, state, minutes in rows.all():
        kind = TrainingKind(kind)
        target = done if TrainingState(state) is TrainingState.VERIFIED else waiting
        target[kind] += int(minutes or 0)
    counted = sum(m for kind, m in done.items() if policy.counts(group, kind))
    pending = sum(m for kind, m in waiting.items() if policy.counts(group, kind))
    when = on if on is not None else date(year, 12, 31)
    return PersonYear(
        person_id=person_id, year=year, group=group, required=required,
        done_by_kind=done, pending_by_kind=waiting, counted=counted, pending=pending,
        progress=rules.progress(required, counted, on=when, year=year),
        standing=standings(group, owed, done, on=when, year=year, policy=policy),
    )


@dataclass(frozen=True)
class TrainingLine:
    """One line of a person's training year: a logged record or a lesson attended."""

    source: str  # "record" or "lesson" (id is then the meeting's id)
    id: int
    title: str
    kind: TrainingKind
    state: TrainingState
    starts_on: date
    ends_on: date
    minutes: int  # in the year asked for
    total_minutes: int
    organizer: str | None = None
    evidence: int = 0
    reject_reason: str | None = None


async def person_lines(
    session: AsyncSession, person_id: int, year: int, *, tz: tzinfo,
    states: Collection[TrainingState] = (
        TrainingState.PENDING, TrainingState.VERIFIED, TrainingState.REJECTED
    ),
) -> list[TrainingLine]:
    """A person's records touching `year` and the party lessons they attended, by date."""
    evidence = (
        select(TrainingEvidence.record_id, func.count().label("n"))
        .group_by(TrainingEvidence.record_id)
        .subquery()
    )
    records = await session.execute(
        select(
            TrainingRecord.id, TrainingRecord.title, TrainingRecord.kind, TrainingRecord.state,
            TrainingRecord.starts_on, TrainingRecord.ends_on, TrainingYear.minutes,
            TrainingRecord.minutes, TrainingRecord.organizer, evidence.c.n,
            TrainingRecord.reject_reason,
        )
        .join(TrainingYear, TrainingYear.record_id == TrainingRecord.id)
        .outerjoin(evidence, evidence.c.record_id == TrainingRecord.id)
        .where(
            TrainingRecord.person_id == person_id,
            TrainingYear.year == year,
            TrainingRecord.state.in_(list(states)),
        )
    )
    lines = [
        TrainingLine("record", rid, title, kind, state, starts, ends, int(m), int(total),
                     organizer, int(n or 0), reason)
        for rid, title, kind, state, starts, ends, m, total, organizer, n, reason in records.all()
    ]
    if TrainingState.VERIFIED in states:
        start, end = _year_bounds(year, tz)
        minutes = MinutesBetween(Meeting.starts_at, Meeting.ends_at)
        lessons = await session.execute(
            select(Meeting.id, Meeting.topic, Meeting.starts_at, Meeting.ends_at, minutes,
                   Meeting.lecturer)
            .join(Attendance, Attendance.meeting_id == Meeting.id)
            .join(Membership, Membership.id == Attendance.membership_id)
            .where(
                Membership.person_id == person_id,
                Meeting.kind == MeetingKind.LESSON,
                Meeting.state == MeetingState.CLOSED,
                Attendance.status == AttendanceStatus.PRESENT,
                Meeting.starts_at >= start,
                Meeting.starts_at < end,
            )
        )
        lines += [
            TrainingLine("lesson", mid, topic, TrainingKind.LESSON, TrainingState.VERIFIED,
                         starts.astimezone(tz).date(), ends.astimezone(tz).date(), int(m),
                         int(m), lecturer)
            for mid, topic, starts, ends, m, lecturer in lessons.all()
        ]
    lines.sort(key=lambda line: (line.starts_on, line.source, line.id))
    return lines


@dataclass(frozen=True)
class BehindRow:
    """A member or leader below the pro-rata target; gap = target - counted, in minutes."""

    membership_id: int
    person_id: int
    name: str
    org_id: int
    org_name: str
    group: TrainingGroup
    role: MemberRole
    required: int
    counted: int
    target: int
    # The members' yearly study (for a leader, the second requirement; issue 14).
    study_required: int = 0
    study_counted: int = 0
    study_target: int = 0

    @property
    def gap(self) -> int:
        """The bigger shortfall of the requirements binding the person."""
        return max(self.target - self.counted, self.study_target - self.study_counted)


async def behind(
    session: AsyncSession,
    org_ids: Collection[int] | None,
    on: date,
    *,
    tz: tzinfo,
    policy: TrainingPolicy = DEFAULT_POLICY,
    limit: int | None = None,
) -> list[BehindRow]:
    """Active members and leaders of these orgs (None: all) below the pro-rata target on `on`,
    biggest gap first (then by name). One statement."""
    year = on.year
    progress = _progress(org_ids, year, tz, policy)
    target = _target(progress.c.required, on, year)
    study_target = _target(progress.c.study_required, on, year)
    own_gap, study_gap = target - progress.c.counted, study_target - progress.c.study_counted
    gap = case((own_gap >= study_gap, own_gap), else_=study_gap)
    query = (
        select(
            progress.c.membership_id, progress.c.person_id, progress.c.real_name,
            progress.c.telegram_id, progress.c.org_id, progress.c.org_name,
            progress.c.role_group, progress.c.role, progress.c.required, progress.c.counted,
            target, progress.c.study_required, progress.c.study_counted, study_target,
        )
        .where(or_(progress.c.counted < target, progress.c.study_counted < study_target))
        .order_by(gap.desc(), progress.c.real_name, progress.c.membership_id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = await session.execute(query)
    return [
        BehindRow(mid, pid, _name(real_name, tid), oid, org_name, TrainingGroup(group),
                  MemberRole(role), int(required), int(counted), int(due), int(s_req),
                  int(s_counted), int(s_due))
        for (mid, pid, real_name, tid, oid, org_name, group, role, required, counted, due,
             s_req, s_counted, s_due) in rows.all()
    ]


@dataclass(frozen=True)
class OnTrackRow:
    """Secretaries of one organization and how many are on track."""

    org_id: int
    org_name: str
    secretaries: int
    on_track: int

    @property
    def share(self) -> float | None:
        return self.on_track / self.secretaries if self.secretaries else None


@dataclass(frozen=True)
class OnTrackReport:
    """Secretaries on track for their yearly days, per organization and overall."""

    on: date
    rows: list[OnTrackRow]

    @property
    def secretaries(self) -> int:
        return sum(row.secretaries for row in self.rows)

    @property
    def on_track(self) -> int:
        return sum(row.on_track for row in self.rows)

    @property
    def share(self) -> float | None:
        return self.on_track / self.secretaries if self.secretaries else None


async def secretaries_on_track(
    session: AsyncSession,
    root_org_id: int,
    on: date,
    *,
    tz: tzinfo,
    policy: TrainingPolicy = DEFAULT_POLICY,
    roles: Collection[MemberRole] = (MemberRole.SECRETARY,),
) -> OnTrackReport:
    """For a subtree: secretaries whose counted training >= the pro-rata target, per org."""
    org_ids = await descendant_ids(session, {root_org_id})
    year = on.year
    progress = _progress(org_ids, year, tz, policy, extra=[Membership.role.in_(list(roles))])
    target = _target(progress.c.required, on, year)
    study_target = _target(progress.c.study_required, on, year)
    # On track on every requirement binding them (a leader: concentrated and study).
    both = and_(progress.c.counted >= target, progress.c.study_counted >= study_target)
    rows = await session.execute(
        select(
            progress.c.org_id, progress.c.org_name, func.count(),
            func.sum(case((both, _int(1)), else_=_int(0))),
        )
        .group_by(progress.c.org_id, progress.c.org_name)
        .order_by(progress.c.org_name, progress.c.org_id)
    )
    return OnTrackReport(
        on, [OnTrackRow(oid, name, int(n), int(ok or 0)) for oid, name, n, ok in rows.all()]
    )


# ---------------------------------------------------------------------------------------------
# Yearly export
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberYear:
    """One member's line in the export (minutes)."""

    membership_id: int
    name: str
    org_name: str
    group: TrainingGroup
    required: int
    counted: int
    pending: int
    target: int
    done_by_kind: Mapping[TrainingKind, int]
    # The members' yearly study, which binds leaders too (issue 14).
    study_required: int = 0
    study_counted: int = 0
    study_target: int = 0

    @property
    def progress(self) -> rules.Progress:
        return rules.Progress(self.required, self.counted, self.target)

    @property
    def study(self) -> rules.Progress:
        return rules.Progress(self.study_required, self.study_counted, self.study_target)

    @property
    def on_track(self) -> bool:
        """On track on every requirement binding the member."""
        return self.progress.on_track and self.study.on_track


@dataclass(frozen=True)
class CourseYear:
    """One course in the export: verified participants and their minutes in the year."""

    title: str
    organizer: str | None
    kind: TrainingKind
    starts_on: date
    ends_on: date
    participants: int
    minutes: int
    source: str = "record"  # or "lesson"


@dataclass(frozen=True)
class TrainingExport:
    org_name: str
    year: int
    on: date
    generated_at: datetime
    hours_per_day: int
    members: list[MemberYear]
    courses: list[CourseYear] = field(default_factory=list)


async def export_data(
    session: AsyncSession,
    org_ids: Collection[int] | None,
    year: int,
    *,
    org_name: str,
    tz: tzinfo,
    policy: TrainingPolicy = DEFAULT_POLICY,
    on: date | None = None,
) -> TrainingExport:
    """Everything the workbook shows for a year: a line per member, a line per course."""
    when = on if on is not None else date(year, 12, 31)
    progress = _progress(org_ids, year, tz, policy)
    target = _target(progress.c.required, when, year)
    study_target = _target(progress.c.study_required, when, year)
    member_rows = await session.execute(
        select(
            progress.c.membership_id, progress.c.real_name, progress.c.telegram_id,
            progress.c.org_name, progress.c.role_group, progress.c.required,
            progress.c.counted, progress.c.pending, target, progress.c.study_required,
            progress.c.study_counted, study_target,
            *[progress.c[f"k_{kind.value}"] for kind in TrainingKind],
        ).order_by(progress.c.org_name, progress.c.real_name, progress.c.membership_id)
    )
    kinds = list(TrainingKind)
    members = [
        MemberYear(
            row[0], _name(row[1], row[2]), row[3], TrainingGroup(row[4]), int(row[5]),
            int(row[6]), int(row[7]), int(row[8]),
            {kind: int(value) for kind, value in zip(kinds, row[12:], strict=True)},
            int(row[9]), int(row[10]), int(row[11]),
        )
        for row in member_rows.all()
    ]

    persons = select(Membership.person_id).where(*_counted_membership(org_ids))
    record_rows = await session.execute(
        select(
            func.min(TrainingRecord.title), func.min(TrainingRecord.organizer),
            TrainingRecord.kind, TrainingRecord.starts_on, TrainingRecord.ends_on,
            func.count(func.distinct(TrainingRecord.person_id)), func.sum(TrainingYear.minutes),
        )
        .join(TrainingYear, TrainingYear.record_id == TrainingRecord.id)
        .where(
            TrainingYear.year == year,
            TrainingRecord.state == TrainingState.VERIFIED,
            TrainingRecord.person_id.in_(persons),
        )
        .group_by(
            TrainingRecord.title_key, TrainingRecord.kind, TrainingRecord.starts_on,
            TrainingRecord.ends_on,
        )
    )
    courses = [
        CourseYear(title, organizer, kind, starts, ends, int(n), int(m or 0))
        for title, organizer, kind, starts, ends, n, m in record_rows.all()
    ]
    start, end = _year_bounds(year, tz)
    minutes = MinutesBetween(Meeting.starts_at, Meeting.ends_at)
    lesson_rows = await session.execute(
        select(
            Meeting.topic, Meeting.lecturer, Meeting.starts_at, Meeting.ends_at, func.count(),
            func.sum(minutes),
        )
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Membership, Membership.id == Attendance.membership_id)
        .where(
            Meeting.kind == MeetingKind.LESSON,
            Meeting.state == MeetingState.CLOSED,
            Attendance.status == AttendanceStatus.PRESENT,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
            Membership.person_id.in_(persons),
        )
        .group_by(Meeting.id, Meeting.topic, Meeting.lecturer, Meeting.starts_at, Meeting.ends_at)
    )
    courses += [
        CourseYear(topic, lecturer, TrainingKind.LESSON, starts.astimezone(tz).date(),
                   ends.astimezone(tz).date(), int(n), int(m or 0), "lesson")
        for topic, lecturer, starts, ends, n, m in lesson_rows.all()
    ]
    courses.sort(key=lambda c: (c.starts_on, c.title, c.source))
    return TrainingExport(
        org_name=org_name, year=year, on=when, generated_at=datetime.now(UTC).astimezone(tz),
        hours_per_day=policy.hours_per_day, members=members, courses=courses,
    )
