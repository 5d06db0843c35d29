"""python-telegram-bot persistence in our database: conversations and user_data survive restarts.

PTB loads everything once at start and then keeps it in memory, which is right for one process
(SQLite). With several instances on one PostgreSQL database another instance may have moved a
conversation on since, so `refresh_for_update` reads the chat's conversation states and the
user's user_data again before each update (while the chat's lock is held, see
storage/instances.py), and the application writes them back at the end of the update.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from telegram import Update
from telegram.ext import BasePersistence, ConversationHandler, PersistenceInput
from telegram.ext._handlers.conversationhandler import PendingState
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import Database
from storage.dialect import upsert
from storage.models import ConversationState, UserData

if TYPE_CHECKING:
    from telegram.ext import Application

Runner = AsyncSession | AsyncConnection  # a session, or an autocommit connection (instances.py)


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
        async with self.database.session() as session:
            rows = (await session.execute(select(UserData.user_id, UserData.data))).all()
        loaded = {int(user_id): dict(data) for user_id, data in rows}
        self._written = {
            user_id: json.dumps(data, default=str, sort_keys=True)
            for user_id, data in loaded.items()
        }
        return loaded

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        encoded = json.dumps(data, default=str, sort_keys=True)  # JSON-safe copy
        if self._written.get(user_id, "{}") == encoded:
            return  # PTB asks after every update; most updates change nothing
        async with self.database.session() as session:
            await upsert(
                session, UserData, {"user_id": user_id, "data": json.loads(encoded)}, ["user_id"]
            )
        self._written[user_id] = encoded

    async def drop_user_data(self, user_id: int) -> None:
        self._written.pop(user_id, None)
        async with self.database.session() as session:
            await session.execute(delete(UserData).where(UserData.user_id == user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(ConversationState.key, ConversationState.state).where(
                        ConversationState.name == name
                    )
                )
            ).all()
        return {tuple(json.loads(key)): state["state"] for key, state in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        async with self.database.session() as session:
            if new_state is None:
                await session.execute(
                    delete(ConversationState).where(
                        ConversationState.name == name, ConversationState.key == encoded_key
                    )
                )
                return
            await upsert(
                session,
                ConversationState,
                {"name": name, "key": encoded_key, "state": {"state": new_state}},
                ["name", "key"],
            )

    async def refresh_for_update(self, application: Application[Any, Any, Any, Any, Any, Any],
                                 update: object, runner: Runner | None = None) -> None:
        """Read this update's conversation states and user_data as the database has them now
        (in `runner`, a session or an autocommit connection, else in a session of its own)."""
        if not isinstance(update, Update):
            return
        wanted: dict[tuple[str, str], tuple[str, ConversationKey]] = {}
        for handler in _persistent_conversations(application):
            try:
                key = handler._get_key(update)
            except RuntimeError:  # e.g. a per-chat conversation and an update without a chat
                continue
            assert handler.name is not None
            wanted[(handler.name, json.dumps(list(key)))] = (handler.name, key)
        user = update.effective_user
        async with self._reading(runner) as session:
            states: dict[tuple[str, str], Any] = {}
            if wanted:
                rows = await session.execute(
                    select(ConversationState.name, ConversationState.key, ConversationState.state)
                    .where(tuple_(ConversationState.name, ConversationState.key).in_(list(wanted)))
                )
                states = {(name, key): state["state"] for name, key, state in rows.all()}
            data = None
            if user is not None:
                data = await session.scalar(
                    select(UserData.data).where(UserData.user_id == user.id)
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
            self._written[user.id] = json.dumps(loaded, default=str, sort_keys=True)

    @asynccontextmanager
    async def _reading(self, runner: Runner | None) -> AsyncIterator[Runner]:
        if runner is not None:
            yield runner
            return
        async with self.database.session() as session:
            yield session

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
