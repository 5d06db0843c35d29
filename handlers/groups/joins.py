"""Joining the branch's group (issue 18): the bot decides each request to join a linked group
(made through the invite link a leader gets from /group; rules/group_joins: members,
activists and leaders in, others out).

The person who asked hears the answer in private (Telegram lets a bot write to someone who
asked to join for 5 minutes while the request waits, so it is sent before the decision);
each declined person is told to the branch's leaders through the outbox, once a day at most.
A request to a group that is not linked is left to the group's human administrators.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from handlers.groups import views
from handlers.invites.views import invite_link
from handlers.kit.chat import DIRECT_HOLD, language_of
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Html, translator
from handlers.kit.pseudonyms import pseudonym
from rules.group_joins import ADMITTED, Placement, place
from rules.permissions import can_manage_org
from storage import branch_chats, invites, people
from storage.models import PartyOrganization
from storage.outbox import DIRECT_KIND, Planned, enqueue

logger = logging.getLogger(__name__)

async def join_request(update: Update, context: BranchContext) -> None:
    """Approve or decline a request to join a linked group (module docstring)."""
    request = update.chat_join_request
    if request is None:
        return
    user, now = request.from_user, context.now()
    async with context.db.session() as session:
        linked = await branch_chats.chat_link(session, request.chat.id)
        org = (await session.get(PartyOrganization, linked.party_organization_id)
               if linked is not None else None)
        if linked is None or org is None:
            logger.info("a join request to a group that is not linked is left waiting")
            raise ApplicationHandlerStop
        actor = await people.load_actor(session, user.id, admins=context.settings.admins,
                                        language=language_of(update, context))
        membership = (await people.current_membership(session, actor.person_id)
                      if actor.person_id is not None else None)
        if membership is not None and membership.party_organization_id != org.id:
            membership = None  # another branch's member is a stranger here
        in_group = linked.party_group_id is None or (
            membership is not None and membership.party_group_id == linked.party_group_id)
        placement = place(membership.state if membership else None,
                          membership.status if membership else None,
                          leads=can_manage_org(actor, org.id), in_group=in_group)
        t = translator(actor.language)
        told: Sequence[str] = ()
        if placement in ADMITTED:
            text = views.welcome(t, org.name, linked.title)
        else:
            invite = await invites.current_invite(session, org.id, now)
            link = invite_link(context.bot.username, invite.code) if invite else None
            text = views.declined(t, placement, org.name, linked.title, link)
            told = await _tell_leaders(session, context, org, linked.title, user, placement, now)
    approve = placement in ADMITTED
    try:  # before the decision: Telegram lets the bot write to them only while it waits
        await context.bot.send_message(request.user_chat_id, text)
    except TelegramError as exc:
        logger.info("could not answer join request of user %s: %s", pseudonym(user.id), exc)
    try:
        if approve:
            await request.approve()
        else:
            await request.decline()
    except TelegramError as exc:
        logger.warning("could not %s the join request of user %s: %s",
                       "approve" if approve else "decline", pseudonym(user.id), exc)
    logger.info("join request of user %s to the group of org %s: %s", pseudonym(user.id),
                org.id, placement)
    if told:
        await context.branch_app.deliver_now(told)
    raise ApplicationHandlerStop


async def _tell_leaders(session: AsyncSession, context: BranchContext, org: PartyOrganization,
                        title: str, user: User, placement: Placement, now: datetime
                        ) -> Sequence[str]:
    """Record a message to each leader of the branch (else the admins) about the declined
    person: one a day per person, however often they ask. Returns the outbox keys."""
    recipients = {leader.telegram_id: leader.language
                  for leader, _led in await people.leaders_of(session, org.id)}
    if not recipients:  # no secretary yet: the upper level hears of it
        admins = context.settings.admins
        languages = await people.languages_of(session, admins)
        recipients = {a: languages.get(a, context.settings.default_language) for a in admins}
    who = user.full_name + (f" (@{user.username})" if user.username else "")
    day = now.astimezone(context.settings.tzinfo).date().isoformat()
    rows = [_row(f"group-join:{org.id}:{user.id}:{leader}:{day}", leader,
                 views.not_placed(translator(language), placement, who, org.name, title), now)
            for leader, language in recipients.items()]
    await enqueue(session, rows)
    return [row.key for row in rows]


def _row(key: str, chat_id: int, text: Html, now: datetime) -> Planned:
    # As the kit's deliver: sent at once after the reply; the courier's passes only if not.
    return Planned(key=key, kind=DIRECT_KIND, chat_id=chat_id, text=str(text),
                   due_at=now + DIRECT_HOLD, urgent=True)
