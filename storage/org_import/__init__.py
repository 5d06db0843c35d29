"""Bulk setup of the organization tree from a CSV or Excel file (`branchbot org import`).

An admin lists party organizations, the social organizations they cover, 党小组 and
leaders in one sheet; everything is created in one transaction. If any row is wrong,
nothing is written and the report names every wrong row and column.

The package: columns.py (the file's vocabulary and limits), reading.py (the file as
numbered rows and its header), parsing.py (each row checked), writing.py (the valid
rows written), report.py (what was wrong or created); import_org_file runs them.

File format
===========
A ``.csv`` file (UTF-8 with or without BOM, or GB18030 as saved by Chinese Excel) or an
``.xlsx`` workbook (the first sheet is read). The first non-empty row is the header;
header names are matched case-insensitively, and each column may also be headed by its
Chinese name (or both, e.g. ``名称 (name)``). Columns may come in any order.

==============  ==========  ========  ==========================================
column          Chinese     required  meaning
==============  ==========  ========  ==========================================
``record``      类型        yes       ``party`` | ``social`` | ``group`` | ``member``
                                      (or 党组织 | 社会组织 | 党小组 | 党员)
``name``        名称        yes       the organization's or group's name; for member
                                      rows the person's real name (optional, kept
                                      only if the person has none yet)
``kind``        种类        yes       party: ``committee`` | ``general_branch`` |
                                      ``branch`` | ``joint_branch`` (党委 | 党总支 |
                                      党支部 | 联合党支部);
                                      social: ``association`` | ``private_non_profit``
                                      | ``foundation`` | ``intermediary`` |
                                      ``community`` (社会团体 | 民办非企业单位 or
                                      社会服务机构 | 基金会 | 社会中介组织 |
                                      城乡社区社会组织);
                                      member: the role ``secretary`` |
                                      ``deputy_secretary`` | ``committee_member`` |
                                      ``member`` (书记 | 副书记 | 委员 | 党员; empty
                                      means member); group: leave empty
``parent``      上级        yes       party: the parent party organization (empty =
                                      top level); social: the covering party
                                      organization (empty = not covered); group: its
                                      党支部 or 联合党支部; member: the party
                                      organization
``term_start``  换届日期    no        party only: the election date, ``YYYY-MM-DD``
                                      (also 2021/6/30, 2021年6月30日 or an Excel date
                                      cell); not in the future
``term_years``  任期        no        party only: a term length other than the
                                      default (党委 5 years, others 3), 1-5
``telegram_id`` Telegram ID no        member only (then required): the person's
                                      numeric Telegram user id
==============  ==========  ========  ==========================================

Rules:

* Party rows may name a parent defined further down the file or already in the
  database; parents are created first. Circular parents are refused.
* Names must be new: a party or social organization already in the database, or twice
  in the file, is an error (a 党小组 name only needs to be new within its branch).
* A 党总支 sits under a 党委; a 党支部 or 联合党支部 under a 党委 or 党总支; a 党委 under a
  党委 (rules.tree). 党小组 are formed only in a 党支部 or 联合党支部.
* Member rows appoint the person as a full member (正式党员) with the given role, active
  at once; they complete their profile later with /me. Plain members belong to a
  党支部, 联合党支部 or 党总支; a 党委 takes only committee roles. A person already in
  another party organization must be transferred out first. One secretary per
  organization in the file (one already in the database is replaced, as when appointed
  in the chat, and stays on the committee).
* Empty lines are skipped. Row numbers in the report count every line of the file with
  the header as row 1, as a spreadsheet shows them.
* Limits: at most MAX_ROWS (50,000) rows and MAX_COLUMNS (50) columns, a file of at most
  20 MB (an .xlsx unpacking to at most 200 MB). In an .xlsx only the header's columns are
  read: cells to the right of the last header are ignored.
* Telegram ids are written in the digits 0-9 (no full-width or other scripts' digits) and
  fit in 52 bits, as Telegram's do.

Example (CSV)::

    类型,名称,种类,上级,换届日期,任期,Telegram ID
    党组织,东区社会组织综合党委,党委,,2021-06-30,,
    党组织,阳光社工服务中心党支部,党支部,东区社会组织综合党委,2023-03-15,,
    社会组织,阳光社工服务中心,民办非企业单位,阳光社工服务中心党支部,,,
    党小组,第一党小组,,阳光社工服务中心党支部,,,
    党员,王丽,书记,阳光社工服务中心党支部,,,123456789
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from storage.db import Database
from storage.org_import.columns import (
    COLUMNS,
    FILE_ROW,
    MAX_COLUMNS,
    MAX_ROWS,
    RECORD_KINDS,
    cell_text,
    column_letter,
)
from storage.org_import.reading import FileProblem, check_header, read_rows
from storage.org_import.report import ImportReport, RowError
from storage.org_import.writing import Importer


class _Rollback(Exception):
    """Raised inside the session to undo everything (errors found, or a dry run)."""


async def import_org_file(
    database: Database,
    path: Path,
    *,
    actor_telegram_id: int | None = None,
    today: date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Create the organizations, groups and appointments listed in a CSV or XLSX file.

    All or nothing: with any error, or for a dry run, the transaction is rolled back.
    See the module docstring for the file format.
    """
    report = ImportReport(dry_run=dry_run, source=path.name)
    try:
        rows = await asyncio.to_thread(read_rows, path)
    except FileProblem as exc:
        report.errors.append(RowError(FILE_ROW, None, str(exc)))
        return report
    numbered = rows
    if not numbered:
        report.errors.append(RowError(FILE_ROW, None, "the file is empty"))
        return report
    header_row, header = numbered[0]
    index = check_header(report, header_row, header)
    if index is None:
        return report
    if len(numbered) == 1:
        report.errors.append(RowError(FILE_ROW, None, "the file has a header but no rows"))
        return report

    importer = Importer(today or date.today(), actor_telegram_id)
    known_positions = set(index.values())
    for number, cells in numbered[1:]:
        stray = [
            p for p, cell in enumerate(cells) if p not in known_positions and cell_text(cell)
        ]
        for position in stray:
            importer.error(
                number, None,
                f"value in column {column_letter(position)}, which has no header",
            )
        values = {c: cells[p] if p < len(cells) else None for c, p in index.items()}
        importer.parse(number, values)

    try:
        async with database.session() as session:
            await importer.apply(session)
            if importer.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    report.errors = sorted(importer.errors, key=lambda e: e.row)
    if report.ok:
        report.created = importer.created
    return report


__all__ = [
    "COLUMNS",
    "FILE_ROW",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "RECORD_KINDS",
    "ImportReport",
    "RowError",
    "import_org_file",
]
