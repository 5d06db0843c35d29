"""Writing the generated rows fast: buffered per table, inserted in chunks (executemany on
SQLite with values converted as Core would, COPY on PostgreSQL), counted per table."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Table, insert
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Base, UTCDateTime

CHUNK = 10_000


@dataclass
class DemoCounts:
    """Rows written per table, for the command's report and the tests."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count

    def format(self) -> str:
        return ", ".join(f"{name} {count:,}" for name, count in sorted(self.rows.items()))


class RowWriter:
    """Buffers rows per table and inserts them in chunks (one executemany each)."""

    def __init__(self, connection: AsyncConnection, counts: DemoCounts) -> None:
        self.connection = connection
        self.counts = counts
        self.buffers: dict[str, list[dict[str, Any]]] = {}

    async def add(self, model: type[Base], row: dict[str, Any]) -> None:
        buffer = self.buffers.setdefault(model.__tablename__, [])
        buffer.append(row)
        if len(buffer) >= CHUNK:
            await self.flush()

    async def extend(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        buffer = self.buffers.setdefault(model.__tablename__, [])
        buffer.extend(rows)
        if len(buffer) >= CHUNK:
            await self.flush()

    async def flush(self) -> None:
        # Parents before children: tables in the order metadata sorts them.
        for table in Base.metadata.sorted_tables:
            rows = self.buffers.get(table.name)
            if rows:
                if self.connection.dialect.name == "sqlite":
                    await self._sqlite_insert(table, rows)
                elif self.connection.dialect.driver == "asyncpg":
                    await self._copy(table, rows)
                else:
                    await self.connection.execute(insert(table), rows)
                self.counts.add(table.name, len(rows))
                rows.clear()
        await self.connection.commit()

    async def _sqlite_insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """executemany on the driver, values converted as Core would convert them.

        Core's per-row parameter bookkeeping and its datetime formatting cost more than
        SQLite itself when loading millions of rows; tests/storage/test_ops_cli.py checks that
        `sqlite_value` writes what Core writes.
        """
        names = list(rows[0])
        converters = [(i, sqlite_converter(table.c[name].type, self.connection.dialect))
                      for i, name in enumerate(names)]
        active = [(i, convert) for i, convert in converters if convert is not None]
        pick = itemgetter(*names)
        values: list[tuple[Any, ...]] = []
        for row in rows:
            picked = pick(row)
            line = list(picked) if len(names) > 1 else [picked]
            for i, convert in active:
                value = line[i]
                if value is not None:
                    line[i] = convert(value)
            values.append(tuple(line))
        columns = ", ".join(f'"{name}"' for name in names)
        marks = ", ".join("?" for _ in names)
        await self.connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values
        )


    async def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL's COPY through asyncpg: ten times the rows per second of INSERTs."""
        names = list(rows[0])
        json_columns = [i for i, name in enumerate(names)
                        if isinstance(table.c[name].type, JSON)]
        pick = itemgetter(*names)
        records: list[tuple[Any, ...]] = []
        for row in rows:
            picked = pick(row)
            line = list(picked) if len(names) > 1 else [picked]
            for i in json_columns:
                line[i] = json.dumps(line[i])
            records.append(tuple(
                value.value if isinstance(value, enum.Enum) else value for value in line
            ))
        raw = await self.connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=records, columns=names
        )


def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(value: date) -> str:
    return value.isoformat()


def sqlite_converter(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """How a value of this column type is bound on SQLite (None: as it is)."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, Date):
        return _sqlite_date
    if isinstance(column_type, SqlEnum | Boolean):
        return None  # StrEnum members bind as their value, booleans as 0/1
    processor: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor
