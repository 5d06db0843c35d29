"""The organization tree: party organizations, social organizations, 党小组, terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.terms import MAX_TERM_YEARS, MIN_TERM_YEARS
from rules.tree import GROUP_KINDS, MEMBER_KINDS, can_be_parent
from rules.vocabulary import MembershipState, PartyOrgKind, SocialOrgType
from storage import audit
from storage.models import Membership, PartyGroup, PartyOrganization, SocialOrganization


class TreeError(Exception):
    """A change that would break the tree; `code` is a message id, `name` the offending name."""

    def __init__(self, code: str, name: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.name = name


async def get_party_org(session: AsyncSession, org_id: int) -> PartyOrganization | None:
    return await session.get(PartyOrganization, org_id)


async def party_org_by_name(session: AsyncSession, name: str) -> PartyOrganization | None:
    return await session.scalar(select(PartyOrganization).where(PartyOrganization.name == name))


async def social_org_by_name(session: AsyncSession, name: str) -> SocialOrganization | None:
    return await session.scalar(
        select(SocialOrganization).where(SocialOrganization.name == name)
    )


async def descendant_ids(session: AsyncSession, root_ids: set[int]) -> set[int]:
    """The given organizations and everything below them, by a recursive query."""
    if not root_ids:
        return set()
    tree = (
        select(PartyOrganization.id)
        .where(PartyOrganization.id.in_(root_ids))
        .cte("tree", recursive=True)
    )
    tree = tree.union_all(
        select(PartyOrganization.id).where(PartyOrganization.parent_id == tree.c.id)
    )
    return set((await session.scalars(select(tree.c.id))).all())


async def ancestor_ids(session: AsyncSession, org_id: int) -> list[int]:
    """The chain of parents above org_id, nearest first."""
    chain: list[int] = []
    current = await session.get(PartyOrganization, org_id)
    while current is not None and current.parent_id is not None and current.parent_id not in chain:
        chain.append(current.parent_id)
        current = await session.get(PartyOrganization, current.parent_id)
    return chain


@dataclass(frozen=True)
class TreeRow:
    org: PartyOrganization
    depth: int
    active_members: int


async def party_tree(session: AsyncSession, root_ids: set[int] | None = None) -> list[TreeRow]:
    """Party organizations in tree order (depth-first, by name), with member counts."""
    orgs = list((await session.scalars(select(PartyOrganization))).all())
    counts = dict(
        (
            await session.execute(
                select(Membership.party_organization_id, func.count())
                .where(Membership.state == MembershipState.ACTIVE)
                .group_by(Membership.party_organization_id)
            )
        ).all()
    )
    children: dict[int | None, list[PartyOrganization]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)
    for siblings in children.values():
        siblings.sort(key=lambda o: o.name)
    by_id = {o.id: o for o in orgs}
    if root_ids is None:
        roots = children.get(None, [])
    else:
        # Only the topmost of the given roots, so nothing is listed twice.
        roots = sorted(
            (by_id[i] for i in root_ids if i in by_id and by_id[i].parent_id not in root_ids),
            key=lambda o: o.name,
        )
    rows: list[TreeRow] = []
    stack = [(o, 0) for o in reversed(roots)]
    seen: set[int] = set()
    while stack:
        org, depth = stack.pop()
        if org.id in seen:
            continue
        seen.add(org.id)
        rows.append(TreeRow(org, depth, int(counts.get(org.id, 0))))
        stack.extend((c, depth + 1) for c in reversed(children.get(org.id, [])))
    return rows


async def member_orgs(session: AsyncSession) -> list[PartyOrganization]:
    """Organizations people can register into, by name."""
    result = await session.scalars(
        select(PartyOrganization)
        .where(PartyOrganization.kind.in_(MEMBER_KINDS))
        .order_by(PartyOrganization.name)
    )
    return list(result.all())


async def find_member_orgs(session: AsyncSession, words: str, *, limit: int,
                           exclude: int | None = None) -> list[PartyOrganization]:
    """Organizations people can belong to whose name holds `words` (a transfer's destination
    in a province of thousands: typed, not paged through), by name."""
    result = await session.scalars(
        select(PartyOrganization)
        .where(PartyOrganization.kind.in_(MEMBER_KINDS),
               PartyOrganization.name.icontains(words, autoescape=True),
               PartyOrganization.id != (exclude or 0))
        .order_by(PartyOrganization.name, PartyOrganization.id)
        .limit(limit)
    )
    return list(result.all())


async def create_party_org(
    session: AsyncSession,
    *,
    name: str,
    kind: PartyOrgKind,
    parent_id: int | None,
    actor_telegram_id: int | None,
    term_started_on: date | None = None,
    term_years: int | None = None,
) -> PartyOrganization:
    if await party_org_by_name(session, name) is not None:
        raise TreeError("duplicate_party_org", name)
    parent = None
    if parent_id is not None:
        parent = await session.get(PartyOrganization, parent_id)
        if parent is None:
            raise TreeError("unknown_parent")
    if not can_be_parent(kind, parent.kind if parent else None):
        raise TreeError("bad_parent_kind", parent.name if parent else "")
    if term_years is not None and not MIN_TERM_YEARS <= term_years <= MAX_TERM_YEARS:
        raise TreeError("bad_term_years")
    org = PartyOrganization(
        name=name,
        kind=kind,
        parent_id=parent_id,
        term_started_on=term_started_on,
        term_years=term_years,
    )
    session.add(org)
    await session.flush()
    audit.record(
        session, actor_telegram_id, "party_org.create", "party_organization", org.id,
        after={"name": name, "kind": kind.value, "parent_id": parent_id},
    )
    return org


async def create_social_org(
    session: AsyncSession,
    *,
    name: str,
    org_type: SocialOrgType,
    party_org_id: int | None,
    actor_telegram_id: int | None,
) -> SocialOrganization:
    if await social_org_by_name(session, name) is not None:
        raise TreeError("duplicate_social_org", name)
    if party_org_id is not None and await session.get(PartyOrganization, party_org_id) is None:
        raise TreeError("unknown_parent")
    org = SocialOrganization(name=name, org_type=org_type, party_organization_id=party_org_id)
    session.add(org)
    await session.flush()
    audit.record(
        session, actor_telegram_id, "social_org.create", "social_organization", org.id,
        after={"name": name, "type": org_type.value, "party_organization_id": party_org_id},
    )
    return org


async def set_coverage(
    session: AsyncSession,
    social_org: SocialOrganization,
    party_org_id: int | None,
    actor_telegram_id: int | None,
) -> None:
    """Which party organization covers a social organization (None: not covered)."""
    before = social_org.party_organization_id
    social_org.party_organization_id = party_org_id
    audit.record(
        session, actor_telegram_id, "social_org.cover", "social_organization", social_org.id,
        before={"party_organization_id": before}, after={"party_organization_id": party_org_id},
    )


async def create_group(
    session: AsyncSession, *, org: PartyOrganization, name: str, actor_telegram_id: int | None
) -> PartyGroup:
    if org.kind not in GROUP_KINDS:
        raise TreeError("groups_only_in_branches", org.name)
    exists = await session.scalar(
        select(PartyGroup.id).where(
            PartyGroup.party_organization_id == org.id, PartyGroup.name == name
        )
    )
    if exists is not None:
        raise TreeError("duplicate_group", name)
    group = PartyGroup(party_organization_id=org.id, name=name)
    session.add(group)
    await session.flush()
    audit.record(
        session, actor_telegram_id, "party_group.create", "party_group", group.id,
        after={"name": name, "party_organization_id": org.id},
    )
    return group


async def groups_of(session: AsyncSession, org_id: int) -> list[PartyGroup]:
    result = await session.scalars(
        select(PartyGroup).where(PartyGroup.party_organization_id == org_id).order_by(
            PartyGroup.name
        )
    )
    return list(result.all())


async def set_term(
    session: AsyncSession,
    org: PartyOrganization,
    *,
    started_on: date | None,
    years: int | None,
    actor_telegram_id: int | None,
) -> None:
    """Record the committee's election date and, optionally, a non-default term length."""
    if years is not None and not MIN_TERM_YEARS <= years <= MAX_TERM_YEARS:
        raise TreeError("bad_term_years")
    before = {"term_started_on": org.term_started_on, "term_years": org.term_years}
    org.term_started_on = started_on
    org.term_years = years
    audit.record(
        session, actor_telegram_id, "party_org.term", "party_organization", org.id,
        before=before, after={"term_started_on": started_on, "term_years": years},
    )


async def social_orgs(session: AsyncSession) -> list[SocialOrganization]:
    result = await session.scalars(select(SocialOrganization).order_by(SocialOrganization.name))
    return list(result.all())


async def social_orgs_of(session: AsyncSession, party_org_id: int) -> list[SocialOrganization]:
    result = await session.scalars(
        select(SocialOrganization)
        .where(SocialOrganization.party_organization_id == party_org_id)
        .order_by(SocialOrganization.name)
    )
    return list(result.all())
