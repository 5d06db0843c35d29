"""python-telegram-bot persistence in our database: conversations and user_data survive restarts.

PTB loads everything once at start and then keeps it in memory, which is right for one process
(SQLite). With several instances on one PostgreSQL database another instance may have moved a
conversation on since, so `refresh_for_update` reads the chat's conversation states and the
user's user_data again before each update (while the chat's lock is held, see
bot/instances.py), and the application writes them back at the end of the update.
The rows themselves are read and written by storage/persistence.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import BasePersistence, ConversationHandler, PersistenceInput
from telegram.ext._handlers.conversationhandler import PendingState
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage import persistence as rows
from storage.db import Database

if TYPE_CHECKING:
    from telegram.ext import Application

Runner = rows.Runner


def _encoded(data: dict[str, Any]) -> str:
    """user_data as JSON with dates and other values as their text: what is stored."""
    return json.dumps(data, default=str, sort_keys=True)


class SqlPersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Stores conversation states and user_data as JSON rows; chat/bot/callback data are unused."""

    def __init__(self, database: Database, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.database = database
        # What was last written per user, so unchanged user_data is not written again.
        self._written: dict[int, str] = {}

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        loaded = await rows.load_user_data(self.database)
        self._written = {user_id: _encoded(data) for user_id, data in loaded.items()}
        return loaded

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        encoded = _encoded(data)  # JSON-safe copy
        if self._written.get(user_id, "{}") == encoded:
            return  # PTB asks after every update; most updates change nothing
        await rows.save_user_data(self.database, user_id, json.loads(encoded))
        self._written[user_id] = encoded

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop(user_id, None)
        await rows.delete_user_data(self.database, user_id)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return await rows.load_conversations(self.database, name)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await rows.save_conversation(self.database, name, key, new_state)

    async def refresh_for_update(self, application: Application[Any, Any, Any, Any, Any, Any],
                                 update: object, runner: Runner | None = None) -> None:
        """Read this update's conversation states and user_data as the database has them now
        (in `runner`, a session or an autocommit connection, else in a session of its own)."""
        if not isinstance(update, Update):
            return
        wanted: dict[rows.ConversationRow, tuple[str, ConversationKey]] = {}
        for handler in _persistent_conversations(application):
            try:
                key = handler._get_key(update)
            except RuntimeError:  # e.g. a per-chat conversation and an update without a chat
                continue
            assert handler.name is not None
            wanted[(handler.name, rows.encode_key(key))] = (handler.name, key)
        user = update.effective_user
        states, data = await rows.read_fresh(
            self.database, wanted, None if user is None else user.id, runner
        )
        tracked = application._conversation_handler_conversations
        for pair, (name, key) in wanted.items():
            conversations = tracked.get(name)
            if conversations is None or isinstance(conversations.get(key), PendingState):
                continue  # a non-blocking step of this process is still running: it knows best
            # Straight into .data: a refresh is a read, not a change to write back.
            if pair in states:
                conversations.data[key] = states[pair]
            else:
                conversations.data.pop(key, None)
        if user is not None and self.store_data.user_data:
            loaded = dict(data or {})
            user_data = application._user_data[user.id]
            user_data.clear()
            user_data.update(loaded)
            self._written[user.id] = _encoded(loaded)

    # chat_data, bot_data and callback_data are not stored (store_data above).
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def flush(self) -> None:
        return None


def _persistent_conversations(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> Iterator[ConversationHandler[Any]]:
    """Every persistent ConversationHandler, nested ones included."""
    stack = [h for group in application.handlers.values() for h in group]
    while stack:
        handler = stack.pop()
        if isinstance(handler, ConversationHandler):
            if handler.persistent and handler.name:
                yield handler
            stack.extend(handler._child_conversations)


__all__ = ["SqlPersistence"]
