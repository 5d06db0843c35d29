"""Sending a file the bot keeps (issue 19, "keep the evidence"): by its Telegram id, else the
copy in the project's file store when Telegram no longer serves the id."""

from __future__ import annotations

import logging

from telegram import Chat, InputFile
from telegram.error import BadRequest

from handlers.kit.context import BranchContext
from storage.files import kept_copy

logger = logging.getLogger(__name__)


async def send_kept_file(context: BranchContext, chat: Chat, telegram_file_id: str, *,
                         photo: bool, caption: str | None = None) -> None:
    """Send the file by its id; if Telegram refuses the id (deleted on its side, or another
    token), upload the kept bytes instead. Raises the TelegramError if there is no copy."""
    send = chat.send_photo if photo else chat.send_document
    try:
        await send(telegram_file_id, caption=caption)
        return
    except BadRequest as lost:
        async with context.db.session() as session:
            row = await kept_copy(session, telegram_file_id)
        data = await context.branch_app.file_store.get(row.sha256) if row and row.sha256 else None
        if row is None or data is None:
            raise lost
        logger.info("Telegram lost file %s: sending the kept copy", row.id)
    await send(InputFile(data, filename=row.file_name or ("photo.jpg" if photo else "file")),
               caption=caption)
