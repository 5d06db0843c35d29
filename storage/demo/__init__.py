"""A realistic demo province, generated fast and deterministically (`branchbot demo-data`).

The tree: a provincial committee (综合党委) over industry committees (行业党委), each covering
social organizations with their own 党支部, a few big ones with a 党总支 and branches under it,
联合党支部 covering several small organizations, and some organizations with no party
organization at all. People get Chinese names from a small syllable list; memberships carry
roles (书记, 副书记, 委员, members, 预备党员, a few activists and pending registrations) and
党小组. Over the last Y years every branch holds the meetings the default requirements ask
for (some branches diligent, some lax), with attendance (mostly present, some on leave or
absent, some 补学), training records with evidence, committee terms (some ending soon, some
overdue), reporting duties with their completions, and every member's dues month by month.

Everything is written with bulk Core inserts and explicit ids: the same seed and the same
`today` give the same database. PostgreSQL sequences are moved past the ids afterwards.

The package: province.py (the plan: organizations and people), organizations.py,
meetings.py, training.py, duties.py and dues.py (writing each part's rows), writer.py (fast bulk
inserts), word_lists.py (the names and topics drawn from).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select, text

from storage.db import Database
from storage.demo.dues import DuesWriting
from storage.demo.duties import DutiesWriting
from storage.demo.meetings import MeetingsWriting
from storage.demo.organizations import OrganizationsWriting
from storage.demo.province import TZ, DemoError
from storage.demo.training import TrainingWriting
from storage.demo.writer import DemoCounts, RowWriter, sqlite_converter
from storage.models import Base


class _Generator(
    OrganizationsWriting, MeetingsWriting, TrainingWriting, DutiesWriting, DuesWriting
):
    """The province with every part of its history, written in the order the rows need."""

    async def write(self, w: RowWriter) -> None:
        await self._write_tree(w)
        await self._write_people(w)
        await w.flush()
        for org in self.branches():
            await self._write_meetings(w, org)
        await w.flush()
        await self._write_training(w)
        await self._write_duties(w)
        await w.flush()
        await self._write_dues(w)
        await w.flush()


async def has_data(database: Database) -> str | None:
    """The first table holding a row, or None when the database is empty."""
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            found = await connection.scalar(select(func.count()).select_from(
                select(text("1")).select_from(table).limit(1).subquery()))
            if found:
                return table.name
    return None


async def erase(database: Database) -> None:
    """Delete every row of every table (children first)."""
    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in reversed(Base.metadata.sorted_tables):
            # SQLite checks RESTRICT row by row: cut a tree's links before deleting it.
            links = {fk.parent.name: None for fk in table.foreign_keys if fk.column.table is table}
            if links:
                await connection.execute(table.update().values(links))
            await connection.execute(table.delete())


async def generate(
    database: Database,
    *,
    orgs: int,
    members: int,
    years: int,
    seed: int = 1,
    today: date | None = None,
) -> DemoCounts:
    """Fill an empty, migrated database with a demo province; returns rows per table."""
    if years < 1:
        raise DemoError("--years must be at least 1")
    province = _Generator(orgs, members, years, seed, today or datetime.now(TZ).date())
    province.layout()
    counts = DemoCounts()
    async with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Index pages of millions of attendance lines stay in memory while loading.
            await connection.exec_driver_sql("PRAGMA cache_size=-262144")
        await province.write(RowWriter(connection, counts))
        # Meetings went in directly: count them for compliance and keep the lessons
        # attended, as closing them would have.
        from storage import lesson_attendances
        from storage.meeting_counts import rebuild

        counts.add("meeting_counts", await rebuild(connection, TZ))
        counts.add("lesson_attendances", await lesson_attendances.rebuild(connection))
        await connection.commit()
        if connection.dialect.name == "postgresql":
            from storage.to_postgres import reset_sequences

            await reset_sequences(connection)
            await connection.commit()
    return counts


__all__ = [
    "TZ",
    "DemoCounts",
    "DemoError",
    "erase",
    "generate",
    "has_data",
    "sqlite_converter",
]
