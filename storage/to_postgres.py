"""Copy a SQLite database into PostgreSQL (`branchbot migrate-sqlite-to-postgres`).

The target schema is brought to the head migration first; a target that already holds rows
is refused. Every table of the models is copied in dependency order (parents first; rows of a
self-referencing table such as the organization tree are ordered parents first too), in
batches through SQLAlchemy Core, so every column goes through its type in both directions
(aware UTC datetimes, JSON, enums stored as strings, booleans, big integers). The copy is one
transaction: a failure leaves the target empty. PostgreSQL sequences are then moved past the
highest id, and the result is verified: row counts per table, and a random sample of rows
per table compared column by column.

The file store (issue 19) moves with it: stored_files, and stored_file_contents (the bytes of
the database store, copied a few rows at a time). A directory store's files stay where they
are: the command names the folder, for BRANCHBOT_FILE_DIR once the database is PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import LargeBinary, Table, func, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import create_engine, is_sqlite
from storage.migrate import upgrade
from storage.models import Base

BATCH = 5_000
BLOB_BATCH = 10  # rows of a table holding files (up to 20 MB each) copied at once
SAMPLE = 25  # random rows per table compared column by column (plus the first and the last)
BLOB_SAMPLE = 3


class TransferError(Exception):
    """The copy cannot start (wrong URLs, a target with data, a source not at head)."""


@dataclass
class TableReport:
    name: str
    source_rows: int = 0
    target_rows: int = 0
    sampled: int = 0
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and not self.mismatches

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        text = (f"{self.name:<28} {self.source_rows:>10,} → {self.target_rows:>10,}   "
                f"sample {self.sampled:>3}   {verdict}")
        return "\n".join([text, *(f"    {m}" for m in self.mismatches[:5])])


@dataclass
class TransferReport:
    tables: list[TableReport]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def format(self) -> str:
        total = sum(t.source_rows for t in self.tables)
        bad = [t.name for t in self.tables if not t.ok]
        summary = (f"copied {total:,} rows in {len(self.tables)} tables; verified"
                   if not bad else f"verification FAILED for: {', '.join(bad)}")
        return "\n".join([*(t.line() for t in self.tables), summary])


def _holds_files(table: Table) -> bool:
    return any(isinstance(column.type, LargeBinary) for column in table.columns)


def _primary_key(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


def _self_references(table: Table) -> list[tuple[str, str]]:
    """(column, referenced column) pairs of foreign keys pointing into the table itself."""
    return [
        (fk.parent.name, fk.column.name)
        for fk in table.foreign_keys
        if fk.column.table is table
    ]


def _parents_first(
    rows: list[dict[str, Any]], links: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Rows ordered so every row comes after the rows it references (a tree by parent id)."""
    placed: set[tuple[str, Any]] = set()
    ordered: list[dict[str, Any]] = []
    waiting = rows
    while waiting:
        later = []
        for row in waiting:
            if all(row[column] is None or (target, row[column]) in placed
                   for column, target in links):
                ordered.append(row)
                placed.update((target, row[target]) for _, target in links)
            else:
                later.append(row)
        if len(later) == len(waiting):  # a cycle or a dangling reference: keep the rest as is
            ordered.extend(later)
            break
        waiting = later
    return ordered


async def reset_sequences(connection: AsyncConnection) -> None:
    """Move each PostgreSQL id sequence past the highest id (after rows inserted with ids)."""
    for table in Base.metadata.sorted_tables:
        column = table.autoincrement_column
        if column is None:
            continue
        await connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
            f"COALESCE(MAX({column.name}), 1), MAX({column.name}) IS NOT NULL) FROM {table.name}"
        ))


async def first_table_with_rows(connection: AsyncConnection) -> str | None:
    for table in Base.metadata.sorted_tables:
        if await connection.scalar(select(select(text("1")).select_from(table).exists())):
            return table.name
    return None


async def _head_of(connection: AsyncConnection) -> str | None:
    try:
        return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception:  # no alembic_version table: not a branchbot database
        return None


async def _copy_table(source: AsyncConnection, target: AsyncConnection, table: Table) -> int:
    query = select(table).order_by(*_primary_key(table))
    links = _self_references(table)
    if links:  # small tables (the organization tree): load, order parents first
        rows = [dict(r) for r in (await source.execute(query)).mappings()]
        rows = _parents_first(rows, links)
        for start in range(0, len(rows), BATCH):
            await target.execute(insert(table), rows[start:start + BATCH])
        return len(rows)
    copied = 0
    batch = BLOB_BATCH if _holds_files(table) else BATCH
    result = await source.stream(query.execution_options(yield_per=batch))
    async for partition in result.mappings().partitions(batch):
        await target.execute(insert(table), [dict(r) for r in partition])
        copied += len(partition)
    return copied


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return bool(a == b)


async def _verify(
    source: AsyncConnection, target: AsyncConnection, table: Table, report: TableReport
) -> None:
    report.source_rows = await source.scalar(select(func.count()).select_from(table)) or 0
    report.target_rows = await target.scalar(select(func.count()).select_from(table)) or 0
    if not report.source_rows:
        return
    key = _primary_key(table)
    sampled: list[dict[str, Any]] = []
    for query in (
        select(table).order_by(*key).limit(1),
        select(table).order_by(*(c.desc() for c in key)).limit(1),
        select(table).order_by(func.random()).limit(
            BLOB_SAMPLE if _holds_files(table) else SAMPLE),
    ):
        sampled.extend(dict(r) for r in (await source.execute(query)).mappings())
    wanted = {tuple(row[c.name] for c in key): row for row in sampled}
    found = await target.execute(
        select(table).where(tuple_(*key).in_([tuple(k) for k in wanted]))
    )
    copies = {tuple(row[c.name] for c in key): dict(row) for row in found.mappings()}
    report.sampled = len(wanted)
    for pk, row in wanted.items():
        copy = copies.get(pk)
        if copy is None:
            report.mismatches.append(f"row {pk} missing in the target")
            continue
        for name, value in row.items():
            if not _same(value, copy[name]):
                report.mismatches.append(f"row {pk} column {name}: {value!r} != {copy[name]!r}")


async def migrate_sqlite_to_postgres(
    source_url: str, target_url: str, *, say: Callable[[str], None] = print
) -> TransferReport:
    """Copy every table from SQLite to an empty PostgreSQL database, then verify."""
    if not is_sqlite(source_url):
        raise TransferError("--from must be a sqlite+aiosqlite:/// URL")
    if is_sqlite(target_url) or not target_url.startswith("postgresql"):
        raise TransferError("--to must be a postgresql+asyncpg:// URL")
    source_engine = create_engine(source_url)
    target_engine = None
    try:
        async with source_engine.connect() as source:
            revision = await _head_of(source)
            if revision is None:
                raise TransferError("the source is not a branchbot database (no alembic_version)")
            heads = _known_heads()
            if revision not in heads:
                raise TransferError(
                    f"the source is at migration {revision}, not {', '.join(heads)}: "
                    "run `branchbot db upgrade` on it first"
                )
        await upgrade(target_url)
        target_engine = create_engine(target_url)
        async with target_engine.connect() as target:
            busy = await first_table_with_rows(target)
            if busy is not None:
                raise TransferError(
                    f"the target already holds data (table {busy}); use an empty database"
                )
            await target.rollback()
        tables = Base.metadata.sorted_tables
        async with source_engine.connect() as source, target_engine.begin() as target:
            for table in tables:
                count = await _copy_table(source, target, table)
                say(f"copied {table.name}: {count:,} rows")
            await reset_sequences(target)
        reports = [TableReport(t.name) for t in tables]
        async with source_engine.connect() as source, target_engine.connect() as target:
            for table, report in zip(tables, reports, strict=True):
                await _verify(source, target, table, report)
        return TransferReport(reports)
    finally:
        await source_engine.dispose()
        if target_engine is not None:
            await target_engine.dispose()


def _known_heads() -> Sequence[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import MIGRATIONS, alembic_config

    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_heads()
