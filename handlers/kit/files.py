"""Sending a file the bot keeps (issue 19, "keep the evidence"): by its Telegram id, else the
copy in the project's file store when Telegram no longer serves the id."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from telegram import Chat, InputFile, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from handlers.kit.chat import reply_chat, send
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Html, Translator, escape
from handlers.kit.ui import figure
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


@dataclass(frozen=True)
class KeptFile:
    """A file handed in, to send again: its Telegram id, its name (None: a photo), and its own
    caption where files sent together are about different things."""

    telegram_file_id: str
    name: str | None
    photo: bool
    caption: Html | None = None


async def send_kept_files(context: BranchContext, update: Update, t: Translator,
                          files: Sequence[KeptFile], caption: Html | None = None) -> None:
    """Each file into the chat (the kept copy where Telegram lost one); one that cannot be
    sent at all is said by its name, the others still go."""
    chat = reply_chat(update)
    for file in files:
        try:
            await send_kept_file(context, chat, file.telegram_file_id, photo=file.photo,
                                 caption=file.caption or caption or (
                                     escape(file.name) if file.name else None))
        except TelegramError as exc:
            logger.warning("could not send a kept file: %s", exc)
            await send(update, t("Sorry, a file could not be sent: {name}.",
                                 name=file.name or t("photo")))


async def busy(update: Update, action: ChatAction) -> None:
    """"Sending a file…" while one is built (a failure only loses the hint)."""
    try:
        await reply_chat(update).send_action(action)
    except TelegramError as exc:
        logger.info("chat action failed: %s", exc)


async def send_png(update: Update, t: Translator, draw: Callable[[], Awaitable[bytes]],
                   filename: str, caption: Html) -> None:
    """A chart drawn after a message or file, which its failure must not hide."""
    try:
        png = await draw()
    except Exception:
        logger.exception("could not draw the chart %s", filename)
        await send(update, t("Sorry, the chart could not be drawn this time."))
        return
    await reply_chat(update).send_photo(InputFile(io.BytesIO(png), filename=filename),
                                        caption=caption)


def megabytes(size: int) -> str:
    """A file's size in MB to one decimal: what the size limits are told in."""
    return figure(Decimal(size) / (1024 * 1024), "0.1")
