"""Several bot processes on one PostgreSQL database: python-telegram-bot's side.

storage/instances.py keeps each update once, a chat's updates in order and one instance per
chat at a time, with update and chat ids; here an Update is turned into those ids, the turn
loads the chat's fresh conversation state (bot/persistence.py), and a job prunes old ids.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackContext, JobQueue

from storage.instances import Runner, SharedUpdates, prune
from storage.models import utcnow

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.persistence import SqlPersistence

logger = logging.getLogger(__name__)


def update_chat_id(update: object) -> int | None:
    """The chat an update belongs to (a user's private chat has the user's id). A button
    pressed in a group is answered to the presser alone (handlers/privacy.py): it takes its
    turn in their private chat, not behind everyone pressing the same post."""
    if isinstance(update, Update):
        presser = group_press_of(update)
        if presser is not None:
            return presser
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


def group_press_of(update: Update) -> int | None:
    """The presser's id when the update is a button pressed under a group's message."""
    chat, user = update.effective_chat, update.effective_user
    if update.callback_query is None or chat is None or user is None:
        return None
    return user.id if chat.type != ChatType.PRIVATE else None


@asynccontextmanager
async def turn(
    shared: SharedUpdates,
    application: Application[Any, Any, Any, Any, Any, Any],
    persistence: SqlPersistence | None,
    update: object,
) -> AsyncIterator[None]:
    """The update's turn in its chat (SharedUpdates.turn), with fresh conversation state."""
    update_id = update.update_id if isinstance(update, Update) else None

    async def refresh(runner: Runner) -> None:
        assert persistence is not None
        await persistence.refresh_for_update(application, update, runner)

    async with shared.turn(
        update_chat_id(update), update_id, refresh if persistence is not None else None
    ):
        yield


PRUNE_JOB = "processed-updates-prune"
PRUNE_EVERY = timedelta(hours=1)


async def _prune_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    application: Any = context.application
    async with application.database.session() as session:
        removed = await prune(session, utcnow())
    if removed:
        logger.info("forgot %s processed update ids older than a day", removed)


def start_pruning(job_queue: JobQueue[Any]) -> None:
    """Prune processed_updates every hour (every instance does; deleting twice is harmless)."""
    job_queue.run_repeating(
        _prune_job, interval=PRUNE_EVERY, first=timedelta(minutes=1), name=PRUNE_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )


__all__ = ["PRUNE_JOB", "group_press_of", "start_pruning", "turn", "update_chat_id"]
