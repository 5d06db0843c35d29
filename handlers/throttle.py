"""Flood protection before every handler: a person sending too fast is dropped, told once.

Runs in its own group before all others, so a dropped update never reaches a conversation or
the database; other people's updates run in their own chats' lanes (PerChatUpdateProcessor,
which gives a busy chat one slot at a time) and do not wait.
Buckets live in this process: with several instances each allows the burst (acceptable: the
point is to keep one flooder from starving everyone, not exact accounting).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.kit.chat import tr
from handlers.kit.context import BranchContext
from handlers.kit.i18n import N_, plain_text
from handlers.privacy import PrivateCopy
from rules.throttle import Bucket, idle, take

logger = logging.getLogger(__name__)

SLOW_DOWN = N_("You are sending messages too fast. Please wait a moment and try again.")
BUCKETS_KEY = "flood_buckets"
SWEEP_ABOVE = 10_000  # forget full buckets once this many people are remembered
# Its own group below all others: a group runs only its first matching handler, and this one
# matches every update, so sharing group -1 would hide any other handler placed there.
GROUP = -100


async def check_flood(update: Update, context: BranchContext) -> None:
    """Let the update through, or drop it (with one polite reply per flood)."""
    user = update.effective_user
    if user is None or isinstance(update, PrivateCopy):  # counted as the group command
        return
    settings = context.settings
    buckets: dict[int, Bucket] = context.bot_data.setdefault(BUCKETS_KEY, {})
    now = time.monotonic()
    burst, rate = settings.flood_burst, settings.flood_rate_per_second
    decision = take(buckets.get(user.id), now, burst=burst, rate=rate)
    buckets[user.id] = decision.bucket
    if len(buckets) > SWEEP_ABOVE:  # forget the people whose buckets are full again
        for user_id in [u for u, b in buckets.items() if idle(b, now, burst=burst, rate=rate)]:
            del buckets[user_id]
    if decision.allowed:
        return
    context.branch_app.count_throttled()
    if decision.warn:
        logger.info("throttling a user who sends too fast")
        t = tr(update, context)
        text = t(SLOW_DOWN)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(plain_text(text), show_alert=False)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(text)
        except TelegramError as exc:  # the warning is a courtesy; dropping is what matters
            logger.info("could not send the slow-down reply: %s", exc)
    raise ApplicationHandlerStop


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Before every other handler."""
    app.add_handler(TypeHandler(Update, check_flood), group=GROUP)
