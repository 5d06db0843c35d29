"""Reporting duties overdue: per occurrence how many organizations have not handed it in, per
organization how many occurrences; and the duties as one organization sees them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from rules import duties as duty_rules
from rules.vocabulary import PartyOrgKind
from storage.duties import template_of
from storage.meetings import day_bounds
from storage.models import Duty, DutyCompletion, PartyOrganization
from storage.orgs import descendant_ids
from storage.overview.scope import Scope

DUTY_LOOKBACK = duty_rules.OVERDUE_HISTORY  # as long as /duties shows an open occurrence
# Duties whose audience is only the members (party dues) are not reports to the upper level.
REPORTING_AUDIENCES = frozenset({duty_rules.Audience.SECRETARIES, duty_rules.Audience.ADMINS})


@dataclass(frozen=True)
class OverdueDuty:
    """One occurrence of a reporting duty whose deadline passed, and who has not handed it in."""

    duty_id: int
    code: str | None
    title: str | None
    occurrence: str
    deadline: date
    organizations: int
    approximate: bool = False  # no official holiday schedule for the year (rules/workdays.py)


@dataclass(frozen=True)
class _Due:
    duty: Duty
    occurrence: duty_rules.DutyOccurrence
    within: frozenset[int] | None  # the duty's own subtree, None: everywhere


async def _overdue_occurrences(session: AsyncSession, today: date) -> list[_Due]:
    from storage.holiday_calendar import work_calendar

    duties = (await session.scalars(select(Duty).where(Duty.active.is_(True)))).all()
    cal = await work_calendar(session) if duties else None
    result: list[_Due] = []
    for duty in duties:
        template = template_of(duty)
        if not template.audience & REPORTING_AUDIENCES:
            continue
        # Per duty, not per branch: a handful of statements at most.
        within = (
            frozenset(await descendant_ids(session, {duty.party_organization_id}))
            if duty.party_organization_id is not None else None
        )
        # The same occurrences as /duties (storage/duties.py): since the duty exists.
        since = duty.created_at.date() if duty.created_at else today
        for occ in duty_rules.occurrences(template, today - DUTY_LOOKBACK, today, cal=cal):
            if since <= occ.deadline < today:
                result.append(_Due(duty, occ, within))
    return result


def _open_lines(dues: Sequence[_Due], scope: Scope, tz: tzinfo, org_id: int | None) -> Any:
    """(org_id, duty_id, occurrence) for each organization that has not handed one in."""
    selects = []
    for due in dues:
        _, end = day_bounds(due.occurrence.deadline, due.occurrence.deadline, tz)
        conditions: list[Any] = [
            PartyOrganization.created_at < end,  # it existed before the deadline
            *scope.where(PartyOrganization.id),
            ~exists().where(
                DutyCompletion.duty_id == due.duty.id,
                DutyCompletion.party_organization_id == PartyOrganization.id,
                DutyCompletion.occurrence == due.occurrence.key,
            ),
        ]
        # Duties fall on branches; committees report through their own leaders too.
        if due.duty.code != "secretary_report":
            conditions.append(PartyOrganization.kind != PartyOrgKind.COMMITTEE)
        if due.within is not None:
            conditions.append(PartyOrganization.id.in_(sorted(due.within)))
        if org_id is not None:
            conditions.append(PartyOrganization.id == org_id)
        selects.append(
            select(
                PartyOrganization.id.label("org_id"),
                literal(due.duty.id).label("duty_id"),
                literal(due.occurrence.key).label("occurrence"),
            ).where(*conditions)
        )
    return union_all(*selects).subquery("open_duties")


async def overdue_duties(
    session: AsyncSession, scope: Scope, *, today: date, tz: tzinfo, org_id: int | None = None
) -> tuple[list[OverdueDuty], dict[int, int]]:
    """Overdue reporting duties: per occurrence how many organizations, and per organization
    how many occurrences; two grouped queries over one UNION ALL (one SELECT per occurrence)."""
    dues = await _overdue_occurrences(session, today)
    if not dues:
        return [], {}
    lines = _open_lines(dues, scope, tz, org_id)
    per_due = dict(
        ((duty_id, occurrence), int(n))
        for duty_id, occurrence, n in (
            await session.execute(
                select(lines.c.duty_id, lines.c.occurrence, func.count())
                .group_by(lines.c.duty_id, lines.c.occurrence)
            )
        ).all()
    )
    per_org = {
        int(oid): int(n)
        for oid, n in (
            await session.execute(select(lines.c.org_id, func.count()).group_by(lines.c.org_id))
        ).all()
    }
    result = [
        OverdueDuty(due.duty.id, due.duty.code, due.duty.title, due.occurrence.key,
                    due.occurrence.deadline, per_due[(due.duty.id, due.occurrence.key)],
                    due.occurrence.approximate)
        for due in dues if per_due.get((due.duty.id, due.occurrence.key))
    ]
    result.sort(key=lambda d: (d.deadline, d.duty_id))
    return result, per_org


@dataclass(frozen=True)
class DutyLine:
    """A reporting duty as one organization sees it: the last deadline and the next one."""

    duty_id: int
    code: str | None
    title: str | None
    overdue: tuple[tuple[str, date], ...]  # (occurrence, deadline) not handed in
    next_occurrence: str | None
    next_deadline: date | None
    next_approximate: bool = False  # no official holiday schedule for the year
    overdue_approximate: frozenset[str] = frozenset()  # overdue occurrences estimated so


async def duties_of(session: AsyncSession, org: PartyOrganization, *, today: date,
                    tz: tzinfo) -> list[DutyLine]:
    """The reporting duties of one organization: overdue occurrences and the next deadline."""
    scope = Scope(frozenset({org.id}))
    dues = await _overdue_occurrences(session, today)
    open_keys: set[tuple[int, str]] = set()
    if dues:
        lines = _open_lines(dues, scope, tz, org.id)
        open_keys = {
            (int(d), str(o))
            for d, o in (await session.execute(select(lines.c.duty_id, lines.c.occurrence))).all()
        }
    duties = (await session.scalars(select(Duty).where(Duty.active.is_(True)))).all()
    from storage.holiday_calendar import work_calendar

    cal = await work_calendar(session)
    ancestors_and_self = None
    result: list[DutyLine] = []
    for duty in duties:
        template = template_of(duty)
        if not template.audience & REPORTING_AUDIENCES:
            continue
        if org.kind is PartyOrgKind.COMMITTEE and duty.code != "secretary_report":
            continue
        if duty.party_organization_id is not None:
            if ancestors_and_self is None:
                from storage.orgs import ancestor_ids

                ancestors_and_self = {org.id, *await ancestor_ids(session, org.id)}
            if duty.party_organization_id not in ancestors_and_self:
                continue
        overdue = tuple(
            (due.occurrence.key, due.occurrence.deadline) for due in dues
            if due.duty.id == duty.id and (duty.id, due.occurrence.key) in open_keys
        )
        upcoming = duty_rules.next_occurrence(template, today, inclusive=True,
                                              cal=cal)
        estimated = frozenset(
            due.occurrence.key for due in dues
            if due.duty.id == duty.id and due.occurrence.approximate
        )
        result.append(
            DutyLine(duty.id, duty.code, duty.title, overdue,
                     upcoming.key if upcoming else None, upcoming.deadline if upcoming else None,
                     bool(upcoming and upcoming.approximate), estimated)
        )
    result.sort(key=lambda d: (not d.overdue, d.next_deadline or date.max, d.duty_id))
    return result
