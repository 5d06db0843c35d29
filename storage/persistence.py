"""Conversation states and user_data as rows: what bot/persistence.py keeps across restarts.

Plain values in and out: a conversation is named, its key is a tuple of ints and strings (stored
as a JSON list), its state any JSON value; user_data is a JSON-safe dict per user. The
python-telegram-bot adapter over these rows (BasePersistence) lives in bot/persistence.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.db import Database
from storage.dialect import upsert
from storage.models import ConversationState, UserData

Runner = AsyncSession | AsyncConnection  # a session, or an autocommit connection (instances.py)
ConversationRow = tuple[str, str]  # the conversation's name and its key as encode_key gives it


def encode_key(key: Sequence[object]) -> str:
    """A conversation key as it is stored."""
    return json.dumps(list(key))


async def load_user_data(database: Database) -> dict[int, dict[str, Any]]:
    """Every user's stored user_data."""
    async with database.session() as session:
        rows = (await session.execute(select(UserData.user_id, UserData.data))).all()
    return {int(user_id): dict(data) for user_id, data in rows}


async def save_user_data(database: Database, user_id: int, data: dict[str, Any]) -> None:
    """Store a user's user_data (JSON-safe values only)."""
    async with database.session() as session:
        await upsert(session, UserData, {"user_id": user_id, "data": data}, ["user_id"])


async def delete_user_data(database: Database, user_id: int) -> None:
    async with database.session() as session:
        await session.execute(delete(UserData).where(UserData.user_id == user_id))


async def load_conversations(database: Database, name: str) -> dict[tuple[Any, ...], object]:
    """The stored states of one named conversation, by key."""
    async with database.session() as session:
        rows = (
            await session.execute(
                select(ConversationState.key, ConversationState.state).where(
                    ConversationState.name == name
                )
            )
        ).all()
    return {tuple(json.loads(key)): state["state"] for key, state in rows}


async def save_conversation(
    database: Database, name: str, key: Sequence[object], state: object | None
) -> None:
    """Store a conversation's state; None ends it (the row goes)."""
    encoded_key = encode_key(key)
    async with database.session() as session:
        if state is None:
            await session.execute(
                delete(ConversationState).where(
                    ConversationState.name == name, ConversationState.key == encoded_key
                )
            )
            return
        await upsert(
            session,
            ConversationState,
            {"name": name, "key": encoded_key, "state": {"state": state}},
            ["name", "key"],
        )


async def read_fresh(
    database: Database,
    conversations: Collection[ConversationRow],
    user_id: int | None,
    runner: Runner | None = None,
) -> tuple[dict[ConversationRow, object], dict[str, Any] | None]:
    """The stored states of these conversations (absent ones left out) and the user's
    user_data (None if none is stored), read in `runner` (a session or an autocommit
    connection), else in a session of its own."""
    async with _reading(database, runner) as session:
        states: dict[ConversationRow, object] = {}
        if conversations:
            rows = await session.execute(
                select(ConversationState.name, ConversationState.key, ConversationState.state)
                .where(
                    tuple_(ConversationState.name, ConversationState.key).in_(list(conversations))
                )
            )
            states = {(name, key): state["state"] for name, key, state in rows.all()}
        data = None
        if user_id is not None:
            data = await session.scalar(select(UserData.data).where(UserData.user_id == user_id))
    return states, None if data is None else dict(data)


@asynccontextmanager
async def _reading(database: Database, runner: Runner | None) -> AsyncIterator[Runner]:
    if runner is not None:
        yield runner
        return
    async with database.session() as session:
        yield session


__all__ = [
    "ConversationRow",
    "Runner",
    "delete_user_data",
    "encode_key",
    "load_conversations",
    "load_user_data",
    "read_fresh",
    "save_conversation",
    "save_user_data",
]
