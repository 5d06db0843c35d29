"""python-telegram-bot persistence in our database: conversations and user_data survive restarts."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.db import Database
from storage.dialect import upsert
from storage.models import ConversationState, UserData


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


__all__ = ["SqlPersistence"]
