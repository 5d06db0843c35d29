"""The few statements that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def upsert(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    key: list[str],
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, in either dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values)
    updates = {k: statement.excluded[k] for k in values if k not in key}
    await session.execute(statement.on_conflict_do_update(index_elements=key, set_=updates))
