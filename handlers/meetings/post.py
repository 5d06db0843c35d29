"""Presses under a meeting's post in the branch's group (issue 18): "I'll attend" and "Ask for
leave" (check-in's is handlers/checkin/post.py). The same services as the private buttons;
the answer goes to the presser alone: a toast, and for leave the question for the reason in
the private chat (the private leave flow, which this press starts there). handlers/privacy.py
lets these presses through in groups.

A press is checked on the server: the group it comes from must be the one linked to the
meeting's branch (a forged meeting id is refused), and the presser must be on the list
(anyone else is told why, privately and in an alert).
"""

from __future__ import annotations

import logging
from typing import NoReturn

from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError

from handlers.access.checkin import access_meeting_to_check_in
from handlers.kit.actions import Act
from handlers.kit.buttons import MeetingId
from handlers.kit.chat import STALE_BUTTON, Refused, send
from handlers.kit.pseudonyms import pseudonym
from handlers.meetings import manage, post_views
from storage import branch_chats
from storage import meetings as store
from storage.models import Attendance, Meeting

logger = logging.getLogger(__name__)


async def posted_meeting(act: Act, meeting_id: MeetingId) -> Meeting:
    """The meeting of the pressed group post: a meeting of the whole branch the group is
    linked to, or of the 党小组 it is linked to (a press from elsewhere, or naming another
    meeting, is forged or stale)."""
    meeting = await access_meeting_to_check_in(act, meeting_id)
    chat = act.update.effective_chat
    linked = await branch_chats.chat_link(act.session, chat.id) if chat is not None else None
    if linked is None or not branch_chats.shows(linked.party_organization_id,
                                                linked.party_group_id, meeting):
        act.refuse(STALE_BUTTON)
    return meeting


async def refuse_outsider(act: Act, meeting: Meeting) -> NoReturn:
    """Someone not on the meeting's list: told why in the private chat (if the bot may write
    to them) and in an alert; nothing is recorded."""
    message = post_views.NOT_REGISTERED if act.actor.membership_id is None else (
        post_views.NOT_ON_LIST)
    logger.info("user %s pressed the group post of meeting %s, not on its list",
                pseudonym(act.actor.telegram_id), meeting.id)
    try:
        await send(act.update, act.t(message))
    except TelegramError as exc:  # never opened a private chat: the alert says it all
        logger.info("could not explain privately: %s", exc)
    raise Refused(message)


async def own_line(act: Act, meeting: Meeting) -> Attendance:
    """The presser's line on the meeting's list, else they are told why not."""
    membership = act.actor.membership_id
    line = (await store.attendance_of(act.session, meeting.id, membership)
            if membership is not None else None)
    if line is None:
        await refuse_outsider(act, meeting)
    return line


async def reachable(act: Act) -> None:
    """The bot may write to the presser privately, else they are asked (in an alert) to open
    a private chat first. Telegram refuses even a typing indicator to someone who never did."""
    try:
        await act.context.bot.send_chat_action(act.actor.telegram_id, ChatAction.TYPING)
    except Forbidden:
        raise Refused(post_views.OPEN_PRIVATE_FIRST) from None


async def attend_from_post(act: Act, press: post_views.PostAttend) -> None:
    meeting = await posted_meeting(act, press.meeting)
    line = await own_line(act, meeting)
    await manage.record_attending(act, meeting, line)
    act.toast = act.t(post_views.ATTENDING)


async def leave_from_post(act: Act, press: post_views.PostLeave) -> Meeting:
    """The meeting whose reason the presser is asked for in the private chat (the private leave
    flow, manage.LEAVE, asks it); else refused, saying why (already asked: so)."""
    meeting = await posted_meeting(act, press.meeting)
    line = await own_line(act, meeting)
    manage.may_ask_leave(meeting, line)
    await reachable(act)
    act.toast = act.t(post_views.LEAVE_ASKED)
    return meeting
