"""Holiday schedules an admin loads per year (`branchbot calendar import`), and the
`WorkCalendar` every working-day rule is given (rules/workdays.py stays free of storage).

File format
===========
A ``.csv`` (UTF-8 with or without BOM, or GB18030) or ``.xlsx`` file (first sheet), as for
``branchbot org import``: the first non-empty row is the header, English or Chinese names.

==========  ======  ===================================================================
column      中文    meaning
==========  ======  ===================================================================
``date``    日期    ``YYYY-MM-DD`` (also 2027/1/1, 2027年1月1日 or an Excel date cell)
``kind``    类型    ``holiday`` (休, 放假, 假日, 节假日) or ``workday`` (班, 上班, 调休上班,
                    补班, 工作日): a make-up working day on a weekend
``name``    名称    the holiday's name, e.g. 春节 (optional)
==========  ======  ===================================================================

List every rest day of the official notice that falls on a weekday (listing its weekend days
too does no harm) and every make-up working day; other days follow Monday to Friday. Every
year present in the file replaces that year's schedule, in one transaction; with any wrong
row nothing is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.validation import Invalid, parse_date
from rules.workdays import Source, WorkCalendar, calendar_covers
from storage.db import Database
from storage.models import HolidayCalendarDay, HolidayCalendarYear
from storage.org_import.columns import FILE_ROW, cell_text, match_key
from storage.org_import.reading import FileProblem, read_rows
from storage.org_import.report import RowError

COLUMNS = {"date": "日期", "kind": "类型", "name": "名称"}
ALIASES = {"day": "date", "type": "kind", "holiday": "name", "节日": "name", "种类": "kind"}
KINDS = {
    "holiday": False, "rest": False, "off": False, "休": False, "放假": False, "假日": False,
    "节假日": False, "休息": False, "休息日": False,
    "workday": True, "working": True, "work": True, "班": True, "上班": True,
    "调休上班": True, "补班": True, "工作日": True,
}
MAX_NAME = 100
MIN_YEAR, MAX_YEAR = 2000, 2099  # the approximate fallback's range (rules/workdays.py)


def _header(text: str) -> str | None:
    key = match_key(text)
    for canonical, chinese in COLUMNS.items():
        if key in (canonical, match_key(chinese)) or key.startswith(match_key(chinese) + "_(") or (
                key.endswith(f"({canonical})")):
            return canonical
    return ALIASES.get(key)


@dataclass(frozen=True)
class LoadedDay:
    day: date
    working: bool
    name: str


@dataclass
class CalendarReport:
    """What an import loaded (or would load) per year, and what was wrong."""

    source: str
    dry_run: bool = False
    years: dict[int, list[LoadedDay]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def format(self) -> str:
        if self.errors:
            lines = [f"{self.source}: {len(self.errors)} error(s); nothing was imported."]
            for error in self.errors:
                where = "file" if error.row == FILE_ROW else f"line {error.row}"
                if error.column:
                    where += f", column {error.column}"
                lines.append(f"  {where}: {error.message}")
            return "\n".join(lines)
        parts = []
        for year, days in sorted(self.years.items()):
            rest = sum(not d.working for d in days)
            parts.append(f"{year}: {rest} holiday(s), {len(days) - rest} make-up working day(s)")
        summary = "; ".join(parts)
        if self.dry_run:
            return f"Dry run: {self.source} is valid ({summary}). Nothing was written."
        return f"Loaded from {self.source}: {summary}. Each year's schedule was replaced."


def parse_rows(report: CalendarReport, rows: Sequence[tuple[int, Sequence[object]]]) -> None:
    """Check every (line number, cells) row into report.years, or report.errors by line."""
    numbered = [(n, cells) for n, cells in rows if any(cell_text(c) for c in cells)]
    if not numbered:
        report.errors.append(RowError(FILE_ROW, None, "the file is empty"))
        return
    header_row, header = numbered[0]
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        column = _header(text)
        if column is None or column in index:
            report.errors.append(RowError(
                header_row, None, f"unknown or repeated column '{text}'; the columns are "
                "date (日期), kind (类型), name (名称)"))
        else:
            index[column] = position
    for column in ("date", "kind"):
        if column not in index:
            report.errors.append(RowError(header_row, None,
                                          f"missing column {column} ({COLUMNS[column]})"))
    if report.errors:
        return
    if len(numbered) == 1:
        report.errors.append(RowError(FILE_ROW, None, "the file has a header but no rows"))
        return
    seen: dict[date, int] = {}
    for number, cells in numbered[1:]:
        def cell(column: str, cells: Sequence[object] = cells) -> object:
            position = index.get(column)
            return cells[position] if position is not None and position < len(cells) else None

        raw_date = cell("date")
        day: date | None
        if isinstance(raw_date, datetime):
            day = raw_date.date()
        elif isinstance(raw_date, date):
            day = raw_date
        else:
            parsed = parse_date(cell_text(raw_date))
            day = None if isinstance(parsed, Invalid) else parsed
        if day is None:
            report.errors.append(RowError(number, "date", f"'{cell_text(raw_date)}' is not a date "
                                          "(YYYY-MM-DD)"))
        elif not MIN_YEAR <= day.year <= MAX_YEAR:
            report.errors.append(RowError(number, "date", f"year {day.year} is out of range"))
            day = None
        elif day in seen:
            report.errors.append(RowError(number, "date", f"{day} is listed twice (also on line "
                                          f"{seen[day]})"))
            day = None
        kind_text = cell_text(cell("kind"))
        working = KINDS.get(match_key(kind_text))
        if working is None:
            report.errors.append(RowError(number, "kind", f"'{kind_text}' is neither holiday "
                                          "(休) nor workday (班)"))
        name = cell_text(cell("name"))
        if len(name) > MAX_NAME:
            report.errors.append(RowError(number, "name", f"longer than {MAX_NAME} characters"))
        if day is None or working is None or len(name) > MAX_NAME:
            continue
        seen[day] = number
        report.years.setdefault(day.year, []).append(LoadedDay(day, working, name))


async def replace_years(session: AsyncSession, years: dict[int, list[LoadedDay]],
                        source: str) -> None:
    """Each year's schedule replaced by the given days (the caller's transaction)."""
    for year, days in years.items():
        await session.execute(delete(HolidayCalendarDay).where(HolidayCalendarDay.year == year))
        await session.execute(delete(HolidayCalendarYear).where(HolidayCalendarYear.year == year))
        session.add(HolidayCalendarYear(year=year, source_name=source[:200],
                                        loaded_at=datetime.now(UTC)))
        await session.flush()
        session.add_all(HolidayCalendarDay(day=d.day, year=year, working=d.working, name=d.name)
                        for d in days)
    await session.flush()


async def import_calendar_file(database: Database, path: Path, *, dry_run: bool = False
                               ) -> CalendarReport:
    """Load the holiday schedule(s) in a CSV or XLSX file: all or nothing."""
    report = CalendarReport(source=path.name, dry_run=dry_run)
    try:
        rows = await asyncio.to_thread(read_rows, path)
    except FileProblem as exc:
        report.errors.append(RowError(FILE_ROW, None, str(exc)))
        return report
    parse_rows(report, rows)
    if report.errors or dry_run:
        return report
    async with database.session() as session:
        await replace_years(session, report.years, path.name)
    return report


async def work_calendar(session: AsyncSession) -> WorkCalendar:
    """The loaded schedules as the rules take them (a few hundred rows at most)."""
    years = (await session.scalars(select(HolidayCalendarYear.year))).all()
    if not years:
        return WorkCalendar()
    rows = (await session.execute(select(HolidayCalendarDay.day, HolidayCalendarDay.working)))
    return WorkCalendar.of(((day, bool(working)) for day, working in rows.all()), years)


@dataclass(frozen=True)
class YearCoverage:
    year: int
    source: Source
    detail: str  # the file's name and when it was loaded, for a loaded year


async def coverage(session: AsyncSession, first: int, last: int) -> list[YearCoverage]:
    """For each year in [first, last] (and every loaded year): where its working days come from."""
    loaded = {row.year: row for row in (await session.scalars(select(HolidayCalendarYear))).all()}
    result = []
    for year in sorted(set(range(first, last + 1)) | set(loaded)):
        if year in loaded:
            row = loaded[year]
            result.append(YearCoverage(year, Source.LOADED,
                                       f"{row.source_name}, loaded {row.loaded_at:%Y-%m-%d}"))
        elif calendar_covers(year):
            result.append(YearCoverage(year, Source.PACKAGE, "chinese-calendar package"))
        else:
            result.append(YearCoverage(year, Source.APPROXIMATE,
                                       "approximate: weekends and statutory holidays by their "
                                       "lunar dates, no make-up working days"))
    return result


def format_coverage(lines: Sequence[YearCoverage]) -> str:
    return "\n".join(f"{line.year}  {line.source.value:<11}  {line.detail}" for line in lines)
