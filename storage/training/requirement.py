"""The yearly training requirement per organization: resolved up the tree, where it is set,
and overrides set or cleared by admins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from rules import training as rules
from rules.training import DEFAULT_POLICY, TrainingPolicy
from rules.vocabulary import TrainingGroup
from storage import audit
from storage.models import PartyOrganization, TrainingRequirement
from storage.training.errors import TrainingError
from storage.training.totals import sql_int

MAX_CHAIN_DEPTH = 64  # guards the upward walk against a (never expected) cycle in the tree


async def _chain(session: AsyncSession, org_id: int) -> list[int]:
    """org_id and its ancestors, nearest first, by one recursive query."""
    up = (
        select(
            PartyOrganization.id.label("org_id"),
            PartyOrganization.parent_id.label("parent_id"),
            sql_int(0).label("depth"),
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
