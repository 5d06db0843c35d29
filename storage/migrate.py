"""Apply the Alembic migrations in storage/migrations (on start and by `branchbot db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")
# Key of the PostgreSQL advisory lock that lets one instance at a time migrate ("bbmigrat").
MIGRATION_LOCK = 0x6262_6D69_6772_6174


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at url to revision."""
    config = alembic_config(url)
    # SQLite alters a table by copying it and dropping the old one: with foreign keys on, the
    # drop would cascade (altering meetings deleted every attendance line).
    engine = create_engine(url, foreign_keys=False)

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Instances starting together wait here; the next finds nothing left to apply.
            # Transaction-scoped: released by the commit that ends the migration.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    try:
        async with engine.connect() as connection:
            await connection.run_sync(_upgrade)
            await connection.commit()
    finally:
        await engine.dispose()
