"""The organization picker many commands share: a paged choice of the organizations the actor
runs (admins: all of them); no organization says so, one opens at once, several ask.

`Picker` carries button families (handlers/kit/buttons.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.kit.actions import Act, Reply
from handlers.kit.buttons import ButtonData, OrgId
from handlers.kit.flows import Option
from handlers.kit.i18n import Translator
from handlers.kit.ui import paged
from rules.permissions import Actor
from rules.tree import MEMBER_KINDS
from storage import orgs as org_store
from storage.orgs import TreeRow


async def managed_orgs(session: AsyncSession, actor: Actor, *,
                       member_kinds_only: bool) -> list[TreeRow]:
    """The organizations the actor runs, in tree order (admins: all of them)."""
    roots = None if actor.is_admin else set(actor.managed_org_ids)
    rows = await org_store.party_tree(session, roots)
    if member_kinds_only:
        rows = [row for row in rows if row.org.kind in MEMBER_KINDS]
    return rows


def org_label(row: TreeRow) -> str:
    """An organization's button text, indented by its depth in the tree."""
    return "· " * row.depth + row.org.name


@dataclass(frozen=True)
class Picker:
    """A picker on the kit: each organization's button carries `pick(org)`, a page `page(n)`."""

    prompt: str  # message id
    pick: Callable[[OrgId], ButtonData]
    page: Callable[[int], ButtonData]
    member_kinds_only: bool = True

    def reply(self, t: Translator, rows: list[TreeRow], page: int) -> Reply:
        items = [self.pick(OrgId(row.org.id)).button(org_label(row)) for row in rows]
        return Reply(t(self.prompt), paged(t, items, page, self.page))

    async def rows(self, act: Act) -> list[TreeRow]:
        return await managed_orgs(act.session, act.actor, member_kinds_only=self.member_kinds_only)

    async def open(self, act: Act, *, nothing: str,
                   on_one: Callable[[OrgId], Awaitable[Reply | None]]) -> Reply | None:
        """A command: no organization says `nothing`, one opens at once, several ask."""
        rows = await self.rows(act)
        if not rows:
            return Reply(act.t(nothing))
        if len(rows) == 1:
            return await on_one(OrgId(rows[0].org.id))
        return self.reply(act.t, rows, 0)

    async def turn(self, act: Act, page: int) -> Reply:
        return self.reply(act.t, await self.rows(act), page)

    async def turn_page(self, act: Act, press: Any) -> Reply:
        """An action's run: the page a page button (a family with a `page`) points at."""
        return await self.turn(act, press.page)


async def group_options(act: Act, form: Any) -> list[Option]:
    """The party groups of the form's organization (`form.org`)."""
    return [Option(str(g.id), g.name) for g in await org_store.groups_of(act.session, form.org)]
