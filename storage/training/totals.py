"""SQL building blocks of the training views: a person's minutes of a year (logged records and
lessons attended), the yearly requirement in force down the tree, each counted membership's
progress and its pro-rata target, with a fixed number of statements whatever the members."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    func,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from rules import training as rules
from rules.meetings import MEMBER_STATUSES
from rules.training import LEADER_ROLES, TrainingPolicy
from rules.vocabulary import MembershipState, TrainingGroup, TrainingKind, TrainingState
from storage.models import (
    LessonAttendance,
    Membership,
    PartyOrganization,
    Person,
    TrainingRecord,
    TrainingRequirement,
    TrainingYear,
)
from storage.sql_functions import MinutesBetween
from storage.training_overlap import counted_once

# Records that count (verified) or may count (pending) toward a year.
OPEN_STATES = (TrainingState.PENDING, TrainingState.VERIFIED)


def sql_int(value: int) -> ColumnElement[int]:
    """An integer constant written into the SQL (typed the same on both dialects)."""
    return literal_column(str(int(value)), Integer)


def _word(value: str) -> ColumnElement[str]:
    """One of our own enum values as an SQL string constant."""
    assert value.isidentifier(), value
    return literal_column(f"'{value}'", String)


def year_bounds(year: int, tz: tzinfo) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _is_leader() -> ColumnElement[bool]:
    # rules.training.role_group: 书记, 副书记, 委员 are leaders (activists are excluded apart).
    return Membership.role.in_(LEADER_ROLES)


def counted_membership(org_ids: Collection[int] | None) -> list[ColumnElement[bool]]:
    """Active party members (not activists: no requirement), optionally of some orgs."""
    conditions = [
        Membership.state == MembershipState.ACTIVE,
        Membership.status.in_(MEMBER_STATUSES),
    ]
    if org_ids is not None:
        conditions.append(Membership.party_organization_id.in_(sorted(org_ids)))
    return conditions


def year_facts(year: int, tz: tzinfo, persons: Any | None) -> Any:
    """(person_id, kind, state, minutes) of `year`: logged records UNION ALL lessons attended.

    `persons` restricts to some person ids (a list or a SELECT of ids); None means everyone.
    """
    start, end = year_bounds(year, tz)
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
        return func.sum(case((condition, facts.c.minutes), else_=sql_int(0)))

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
            leader.required_minutes, sql_int(policy.required_minutes[TrainingGroup.LEADER])
        ).label("leader_minutes"),
        func.coalesce(
            member.required_minutes, sql_int(policy.required_minutes[TrainingGroup.MEMBER])
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


def member_progress(
    org_ids: Collection[int] | None, year: int, tz: tzinfo, policy: TrainingPolicy,
    extra: Sequence[ColumnElement[bool]] = (),
) -> Any:
    """Per counted membership: required, counted and pending minutes and verified per kind."""
    required_tree = _requirements_cte(policy)
    persons = (
        select(Membership.person_id).where(*counted_membership(org_ids), *extra)
        if org_ids is not None
        else None
    )
    sums = _sums(year_facts(year, tz, persons), policy)
    leader = _is_leader()

    def by_group(leader_value: Any, member_value: Any) -> ColumnElement[int]:
        return case((leader, leader_value), else_=member_value)

    def zero(column: Any) -> ColumnElement[int]:
        return func.coalesce(column, sql_int(0))

    defaults = policy.required_minutes
    study_minutes = func.coalesce(
        required_tree.c.member_minutes, sql_int(defaults[TrainingGroup.MEMBER])
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
                    required_tree.c.leader_minutes, sql_int(defaults[TrainingGroup.LEADER])
                ),
                func.coalesce(
                    required_tree.c.member_minutes, sql_int(defaults[TrainingGroup.MEMBER])
                ),
            ).label("required"),
            by_group(zero(sums.c.leader_c), zero(sums.c.member_c)).label("counted"),
            by_group(zero(sums.c.leader_p), zero(sums.c.member_p)).label("pending"),
            # The members' yearly study, which binds leaders too (policy.binds, issue 14).
            (by_group(sql_int(0), study_minutes) if not leaders_study else study_minutes).label(
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
        .where(*counted_membership(org_ids), *extra)
        .subquery("progress")
    )


def sql_pro_rata_target(required: Any, on: date, year: int) -> ColumnElement[int]:
    """rules.training.pro_rata_target in SQL: ceil(required × elapsed / days), integers only."""
    elapsed, total = rules.elapsed_days(on, year)
    result: ColumnElement[int] = (
        (required * sql_int(elapsed) + sql_int(total - 1)) // sql_int(total)
    )
    return result


def display_name(real_name: str | None, telegram_id: int) -> str:
    return real_name or str(telegram_id)
