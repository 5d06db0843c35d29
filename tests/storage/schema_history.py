"""Down to an earlier schema revision, as tests of a migration's data step need it."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect

from storage.db import Database, create_engine
from storage.migrate import alembic_config


async def downgrade_to(db: Database, revision: str) -> set[str]:
    """Close `db`'s engine and take its database down to `revision` (then the test upgrades it
    with storage.migrate.upgrade); returns the tables left."""
    await db.dispose()

    def downgrade(connection: Any) -> set[str]:
        config = alembic_config(db.url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        return set(inspect(connection).get_table_names())

    # As storage/migrate.py upgrades: SQLite copies altered tables, no cascades on the drop.
    engine = create_engine(db.url, foreign_keys=False)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(downgrade)
            await connection.commit()
    finally:
        await engine.dispose()
    return tables
