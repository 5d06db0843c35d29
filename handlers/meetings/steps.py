"""What conversations about meetings share: removing the buttons of a pressed message."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

logger = logging.getLogger(__name__)


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the message whose button was pressed, keeping its text."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        logger.info("could not remove the buttons: %s", exc)
