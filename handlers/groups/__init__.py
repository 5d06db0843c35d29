"""/group: a leader links the branch's group chat (issue 18). In private they get a one-time
code (and a button that adds the bot to a group with it); sent in the group, as
`/link CODE` or by that button's `/start link-CODE`, it links the group to the branch if the
sender leads it. A group is unlinked by a leader, or when the bot is removed from it. A leader
gets an invite link to the linked group that asks to join; the bot decides the requests
(joins.py). Each 党小组 of the branch may get its own chat the same way, with a code made for it
(only a leader of the branch links or unlinks one); its meetings are posted there.

The group only ever hears that it was linked, or why a code did not work: nothing personal.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    filters,
)

from handlers.access.orgs import access_led_org
from handlers.groups import joins, views
from handlers.kit.actions import ANYONE, LEADERS, Act, Action, Command, CommandArgs, Reply, render
from handlers.kit.buttons import OrgId
from handlers.kit.chat import Refused
from handlers.kit.context import BranchContext
from handlers.kit.i18n import N_, Html, html_join
from handlers.kit.pseudonyms import pseudonym
from handlers.pickers import Picker
from handlers.privacy import group_link_code
from rules.permissions import can_manage_org
from rules.tree import MEMBER_KINDS
from storage import branch_chats, orgs
from storage.models import PartyGroup, PartyOrganization

__all__ = ["ACTIONS", "register"]

logger = logging.getLogger(__name__)

# After privacy (-90), which lets a group's link commands through, before every feature.
GROUP = -80

NO_RIGHTS = "not enough rights"  # Telegram's refusal when the bot may not invite users

PICKER = Picker(views.PICK, pick=views.ShowGroup, page=views.GroupPage)


async def group_org(act: Act, org_id: OrgId) -> PartyOrganization:
    """A branch the actor runs (groups link to branches, where members are)."""
    org = await access_led_org(act, org_id)
    if org.kind not in MEMBER_KINDS:
        raise Refused(views.NO_BRANCH)
    return org


async def open_groups(act: Act, _: CommandArgs) -> Reply | None:
    return await PICKER.open(act, nothing=views.NOTHING,
                             on_one=lambda org: show_group(act, views.ShowGroup(org)))


async def group_of(act: Act, org: PartyOrganization, group_id: int | None
                   ) -> PartyGroup | None:
    """The branch's 党小组 a press names (None: the branch itself); another's is refused."""
    if group_id is None:
        return None
    group = await branch_chats.party_group(act.session, org.id, group_id)
    if group is None:
        raise Refused(views.NO_PARTY_GROUP)
    return group


async def show_group(act: Act, press: views.ShowGroup) -> Reply:
    org = await group_org(act, press.org)
    linked = await branch_chats.current_chat(act.session, org.id)
    chats = await branch_chats.party_group_chats(act.session, org.id)
    groups = [views.PartyGroupChat(g.id, g.name, chats[g.id].title if g.id in chats else None)
              for g in await orgs.groups_of(act.session, org.id)]
    if linked is None:
        return views.group_view(act.t, OrgId(org.id), org.name, None, None, groups)
    return views.group_view(act.t, OrgId(org.id), org.name, linked.title,
                            act.local(linked.linked_at), groups)


async def new_code(act: Act, press: views.NewLinkCode) -> Reply:
    org = await group_org(act, press.org)
    group = await group_of(act, org, press.group)
    code = await branch_chats.new_code(act.session, org.id, by=act.actor.telegram_id,
                                       now=act.now(), group_id=group.id if group else None)
    logger.info("user %s made a group link code for org %s (party group %s)",
                pseudonym(act.actor.telegram_id), org.id, press.group)
    return views.code_view(act.t, OrgId(org.id), org.name, act.context.bot.username, code.code,
                           act.local(code.expires_at), group.name if group else None)


async def join_link(act: Act, press: views.JoinLink) -> Reply | None:
    """A new link to the branch's group that asks to join (handlers/groups/joins decides the
    requests). Links are not stored: each press makes a fresh one, after the session closes."""
    org = await group_org(act, press.org)
    linked = await branch_chats.current_chat(act.session, org.id, press.group)
    if linked is None:  # unlinked since, or a forged 党小组 of another branch
        return await show_group(act, views.ShowGroup(press.org))
    chat_id, title, branch, org_id = linked.chat_id, linked.title, org.name, OrgId(org.id)
    group = press.group
    update, bot, t = act.update, act.context.bot, act.t

    async def make() -> None:
        try:
            made = await bot.create_chat_invite_link(chat_id, name=branch[:32],
                                                     creates_join_request=True)
            reply = views.join_link_view(t, org_id, branch, title, made.invite_link)
        except BadRequest as exc:
            logger.info("no invite link for the group of org %s: %s", org_id, exc)
            reply = (views.no_invite_right(t, org_id, title, group)
                     if NO_RIGHTS in str(exc).lower() else views.link_failed(t, org_id, group))
        except TelegramError as exc:
            logger.warning("no invite link for the group of org %s: %s", org_id, exc)
            reply = views.link_failed(t, org_id, group)
        await render(update, reply)

    act.after(make)
    logger.info("user %s asked for a join link to the group of org %s",
                pseudonym(act.actor.telegram_id), org.id)
    return None


async def ask_unlink(act: Act, press: views.AskUnlink) -> Reply:
    org = await group_org(act, press.org)
    group = await group_of(act, org, press.group)
    linked = await branch_chats.current_chat(act.session, org.id, group.id if group else None)
    if linked is None:
        return await show_group(act, views.ShowGroup(press.org))
    return views.ask_unlink(act.t, OrgId(org.id), org.name, linked.title, press.group)


async def unlink(act: Act, press: views.Unlink) -> Reply:
    org = await group_org(act, press.org)
    group = await group_of(act, org, press.group)
    linked = await branch_chats.current_chat(act.session, org.id, group.id if group else None)
    if linked is None:
        return await show_group(act, views.ShowGroup(press.org))
    branch_chats.unlink(act.session, linked, by=act.actor.telegram_id, now=act.now(),
                        why="leader")
    reply = await show_group(act, views.ShowGroup(press.org))
    return Reply(html_join("\n\n", [views.unlinked(act.t, org.name, linked.title), reply.text]),
                 reply.markup)


async def link_here(act: Act, _: CommandArgs) -> Reply | None:
    """`/link CODE` (or the add-to-group button's `/start link-CODE`) typed in a group."""
    chat, message = act.update.effective_chat, act.update.effective_message
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return Reply(act.t(views.NOT_A_GROUP))
    typed = group_link_code(message, act.context.bot.username) if message else None
    code = await branch_chats.usable_code(act.session, typed or "", act.now())
    if code is None:
        _in_group(act, act.t(views.CODE_UNUSABLE))
        return None
    if not can_manage_org(act.actor, code.party_organization_id):
        logger.warning("refused a group link for user %s", pseudonym(act.actor.telegram_id))
        _in_group(act, act.t(views.NOT_LEADER))
        return None
    org = await act.session.get(PartyOrganization, code.party_organization_id)
    assert org is not None
    group = (await branch_chats.party_group(act.session, org.id, code.party_group_id)
             if code.party_group_id is not None else None)
    await branch_chats.link(act.session, code, chat_id=chat.id, title=chat.title or "",
                            language=act.actor.language, by=act.actor.telegram_id,
                            now=act.now())
    _in_group(act, act.t(views.LINKED, branch=org.name) if group is None
              else act.t(views.LINKED_PARTY_GROUP, group=group.name, branch=org.name))
    return None


def _in_group(act: Act, text: Html) -> None:
    """Say it in the group (nothing personal), under the command."""
    message = act.update.effective_message
    assert message is not None

    async def post() -> None:
        try:
            await message.reply_text(text)
        except TelegramError as exc:  # e.g. the bot may no longer write there
            logger.info("could not answer a link in a group: %s", exc)

    act.after(post)


LINK = Action(Command("link"), ANYONE, link_here)


async def link_in_group(update: Update, context: BranchContext) -> None:
    """A group's link command: handled here, and nothing else sees it."""
    if group_link_code(update.message, context.bot.username) is not None:
        await LINK.perform(update, context)
        raise ApplicationHandlerStop


async def bot_left(update: Update, context: BranchContext) -> None:
    """The bot was removed from a group (or the group was deleted): its link ends."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    if change.new_chat_member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        raise ApplicationHandlerStop
    async with context.db.session() as session:
        linked = await branch_chats.chat_link(session, change.chat.id)
        if linked is not None:
            branch_chats.unlink(session, linked, by=change.from_user.id, now=context.now(),
                                why="bot removed")
            logger.info("the bot left the group of org %s", linked.party_organization_id)
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler(["link", "start"], link_in_group,
                                   filters=filters.ChatType.GROUPS), group=GROUP)
    app.add_handler(ChatMemberHandler(bot_left, ChatMemberHandler.MY_CHAT_MEMBER), group=GROUP)
    app.add_handler(ChatJoinRequestHandler(joins.join_request), group=GROUP)


ACTIONS = (
    Action(Command("group", description=N_("Link the branch's group chat")), LEADERS,
           open_groups),
    Action(views.GroupPage, LEADERS, PICKER.turn_page),
    Action(views.ShowGroup, LEADERS, show_group),
    Action(views.NewLinkCode, LEADERS, new_code),
    Action(views.JoinLink, LEADERS, join_link),
    Action(views.AskUnlink, LEADERS, ask_unlink),
    Action(views.Unlink, LEADERS, unlink),
    LINK,
)

