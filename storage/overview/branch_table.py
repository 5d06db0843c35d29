"""The branch table of the dashboard: one row per branch, sorted and filtered by column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import terms
from rules.vocabulary import MembershipState, PartyOrgKind
from storage.models import Membership, PartyOrganization, SocialOrganization
from storage.overview.compliance import BRANCH_KINDS
from storage.overview.scope import Scope
from storage.overview.summary import Overview


@dataclass(frozen=True)
class BranchRow:
    org_id: int
    name: str
    kind: PartyOrgKind
    parent_name: str | None
    members: int
    missing: int
    due: int
    term_ends_on: date | None
    term_overdue: bool
    duties_overdue: int
    secretaries: int
    secretaries_on_track: int
    social_orgs: int

    @property
    def status(self) -> str:
        """behind (a past period below its minimum), due (this period still open) or ok."""
        return "behind" if self.missing else "due" if self.due else "ok"


async def branch_rows(session: AsyncSession, scope: Scope, view: Overview) -> list[BranchRow]:
    """One line per branch in scope, from the overview plus two grouped queries."""
    parent = PartyOrganization.__table__.alias("parent")
    orgs = (
        await session.execute(
            select(
                PartyOrganization.id, PartyOrganization.name, PartyOrganization.kind,
                parent.c.name, PartyOrganization.term_started_on, PartyOrganization.term_years,
            )
            .outerjoin(parent, parent.c.id == PartyOrganization.parent_id)
            .where(PartyOrganization.kind.in_(BRANCH_KINDS), *scope.where(PartyOrganization.id))
        )
    ).all()
    members = dict(
        (
            await session.execute(
                select(Membership.party_organization_id, func.count())
                .join(PartyOrganization, PartyOrganization.id == Membership.party_organization_id)
                .where(Membership.state == MembershipState.ACTIVE,
                       PartyOrganization.kind.in_(BRANCH_KINDS),
                       *scope.where(PartyOrganization.id))
                .group_by(Membership.party_organization_id)
            )
        ).all()
    )
    socials = dict(
        (
            await session.execute(
                select(SocialOrganization.party_organization_id, func.count())
                .where(SocialOrganization.party_organization_id.is_not(None),
                       *scope.where(SocialOrganization.party_organization_id))
                .group_by(SocialOrganization.party_organization_id)
            )
        ).all()
    )
    compliance = {b.org_id: b for b in view.branches}
    result = []
    for oid, name, kind, parent_name, started, override in orgs:
        ends = terms.term_ends_on(started, kind, override) if started else None
        judged = compliance.get(oid)
        secretaries, ok = view.on_track_by_org.get(oid, (0, 0))
        result.append(
            BranchRow(
                oid, name, kind, parent_name, int(members.get(oid, 0)),
                judged.missing if judged else 0, judged.due if judged else 0,
                ends, ends is not None and ends <= view.today,
                view.overdue_by_org.get(oid, 0), secretaries, ok, int(socials.get(oid, 0)),
            )
        )
    return result


SORT_KEYS = ("name", "parent", "members", "status", "term", "duties", "training", "social")


def sort_rows(rows: Iterable[BranchRow], key: str, descending: bool) -> list[BranchRow]:
    """Sort branch rows by a column name from SORT_KEYS (unknown names sort by name)."""
    status_rank = {"behind": 2, "due": 1, "ok": 0}

    def value(row: BranchRow) -> Any:
        if key == "parent":
            return row.parent_name or ""
        if key == "members":
            return row.members
        if key == "status":
            return (status_rank[row.status], row.missing, row.due)
        if key == "term":
            return row.term_ends_on or date.max
        if key == "duties":
            return row.duties_overdue
        if key == "training":
            return row.secretaries_on_track / row.secretaries if row.secretaries else -1.0
        if key == "social":
            return row.social_orgs
        return row.name

    return sorted(rows, key=lambda r: (value(r), r.name, r.org_id), reverse=descending)


def filter_rows(rows: Iterable[BranchRow], text: str = "", status: str = "") -> list[BranchRow]:
    """Rows whose name or parent holds `text` (case-insensitive) and with the given status."""
    needle = text.strip().casefold()
    return [
        r for r in rows
        if (not needle or needle in r.name.casefold()
            or needle in (r.parent_name or "").casefold())
        and (not status or r.status == status)
    ]
