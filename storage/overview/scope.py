"""Who sees what: the organizations a viewer oversees, and the SQL conditions that keep a
query inside them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false

from rules.permissions import Actor


@dataclass(frozen=True)
class Scope:
    """The organizations a viewer oversees; org_ids None means every organization (admins)."""

    org_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.org_ids is None

    def covers(self, org_id: int) -> bool:
        return self.org_ids is None or org_id in self.org_ids

    def where(self, column: Any) -> list[Any]:
        """SQL conditions restricting an organization id column to the scope."""
        if self.org_ids is None:
            return []
        if not self.org_ids:
            return [false()]
        return [column.in_(sorted(self.org_ids))]


def scope_of(actor: Actor) -> Scope | None:
    """Admins oversee everything; secretaries and deputies their organization and below."""
    if actor.is_admin:
        return Scope(None)
    if actor.leads_a_branch and actor.managed_org_ids:
        return Scope(frozenset(actor.managed_org_ids))
    return None
