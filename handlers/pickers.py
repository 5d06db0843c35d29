"""The organization picker many commands share: a paged choice of the organizations the actor
runs (admins: all of them); no organization says so, one opens at once, several ask.

`Picker` is for actions on the kit (handlers/kit/actions.py). `OrgPicker`, `open_picker`,
`turn_picker_page` and `leader_actor` serve the features still written as plain handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.kit.actions import Act, Reply
from handlers.kit.buttons import ButtonData, OrgId
from handlers.kit.chat import answer, current_actor, require, send, show
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Translator, translator
from handlers.kit.ui import button, paged
from rules.permissions import Actor
from rules.tree import MEMBER_KINDS
from storage import orgs as org_store
from storage.orgs import TreeRow


async def managed_orgs(
    session: AsyncSession, actor: Actor, *, member_kinds_only: bool
) -> list[TreeRow]:
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
        return await managed_orgs(act.session, act.actor,
                                  member_kinds_only=self.member_kinds_only)

    async def open(
        self, act: Act, *, nothing: str, on_one: Callable[[OrgId], Awaitable[Reply | None]]
    ) -> Reply | None:
        """A command: no organization says `nothing`, one opens at once, several ask."""
        rows = await self.rows(act)
        if not rows:
            return Reply(act.t(nothing))
        if len(rows) == 1:
            return await on_one(OrgId(rows[0].org.id))
        return self.reply(act.t, rows, 0)

    async def turn(self, act: Act, page: int) -> Reply:
        """Another page."""
        return self.reply(act.t, await self.rows(act), page)


# --- for features written as plain handlers -----------------------------------------------


async def leader_actor(
    session: AsyncSession, update: Update, context: BranchContext, what: str
) -> Actor:
    """The sender, refused unless they lead a branch or are an admin."""
    actor = await current_actor(session, update, context)
    require(actor.is_admin or actor.leads_a_branch, update, what)
    return actor


def org_buttons(
    rows: list[TreeRow], target: tuple[object, ...], suffix: tuple[object, ...] = ()
) -> list[InlineKeyboardButton]:
    """One button per organization, indented by depth; data is target + org id + suffix."""
    return [button(org_label(row), *target, row.org.id, *suffix) for row in rows]


@dataclass(frozen=True)
class OrgPicker:
    """A picker whose buttons are callback data parts (target + org id + suffix)."""

    prompt: str  # message id
    target: tuple[object, ...]  # callback data before the org id
    nav: tuple[object, ...]  # callback data before the page number
    suffix: tuple[object, ...] = ()  # callback data after the org id
    member_kinds_only: bool = True

    def markup(self, t: Translator, rows: list[TreeRow], page: int) -> InlineKeyboardMarkup:
        return paged(t, org_buttons(rows, self.target, self.suffix), page, self.nav)


async def turn_picker_page(
    update: Update, context: BranchContext, picker: OrgPicker, page: int
) -> None:
    """Show one page of an organization picker (after checking the presser leads)."""
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, f"{picker.nav[0]} picker")
        rows = await managed_orgs(session, actor, member_kinds_only=picker.member_kinds_only)
    await answer(update)
    t = translator(actor.language)
    await show(update, t(picker.prompt), reply_markup=picker.markup(t, rows, page))


async def open_picker(
    update: Update,
    context: BranchContext,
    picker: OrgPicker,
    *,
    purpose: str,
    nothing: str,
    on_one: Callable[[int], Awaitable[object]],
    page: int = 0,
) -> None:
    """A leader's command: no organization says `nothing`, one opens at once, several ask."""
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, purpose)
        rows = await managed_orgs(session, actor, member_kinds_only=picker.member_kinds_only)
    t = translator(actor.language)
    if not rows:
        await send(update, t(nothing))
    elif len(rows) == 1:
        await on_one(rows[0].org.id)
    else:
        await show(update, t(picker.prompt), reply_markup=picker.markup(t, rows, page))
