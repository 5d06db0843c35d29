"""Meeting posts in branches' group chats (issue 18): each meeting of the whole branch is
posted once in the branch's linked group (two weeks ahead at most) and its counts — 应到, will
attend, on leave, checked in — are edited in place as answers come, at most once every
EDIT_EVERY; a closed meeting's post shows its final counts, a cancelled one says so.

The database is the source of truth: every run compares what each post shows with the counts
and sends or edits what differs. A post is recorded before it is sent, so a restart resends only
a send in flight at a crash. Nothing personal is posted: counts, never names.

The post's buttons follow the meeting (handlers/meetings/post_views.py): answer or ask for leave
while it is upcoming, check in while its check-in window is open, none once it is over; the
same pass edits them when that changes. A press is answered to the presser alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CallbackContext, JobQueue

from handlers.kit.i18n import Html, translator
from handlers.meetings import post_views
from rules.vocabulary import MeetingState
from storage import branch_chats
from storage.branch_chats import RESEND_AFTER, MeetingPost
from storage.db import Database
from storage.models import GroupPost

logger = logging.getLogger(__name__)

EDIT_EVERY = timedelta(seconds=3)  # issue 18: a group post is edited at most every 3 s
LOOK_EVERY = timedelta(seconds=1)  # a pass: a change is shown within EDIT_EVERY + this
JOB = "group-posts"
FINAL = (MeetingState.CLOSED, MeetingState.CANCELLED)


class PostHost(Protocol):
    """What the poster needs of the running bot (bot/application.py)."""

    database: Database

    @property
    def bot(self) -> Any: ...

    @property
    def settings(self) -> Any: ...

    def now(self) -> datetime: ...


def digest(text: str, markup: InlineKeyboardMarkup | None = None) -> str:
    """What a post shows: its text and its buttons."""
    buttons = json.dumps(markup.to_dict(), sort_keys=True) if markup is not None else ""
    return hashlib.sha256((text + "\0" + buttons).encode()).hexdigest()


_running: dict[int, asyncio.Lock] = {}


async def refresh_group_posts(host: PostHost) -> int:
    """One pass: post what is due, edit what changed (one pass at a time per bot). Returns
    how many messages were sent or edited."""
    lock = _running.setdefault(id(host), asyncio.Lock())
    async with lock:
        now = host.now()
        async with host.database.session() as session:
            work = await branch_chats.meeting_posts(session, now)
        done = 0
        for item in work:
            done += await _bring_up_to_date(host, item, now)
        return done


async def _bring_up_to_date(host: PostHost, item: MeetingPost, now: datetime) -> int:
    t = translator(item.language)
    text, markup = post_views.post(t, host.settings.tzinfo, item, now)
    shown, final = digest(text, markup), item.meeting.state in FINAL
    post = item.post
    if post is None or (post.message_id is None and now - post.posted_at >= RESEND_AFTER):
        return await _send(host, item, post, text, markup, shown, final, now)
    if post.message_id is None:
        return 0  # a send in flight, or one that never came back: resent after RESEND_AFTER
    if post.shown == shown:
        return 0
    # Counted from when the last edit came back, so edits arrive EDIT_EVERY apart at least.
    if post.edited_at is not None and host.now() - post.edited_at < EDIT_EVERY:
        return 0
    try:
        # Without buttons (a meeting over) the edit removes them.
        await host.bot.edit_message_text(text, chat_id=item.chat_id,
                                         message_id=post.message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            logger.info("could not edit a meeting post: %s", exc)
            return 0
    except TelegramError as exc:
        logger.info("could not edit a meeting post: %s", exc)
        return 0
    await _saved(host, post.id, shown=shown, final=final, edited_at=host.now())
    return 1


async def _send(host: PostHost, item: MeetingPost, post: GroupPost | None, text: Html,
                markup: InlineKeyboardMarkup | None, shown: str, final: bool,
                now: datetime) -> int:
    try:
        async with host.database.session() as session:
            if post is None:
                post_id = (await branch_chats.claim_post(session, item.meeting.id, item.chat_id,
                                                         now)).id
            else:
                post_id = post.id
                row = await session.get(GroupPost, post_id)
                if row is not None:
                    row.posted_at = now
    except IntegrityError:
        return 0  # another instance recorded it first: it sends it
    try:
        sent = await host.bot.send_message(item.chat_id, text, reply_markup=markup)
    except (Forbidden, TelegramError) as exc:
        logger.info("could not post a meeting in a group: %s", exc)
        async with host.database.session() as session:
            await branch_chats.drop_post(session, post_id)
        return 0
    await _saved(host, post_id, shown=shown, final=final, message_id=sent.message_id)
    return 1


async def _saved(host: PostHost, post_id: int, **values: Any) -> None:
    async with host.database.session() as session:
        row = await session.get(GroupPost, post_id)
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)


async def _run(context: CallbackContext[Any, Any, Any, Any]) -> None:
    await refresh_group_posts(context.application)  # type: ignore[arg-type]


def start_group_posts(job_queue: JobQueue[Any]) -> None:
    """Every LOOK_EVERY: post and edit what the counts say (one pass at a time)."""
    job_queue.run_repeating(_run, interval=LOOK_EVERY, first=LOOK_EVERY, name=JOB,
                            job_kwargs={"max_instances": 1, "coalesce": True})
