"""Helpers of the conversations still written the older way (notices, training, duties and
dues day import them from handlers.meetings)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler, MessageHandler, filters

from handlers.kit.chat import send, tr
from handlers.kit.context import BranchContext
from handlers.menu import COMMAND_CALLBACKS, cancel_handlers

logger = logging.getLogger(__name__)


async def run_command(update: Update, context: BranchContext) -> int:
    """A command typed in the middle of a step: leave the step and run the command."""
    text = update.effective_message.text if update.effective_message else ""
    command = (text or "").split()[0].lstrip("/").split("@")[0] if text else ""
    callback = COMMAND_CALLBACKS.get(command)
    if callback is not None:
        await callback(update, context)
    else:
        t = tr(update, context)
        await send(update, t("I did not understand that. Use the menu below or /help."))
    return ConversationHandler.END


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the message whose button was pressed, keeping its text."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        logger.info("could not remove the buttons: %s", exc)


def step_fallbacks() -> list[Any]:
    """/cancel, the cancel buttons, the menu, and any command: each leaves the step."""
    return [*cancel_handlers(), MessageHandler(filters.COMMAND, run_command)]
