"""A local, strict emulator of the Telegram Bot API with a control API for playing users.

The real bot talks to it through python-telegram-bot's ``base_url``/``base_file_url``;
tests (and the browser chat page at ``/``) act as people: they type text, press inline
buttons, share contacts, send media, block the bot, and read what the bot sent.

Usage::

    async with BotApiEmulator() as emu:
        emu.add_user(1001, "Alice")
        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url)
              .base_file_url(emu.base_file_url).build()
        ...
        emu.send_text(1001, "/start")
        reply = await emu.wait_for_bot_message(1001)

``python -m botapi_emulator --port 8081`` runs one alone (benchmarks give it a process).
"""

from .public_types import (
    ApiCall,
    CallbackAnswer,
    ChatEntry,
    EmuGroup,
    EmuUser,
    InlineButton,
    JoinRequest,
    KeyboardButtonSpec,
    Refusal,
)
from .server import BotApiEmulator, serve

__all__ = [
    "ApiCall",
    "BotApiEmulator",
    "CallbackAnswer",
    "ChatEntry",
    "EmuGroup",
    "EmuUser",
    "InlineButton",
    "JoinRequest",
    "KeyboardButtonSpec",
    "Refusal",
    "serve",
]
