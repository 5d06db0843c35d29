"""Our own SQL functions, compiled for SQLite and for PostgreSQL (everything else is portable)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class MinutesBetween(FunctionElement[int]):
    """Whole minutes from the first to the second timestamp, in either dialect."""

    type = Integer()
    inherit_cache = True
    name = "minutes_between"


@compiles(MinutesBetween, "sqlite")
def _minutes_sqlite(element: MinutesBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 1440) AS INTEGER)"


@compiles(MinutesBetween)
def _minutes_default(element: MinutesBetween, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) / 60) AS INTEGER)"


class LocalDate(FunctionElement[date]):
    """The date of a UTC timestamp at a fixed offset in minutes, in either dialect."""

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(LocalDate, "sqlite")
def _local_date_sqlite(element: LocalDate, compiler: SQLCompiler, **kw: Any) -> str:
    moment, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({moment}, ({offset}) || ' minutes')"


@compiles(LocalDate)
def _local_date_default(element: LocalDate, compiler: SQLCompiler, **kw: Any) -> str:
    moment, offset = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({moment} AT TIME ZONE 'UTC') + make_interval(mins => {offset}) AS DATE)"


__all__ = ["LocalDate", "MinutesBetween"]
