"""Audience: whom a notice is for (organizations with everything below them, the party
organizations covering social organizations, roles, statuses), never beyond its author's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from rules.vocabulary import MemberRole, MembershipState, MemberStatus
from storage.models import Membership, Person, SocialOrganization
from storage.orgs import descendant_ids


@dataclass(frozen=True)
class Audience:
    """Who a notice is for, inside its author's scope; an empty list means "any"."""

    orgs: tuple[int, ...] = ()  # party organizations, each with everything below it
    social: tuple[int, ...] = ()  # social organizations: the party organization covering them
    roles: tuple[MemberRole, ...] = ()
    statuses: tuple[MemberStatus, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "orgs": sorted(self.orgs), "social": sorted(self.social),
            "roles": sorted(r.value for r in self.roles),
            "statuses": sorted(s.value for s in self.statuses),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Audience:
        data = data or {}
        return cls(
            orgs=tuple(int(i) for i in data.get("orgs", ())),
            social=tuple(int(i) for i in data.get("social", ())),
            roles=tuple(MemberRole(r) for r in data.get("roles", ())),
            statuses=tuple(MemberStatus(s) for s in data.get("statuses", ())),
        )


async def scope_orgs(session: AsyncSession, scope_org_id: int | None) -> set[int] | None:
    """The organizations an author may address: None (admin) means all of them."""
    if scope_org_id is None:
        return None
    return {scope_org_id}


async def _target_orgs(
    session: AsyncSession, audience: Audience, scope: set[int] | None
) -> set[int] | None:
    """Party organizations whose members are addressed; None: the whole scope."""
    if not audience.orgs and not audience.social:
        return scope
    chosen = await descendant_ids(session, set(audience.orgs)) if audience.orgs else set()
    if audience.social:
        covering = await session.scalars(
            select(SocialOrganization.party_organization_id).where(
                SocialOrganization.id.in_(audience.social),
                SocialOrganization.party_organization_id.is_not(None),
            )
        )
        chosen |= {int(i) for i in covering.all() if i is not None}
    # Never beyond the author's scope, whatever the buttons said.
    return chosen if scope is None else chosen & scope


def _recipients_query(
    targets: set[int] | None, audience: Audience, exclude_person: int | None
) -> Select[int, int, str, int]:
    statement = (
        select(Person.id, Person.telegram_id, Person.language, Membership.party_organization_id)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.state == MembershipState.ACTIVE)
    )
    if targets is not None:
        statement = statement.where(Membership.party_organization_id.in_(targets))
    if audience.roles:
        statement = statement.where(Membership.role.in_(audience.roles))
    if audience.statuses:
        statement = statement.where(Membership.status.in_(audience.statuses))
    if exclude_person is not None:
        statement = statement.where(Person.id != exclude_person)
    return statement.distinct()


async def count_recipients(
    session: AsyncSession, audience: Audience, scope: set[int] | None,
    exclude_person: int | None = None,
) -> int:
    """Distinct people the audience reaches (overlapping choices count once)."""
    targets = await _target_orgs(session, audience, scope)
    if targets is not None and not targets:
        return 0
    inner = _recipients_query(targets, audience, exclude_person).subquery()
    return int(await session.scalar(select(func.count()).select_from(inner)) or 0)


@dataclass(frozen=True)
class Recipient:
    person_id: int
    telegram_id: int
    language: str
    org_id: int


async def recipients(
    session: AsyncSession, audience: Audience, scope: set[int] | None,
    exclude_person: int | None = None,
) -> list[Recipient]:
    targets = await _target_orgs(session, audience, scope)
    if targets is not None and not targets:
        return []
    rows = await session.execute(_recipients_query(targets, audience, exclude_person))
    return [Recipient(int(a), int(b), str(c), int(d)) for a, b, c, d in rows.all()]
