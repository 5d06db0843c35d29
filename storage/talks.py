"""One-to-one talks (谈心谈话) kept per branch: record one, the year's talks, and who the rule
(rules/talks.py) still asks a talk with this year, worked out in SQL.

A talk holds its date, with whom, by whom and the topic in a few words: no minutes. Writes are
audited without the topic (the audit says a talk was recorded, not what about).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rules import talks as rules
from rules.tree import MEMBER_KINDS
from rules.vocabulary import MemberRole, MembershipState
from storage import audit
from storage.models import Membership, PartyOrganization, Person, Talk


class TalkError(Exception):
    """A talk refused; `code` is a key of the handlers' messages."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class TalkLine:
    """One recorded talk as the branch's leaders see it."""

    id: int
    held_on: date
    person_id: int
    name: str
    by_person_id: int
    by_name: str
    topic: str


@dataclass(frozen=True)
class Candidate:
    """A party member of the branch one may record a talk with; `owed`: the rule still asks
    for a talk with them this year."""

    person_id: int
    name: str
    role: MemberRole
    talks: int  # this year
    owed: bool


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _party_members(org_id: int) -> list[ColumnElement[bool]]:
    return [Membership.party_organization_id == org_id,
            Membership.state == MembershipState.ACTIVE,
            Membership.status.in_(rules.OWED_TO_STATUSES)]


def _talked_with(org_id: Any, person_id: Any, year: int) -> Exists:
    first, last = year_bounds(year)
    return exists().where(Talk.party_organization_id == org_id, Talk.person_id == person_id,
                          Talk.held_on.between(first, last))


async def record_talk(
    session: AsyncSession, *, org_id: int, person_id: int, by_person_id: int, held_on: date,
    topic: str, by: int, now: datetime,
) -> Talk:
    """A talk with an active party member of the branch, held by someone else."""
    if person_id == by_person_id:
        raise TalkError("with_oneself")
    member = await session.scalar(
        select(Membership.id).where(*_party_members(org_id), Membership.person_id == person_id))
    if member is None:
        raise TalkError("not_a_member")
    talk = Talk(party_organization_id=org_id, held_on=held_on, person_id=person_id,
                by_person_id=by_person_id, topic=topic, created_at=now, created_by=by)
    session.add(talk)
    await session.flush()
    audit.record(session, by, "talk.recorded", "person", person_id, talk=talk.id, org=org_id,
                 held_on=held_on.isoformat())
    return talk


async def talks_in(session: AsyncSession, org_id: int, first: date, last: date,
                   *, limit: int | None = None) -> list[TalkLine]:
    """The branch's talks held between two days (inclusive), the latest first."""
    by = aliased(Person)
    query = (
        select(Talk.id, Talk.held_on, Talk.person_id, Person.real_name, Talk.by_person_id,
               by.real_name, Talk.topic)
        .join(Person, Person.id == Talk.person_id)
        .join(by, by.id == Talk.by_person_id)
        .where(Talk.party_organization_id == org_id, Talk.held_on.between(first, last))
        .order_by(Talk.held_on.desc(), Talk.id.desc())
        .limit(limit)
    )
    return [TalkLine(i, day, person, name or "", by_id, by_name or "", topic)
            for i, day, person, name, by_id, by_name, topic in (await session.execute(query))]


async def count_in_year(session: AsyncSession, org_id: int, year: int) -> int:
    first, last = year_bounds(year)
    return int(await session.scalar(
        select(func.count()).select_from(Talk)
        .where(Talk.party_organization_id == org_id, Talk.held_on.between(first, last))) or 0)


async def candidates(session: AsyncSession, org_id: int, year: int, *,
                     besides: int | None = None, only: int | None = None) -> list[Candidate]:
    """The branch's party members (all but `besides`, who records; only `only` if given),
    those the rule still asks a talk with first, then by name."""
    first, last = year_bounds(year)
    held = (
        select(Talk.person_id, func.count().label("talks"))
        .where(Talk.party_organization_id == org_id, Talk.held_on.between(first, last))
        .group_by(Talk.person_id).subquery()
    )
    count = func.coalesce(held.c.talks, 0)
    owed = and_(Membership.role.in_(rules.OWED_TO_ROLES), count == 0)
    query = (
        select(Person.id, Person.real_name, Membership.role, count, case((owed, 1), else_=0))
        .join(Membership, Membership.person_id == Person.id)
        .outerjoin(held, held.c.person_id == Person.id)
        .where(*_party_members(org_id))
        .order_by(case((owed, 0), else_=1), Person.real_name, Person.id)
    )
    if besides is not None:
        query = query.where(Person.id != besides)
    if only is not None:
        query = query.where(Person.id == only)
    return [Candidate(person_id, name or "", role, int(talks), bool(is_owed))
            for person_id, name, role, talks, is_owed in await session.execute(query)]


async def not_talked_with(session: AsyncSession, org_id: int, year: int) -> list[Candidate]:
    """Whom the rule still asks a talk with this year, by name."""
    query = (
        select(Person.id, Person.real_name, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(*_party_members(org_id), Membership.role.in_(rules.OWED_TO_ROLES),
               ~_talked_with(org_id, Person.id, year))
        .order_by(Person.real_name, Person.id)
    )
    return [Candidate(person_id, name or "", role, 0, True)
            for person_id, name, role in await session.execute(query)]


@dataclass(frozen=True)
class BranchBehind:
    """A branch with members not talked with yet this year, and its secretaries' person ids."""

    org_id: int
    name: str
    count: int
    secretaries: tuple[int, ...]


async def behind_by_branch(session: AsyncSession, year: int,
                           org_ids: Collection[int] | None = None) -> list[BranchBehind]:
    """Every branch (or these; organizations with members) with a secretary and members not
    talked with yet this year: one grouped query, whatever the number of branches."""
    owed = (
        select(Membership.party_organization_id.label("org_id"), func.count().label("count"))
        .where(Membership.state == MembershipState.ACTIVE,
               Membership.status.in_(rules.OWED_TO_STATUSES),
               Membership.role.in_(rules.OWED_TO_ROLES),
               ~_talked_with(Membership.party_organization_id, Membership.person_id, year))
        .group_by(Membership.party_organization_id).subquery()
    )
    secretary = aliased(Membership)
    query = (
        select(PartyOrganization.id, PartyOrganization.name, owed.c.count, secretary.person_id)
        .join(owed, owed.c.org_id == PartyOrganization.id)
        .where(PartyOrganization.kind.in_(MEMBER_KINDS))
        .join(secretary, and_(secretary.party_organization_id == PartyOrganization.id,
                              secretary.state == MembershipState.ACTIVE,
                              secretary.role == rules.OWED_BY))
        .order_by(PartyOrganization.id, secretary.person_id)
    )
    if org_ids is not None:
        query = query.where(PartyOrganization.id.in_(org_ids))
    found: dict[int, BranchBehind] = {}
    for org_id, name, count, person_id in await session.execute(query):
        known = found.get(org_id)
        heads = (*known.secretaries, person_id) if known else (person_id,)
        found[org_id] = BranchBehind(org_id, name, int(count), heads)
    return list(found.values())
