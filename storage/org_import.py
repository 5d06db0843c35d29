"""Bulk setup of the organization tree from a CSV or Excel file (`branchbot org import`).

An admin lists party organizations, the social organizations they cover, 党小组 and
leaders in one sheet; everything is created in one transaction. If any row is wrong,
nothing is written and the report names every wrong row and column.

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
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rules.terms import MAX_TERM_YEARS, MIN_TERM_YEARS
from rules.tree import ALLOWED_PARENTS, GROUP_KINDS, MEMBER_KINDS
from rules.validation import (
    MAX_GROUP_NAME,
    MAX_ORG_NAME,
    MAX_TELEGRAM_ID,
    Invalid,
    clean_real_name,
    clean_term_start,
    clean_text,
    parse_whole,
)
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind, SocialOrgType
from storage import orgs, people
from storage.db import Database
from storage.models import PartyOrganization, Person

T = TypeVar("T")

# Record kinds: the values of the `record` column and the keys of ImportReport.created.
PARTY = "party"
SOCIAL = "social"
GROUP = "group"
MEMBER = "member"
RECORD_KINDS = (PARTY, SOCIAL, GROUP, MEMBER)

# RowError.row for problems with the file as a whole (unreadable, wrong type, empty).
FILE_ROW = 0

# Canonical column name -> its Chinese header.
COLUMNS: dict[str, str] = {
    "record": "类型",
    "name": "名称",
    "kind": "种类",
    "parent": "上级",
    "term_start": "换届日期",
    "term_years": "任期",
    "telegram_id": "Telegram ID",
}
REQUIRED_COLUMNS = ("record", "name", "kind", "parent")
MAX_ROWS = 50_000  # lines of the file, header included: a province's list fits
MAX_COLUMNS = 50  # the header has seven known columns; more is a wrong file
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_SHOWN = 30  # characters of a wrong value quoted in the report


def _norm(text: str) -> str:
    """Case-insensitive key: 'Telegram ID', 'telegram-id' and 'telegram_id' are one."""
    return re.sub(r"[\s\-]+", "_", text.replace("\ufeff", "").strip().lower())


def _table(pairs: Mapping[str, T]) -> dict[str, T]:
    return {_norm(key): value for key, value in pairs.items()}


_HEADERS = _table({**{c: c for c in COLUMNS}, **{zh: c for c, zh in COLUMNS.items()}})
RECORD_VALUES = _table(
    {
        PARTY: PARTY, SOCIAL: SOCIAL, GROUP: GROUP, MEMBER: MEMBER,
        "党组织": PARTY, "社会组织": SOCIAL, "党小组": GROUP, "党员": MEMBER,
    }
)
PARTY_KIND_LABELS: dict[PartyOrgKind, str] = {
    PartyOrgKind.COMMITTEE: "党委",
    PartyOrgKind.GENERAL_BRANCH: "党总支",
    PartyOrgKind.BRANCH: "党支部",
    PartyOrgKind.JOINT_BRANCH: "联合党支部",
}
PARTY_KIND_VALUES = _table(
    {**{k.value: k for k in PartyOrgKind}, **{zh: k for k, zh in PARTY_KIND_LABELS.items()}}
)
SOCIAL_TYPE_VALUES = _table(
    {
        **{t.value: t for t in SocialOrgType},
        "社会团体": SocialOrgType.ASSOCIATION,
        "民办非企业单位": SocialOrgType.PRIVATE_NON_PROFIT,
        "社会服务机构": SocialOrgType.PRIVATE_NON_PROFIT,
        "基金会": SocialOrgType.FOUNDATION,
        "社会中介组织": SocialOrgType.INTERMEDIARY,
        "城乡社区社会组织": SocialOrgType.COMMUNITY,
    }
)
ROLE_LABELS: dict[MemberRole, str] = {
    MemberRole.SECRETARY: "书记",
    MemberRole.DEPUTY_SECRETARY: "副书记",
    MemberRole.COMMITTEE_MEMBER: "委员",
    MemberRole.MEMBER: "党员",
}
ROLE_VALUES = _table(
    {**{r.value: r for r in MemberRole}, **{zh: r for r, zh in ROLE_LABELS.items()}}
)
_DATE_REASONS = {
    "date_format": "expected a date like 2021-06-30",
    "date_invalid": "no such date",
    "date_future": "the date is in the future",
    "date_too_early": "the date is more than 20 years ago",
}


def _kind_label(kind: PartyOrgKind) -> str:
    return f"{PARTY_KIND_LABELS[kind]} ({kind.value})"


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class RowError:
    """One problem: row as a spreadsheet numbers it (header = 1; FILE_ROW = the whole
    file), column the canonical column name (None when not about one column)."""

    row: int
    column: str | None
    message: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass
class ImportReport:
    """What an import created (or would create, for a dry run) and what was wrong."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_KINDS, 0))
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    source: str = ""
    # Canonical column name -> the header as written in the file, for the report.
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def _column(self, column: str) -> str:
        written = self.headers.get(column)
        if written and _norm(written) != column:
            return f"{column} ({written})"
        return column

    def _where(self, error: RowError) -> str:
        if error.row == FILE_ROW:
            return "file"
        where = f"row {error.row}"
        if error.column:
            where += f", column {self._column(error.column)}"
        return where

    def format(self) -> str:
        source = self.source or "the file"
        if self.errors:
            lines = [
                f"{source}: {_plural(len(self.errors), 'error')}; nothing was imported."
            ]
            lines += [f"  {self._where(e)}: {e.message}" for e in self.errors]
            return "\n".join(lines)
        parts = [
            _plural(self.created.get(PARTY, 0), "party organization"),
            _plural(self.created.get(SOCIAL, 0), "social organization"),
            _plural(self.created.get(GROUP, 0), "party group"),
            _plural(self.created.get(MEMBER, 0), "member") + " appointed",
        ]
        summary = ", ".join(parts[:-1]) + " and " + parts[-1]
        if self.dry_run:
            return f"Dry run: {source} is valid and would create {summary}. Nothing was written."
        return f"Imported from {source}: {summary}."


# ----------------------------------------------------------------------- reading


class _FileProblem(Exception):
    """The file cannot be read as a table at all."""


Cells = list[object]


def _text(value: object) -> str:
    """A cell as trimmed text; whole numbers without '.0', date cells as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _too_many_rows(number: int) -> _FileProblem:
    return _FileProblem(
        f"row {number}: a file may have at most {MAX_ROWS} rows; split it into smaller files"
    )


def _too_many_columns(number: int) -> _FileProblem:
    return _FileProblem(
        f"row {number}: a file may have at most {MAX_COLUMNS} columns "
        f"(A to {_column_letter(MAX_COLUMNS - 1)})"
    )


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _FileProblem(
            f"the file has {size // 1024 // 1024} MB; at most {MAX_FILE_BYTES // 1024 // 1024} "
            "MB can be imported at once"
        )


def _read_csv(path: Path) -> list[tuple[int, Cells]]:
    _check_size(path)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise _FileProblem("this is a zip/Excel file, not CSV text; name it .xlsx")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _FileProblem("cannot read the file as UTF-8 or GB18030 text; save it as CSV UTF-8")
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:  # Excel in some locales saves with ';', some tools with tabs
        delimiter = "\t" if "\t" in first_line else ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, Cells]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(_text(c) for c in cells):
                continue
            if number > MAX_ROWS:
                raise _too_many_rows(number)
            if any(_text(c) for c in cells[MAX_COLUMNS:]):
                raise _too_many_columns(number)
            rows.append((number, list(cells[:MAX_COLUMNS])))
    except csv.Error as exc:
        raise _FileProblem(f"line {reader.line_num}: {exc}") from None
    return rows


def _check_unpacked_size(path: Path) -> None:
    """Refuse a workbook that unpacks to far more than any organization list needs."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _FileProblem(f"cannot open the Excel file: {exc}") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _FileProblem(
            f"the workbook unpacks to {unpacked // 1024 // 1024} MB; at most "
            f"{MAX_XLSX_UNPACKED_BYTES // 1024 // 1024} MB can be imported at once"
        )


def _read_xlsx(path: Path) -> list[tuple[int, Cells]]:
    from openpyxl import load_workbook

    _check_size(path)
    _check_unpacked_size(path)
    try:
        with warnings.catch_warnings():
            # e.g. "Data Validation extension is not supported": irrelevant here.
            warnings.simplefilter("ignore")
            workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or foreign file: report it, whatever broke
        raise _FileProblem(f"cannot open the Excel file: {exc}") from None
    try:
        if not workbook.worksheets:
            raise _FileProblem("the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # some writers store a wrong size; read every row
        # The header row decides the width: later rows are read no wider, so one stray
        # cell in column XFD does not turn every row into 16,384 values.
        header: tuple[int, Cells] | None = None
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
        ):
            if number > MAX_ROWS:
                raise _too_many_rows(number)
            texts = [_text(v) for v in values]
            if any(texts):
                if len(texts) > MAX_COLUMNS and texts[MAX_COLUMNS]:
                    raise _too_many_columns(number)
                width = max(i for i, text in enumerate(texts) if text) + 1
                header = (number, list(values[:width]))
                break
        if header is None:
            return []
        rows = [header]
        for number, values in enumerate(
            sheet.iter_rows(min_row=header[0] + 1, max_col=len(header[1]), values_only=True),
            start=header[0] + 1,
        ):
            if any(_text(v) for v in values):
                if number > MAX_ROWS:
                    raise _too_many_rows(number)
                rows.append((number, list(values)))
        return rows
    except _FileProblem:
        raise
    except Exception as exc:
        raise _FileProblem(f"cannot read the Excel file: {exc}") from None
    finally:
        workbook.close()


def _read_rows(path: Path) -> list[tuple[int, Cells]]:
    """The non-empty rows of the file with their numbers (row 1 is the file's first line),
    each at most MAX_COLUMNS wide (an .xlsx row: as wide as the header)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _FileProblem(
            f"unsupported file type '{path.suffix or path.name}': use a .csv or .xlsx file"
        )
    try:
        return _read_csv(path) if suffix == ".csv" else _read_xlsx(path)
    except OSError as exc:
        raise _FileProblem(f"cannot read {path}: {exc.strerror or exc}") from None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_for(header: str) -> str | None:
    """The canonical column for a header: 'name', 'Name', '名称' or '名称 (name)'."""
    found = _HEADERS.get(_norm(header))
    if found is not None:
        return found
    parts = [p for p in re.split(r"[()（）]", header) if p.strip()]
    columns = {_HEADERS.get(_norm(p)) for p in parts}
    if len(parts) > 1 and len(columns) == 1 and None not in columns:
        return columns.pop()
    return None


def _describe_columns(columns: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"{c} ({COLUMNS[c]})" if c != "telegram_id" else c for c in columns)


# ------------------------------------------------------------------- parsed rows


@dataclass(frozen=True)
class _Party:
    row: int
    name: str
    kind: PartyOrgKind
    parent: str | None
    term_start: date | None
    term_years: int | None


@dataclass(frozen=True)
class _Social:
    row: int
    name: str
    org_type: SocialOrgType
    parent: str | None


@dataclass(frozen=True)
class _Group:
    row: int
    name: str
    parent: str


@dataclass(frozen=True)
class _Member:
    row: int
    real_name: str | None
    role: MemberRole
    parent: str
    telegram_id: int


class _Rollback(Exception):
    """Raised inside the session to undo everything (errors found, or a dry run)."""


class _Importer:
    def __init__(self, today: date, actor_telegram_id: int | None) -> None:
        self.today = today
        self.actor = actor_telegram_id
        self.errors: list[RowError] = []
        self.created = dict.fromkeys(RECORD_KINDS, 0)
        # Valid party rows by name (the first row of a name), and names that failed:
        # rows referring to a failed organization are skipped without a second error.
        self.parties: dict[str, _Party] = {}
        self.blocked: set[str] = set()
        self.socials: list[_Social] = []
        self.groups: list[_Group] = []
        self.members: list[_Member] = []
        # Parents named by rows that failed their own checks: still checked to exist.
        self.references: list[tuple[int, str]] = []
        # First row of each name (or key), for duplicates within the file.
        self.party_rows: dict[str, int] = {}
        self.social_rows: dict[str, int] = {}
        self.group_rows: dict[tuple[str, str], int] = {}
        self.member_rows: dict[int, int] = {}
        self.secretary_rows: dict[str, int] = {}
        # Party organizations resolved by name: created from the file or found in the database.
        self.resolved: dict[str, tuple[int, PartyOrgKind] | None] = {}

    def error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    # ------------------------------------------------------------- cell checks

    def _name(self, row: int, cells: dict[str, object], max_length: int) -> str | None:
        value = clean_text(_text(cells.get("name")), max_length=max_length)
        if isinstance(value, Invalid):
            self.error(row, "name", _text_problem(value, "a name is required"))
            return None
        return value

    def _choice(
        self, row: int, cells: dict[str, object], values: dict[str, T], what: str, allowed: str
    ) -> T | None:
        text = _text(cells.get("kind"))
        if not text:
            self.error(row, "kind", f"{what} is required: {allowed}")
            return None
        value = values.get(_norm(text))
        if value is None:
            self.error(row, "kind", f"unknown {what} '{_shown(text)}'; use {allowed}")
        return value

    def _parent(self, row: int, cells: dict[str, object], required: str | None) -> str | None:
        value = clean_text(_text(cells.get("parent")), max_length=MAX_ORG_NAME)
        if isinstance(value, Invalid):
            if value.reason == "empty":
                if required:
                    self.error(row, "parent", required)
            else:
                self.error(row, "parent", _text_problem(value, ""))
            return None
        return value

    def _unused(self, row: int, cells: dict[str, object], record: str, *columns: str) -> None:
        for column in columns:
            if _text(cells.get(column)):
                self.error(row, column, f"not used for {record} rows; leave it empty")

    def _term_start(self, row: int, cells: dict[str, object]) -> date | None:
        raw = cells.get("term_start")
        if isinstance(raw, datetime):  # an Excel date cell
            text = raw.date().isoformat()
        elif isinstance(raw, date):
            text = raw.isoformat()
        else:
            text = _text(raw)
        if not text:
            return None
        value = clean_term_start(text, self.today)
        if isinstance(value, Invalid):
            reason = _DATE_REASONS.get(value.reason, value.reason)
            self.error(row, "term_start", f"'{_shown(text)}': {reason}")
            return None
        return value

    def _term_years(self, row: int, cells: dict[str, object]) -> int | None:
        raw = cells.get("term_years")
        if not _text(raw):
            return None
        value = _whole_number(raw, MIN_TERM_YEARS, MAX_TERM_YEARS)
        if value is None:
            self.error(
                row, "term_years",
                f"'{_shown(raw)}': the term is a whole number of years from "
                f"{MIN_TERM_YEARS} to {MAX_TERM_YEARS}",
            )
            return None
        return value

    def _telegram_id(self, row: int, cells: dict[str, object]) -> int | None:
        raw = cells.get("telegram_id")
        if not _text(raw):
            self.error(row, "telegram_id", "the person's numeric Telegram id is required")
            return None
        value = _whole_number(raw, 1, MAX_TELEGRAM_ID)
        if value is None:
            self.error(
                row, "telegram_id",
                f"'{_shown(raw)}' is not a Telegram id (a positive whole number in the digits "
                f"0-9, at most {MAX_TELEGRAM_ID})",
            )
            return None
        return value

    # -------------------------------------------------------------- row parsing

    def parse(self, row: int, cells: dict[str, object]) -> None:
        """Check one row on its own and against earlier rows; keep it if it is valid."""
        text = _text(cells.get("record"))
        record = RECORD_VALUES.get(_norm(text)) if text else None
        if record is None:
            what = (f"unknown record type '{_shown(text)}'" if text
                    else "the record type is required")
            self.error(
                row, "record", f"{what}; use party, social, group or member "
                "(党组织, 社会组织, 党小组, 党员)",
            )
            return
        before = len(self.errors)
        if record == PARTY:
            self._parse_party(row, cells, before)
        elif record == SOCIAL:
            self._parse_social(row, cells, before)
        elif record == GROUP:
            self._parse_group(row, cells, before)
        else:
            self._parse_member(row, cells, before)

    def _parse_party(self, row: int, cells: dict[str, object], before: int) -> None:
        name = self._name(row, cells, MAX_ORG_NAME)
        kind = self._choice(
            row, cells, PARTY_KIND_VALUES, "party organization kind",
            "committee, general_branch, branch or joint_branch (党委, 党总支, 党支部, 联合党支部)",
        )
        parent = self._parent(row, cells, required=None)
        if name is not None and parent == name:
            self.error(row, "parent", f"'{name}' cannot be its own parent")
        term_start = self._term_start(row, cells)
        term_years = self._term_years(row, cells)
        self._unused(row, cells, "party", "telegram_id")
        duplicate = False
        if name is not None:
            first = self.party_rows.setdefault(name, row)
            if first != row:
                duplicate = True
                self.error(
                    row, "name", f"party organization '{name}' is already on row {first}"
                )
        if len(self.errors) > before:
            if name is not None and not duplicate:
                self.blocked.add(name)
            if parent is not None and parent != name:
                self.references.append((row, parent))
            return
        assert name is not None and kind is not None
        self.parties[name] = _Party(row, name, kind, parent, term_start, term_years)

    def _parse_social(self, row: int, cells: dict[str, object], before: int) -> None:
        name = self._name(row, cells, MAX_ORG_NAME)
        org_type = self._choice(
            row, cells, SOCIAL_TYPE_VALUES, "social organization type",
            "association, private_non_profit, foundation, intermediary or community "
            "(社会团体, 民办非企业单位/社会服务机构, 基金会, 社会中介组织, 城乡社区社会组织)",
        )
        parent = self._parent(row, cells, required=None)
        self._unused(row, cells, "social", "term_start", "term_years", "telegram_id")
        if name is not None:
            first = self.social_rows.setdefault(name, row)
            if first != row:
                self.error(
                    row, "name", f"social organization '{name}' is already on row {first}"
                )
        if len(self.errors) == before:
            assert name is not None and org_type is not None
            self.socials.append(_Social(row, name, org_type, parent))
        elif parent is not None:
            self.references.append((row, parent))

    def _parse_group(self, row: int, cells: dict[str, object], before: int) -> None:
        name = self._name(row, cells, MAX_GROUP_NAME)
        parent = self._parent(
            row, cells, required="the 党支部 or 联合党支部 the group belongs to is required"
        )
        self._unused(row, cells, "group", "kind", "term_start", "term_years", "telegram_id")
        if name is not None and parent is not None:
            first = self.group_rows.setdefault((parent, name), row)
            if first != row:
                self.error(
                    row, "name", f"party group '{name}' in '{parent}' is already on row {first}"
                )
        if len(self.errors) == before:
            assert name is not None and parent is not None
            self.groups.append(_Group(row, name, parent))
        elif parent is not None:
            self.references.append((row, parent))

    def _parse_member(self, row: int, cells: dict[str, object], before: int) -> None:
        real_name: str | None = None
        if _text(cells.get("name")):
            cleaned = clean_real_name(_text(cells.get("name")))
            if isinstance(cleaned, Invalid):
                self.error(row, "name", _text_problem(cleaned, ""))
            else:
                real_name = cleaned
        role: MemberRole | None = MemberRole.MEMBER
        if _text(cells.get("kind")):
            role = self._choice(
                row, cells, ROLE_VALUES, "role",
                "secretary, deputy_secretary, committee_member or member "
                "(书记, 副书记, 委员, 党员)",
            )
        parent = self._parent(
            row, cells, required="the party organization the person belongs to is required"
        )
        telegram_id = self._telegram_id(row, cells)
        self._unused(row, cells, "member", "term_start", "term_years")
        if telegram_id is not None:
            first = self.member_rows.setdefault(telegram_id, row)
            if first != row:
                self.error(
                    row, "telegram_id", f"Telegram id {telegram_id} is already on row {first}"
                )
        if role is MemberRole.SECRETARY and parent is not None:
            first = self.secretary_rows.setdefault(parent, row)
            if first != row:
                self.error(
                    row, "kind", f"'{parent}' already gets a secretary on row {first}"
                )
        if len(self.errors) == before:
            assert role is not None and parent is not None and telegram_id is not None
            self.members.append(_Member(row, real_name, role, parent, telegram_id))
        elif parent is not None:
            self.references.append((row, parent))

    # ------------------------------------------------------------------ ordering

    def party_order(self) -> list[_Party]:
        """Valid party rows, parents before children; rows on a cycle are reported."""
        done: set[str] = set()
        order: list[_Party] = []
        for start in self.parties:
            path: list[str] = []
            on_path: dict[str, int] = {}
            current: str | None = start
            while current is not None and current in self.parties and current not in done:
                if current in on_path:
                    cycle = path[on_path[current]:]
                    chain = " → ".join([*cycle, cycle[0]])
                    for name in cycle:
                        self.error(
                            self.parties[name].row, "parent", f"circular parents: {chain}"
                        )
                        self.blocked.add(name)
                        done.add(name)
                    break
                on_path[current] = len(path)
                path.append(current)
                current = self.parties[current].parent
            for name in reversed(path):
                if name not in done:
                    done.add(name)
                    order.append(self.parties[name])
        return order

    # --------------------------------------------------------------- database

    async def _target(
        self, session: AsyncSession, row: int, name: str
    ) -> tuple[int, PartyOrgKind] | None:
        """The party organization a row refers to, created from the file or already in the
        database; None to skip the row (reported, unless it names a failed row of the file).
        """
        if name not in self.resolved:
            found = await orgs.party_org_by_name(session, name)
            self.resolved[name] = (found.id, found.kind) if found is not None else None
        target = self.resolved[name]
        if target is None and name not in self.blocked:
            self.error(row, "parent", f"unknown party organization '{name}'")
        return target

    async def _guarded(self, session: AsyncSession, row: int, step: Awaitable[object]) -> bool:
        """Run a creating step in a savepoint, so a refused row leaves nothing behind.

        TreeError and MembershipError propagate to the caller, which names the column.
        """
        try:
            async with session.begin_nested():
                await step
        except IntegrityError as exc:
            self.error(row, None, f"the database refused this row: {exc.orig}")
            return False
        return True

    async def create_party(self, session: AsyncSession, party: _Party) -> None:
        parent_id: int | None = None
        parent_kind: PartyOrgKind | None = None
        if party.parent is not None:
            target = await self._target(session, party.row, party.parent)
            if target is None:
                self.blocked.add(party.name)
                return
            parent_id, parent_kind = target

        async def step() -> None:
            org = await orgs.create_party_org(
                session, name=party.name, kind=party.kind, parent_id=parent_id,
                actor_telegram_id=self.actor,
            )
            if party.term_start is not None or party.term_years is not None:
                await orgs.set_term(
                    session, org, started_on=party.term_start, years=party.term_years,
                    actor_telegram_id=self.actor,
                )
            self.resolved[party.name] = (org.id, org.kind)

        try:
            ok = await self._guarded(session, party.row, step())
        except orgs.TreeError as exc:
            ok = False
            if exc.code == "duplicate_party_org":
                self.error(
                    party.row, "name",
                    f"party organization '{party.name}' already exists in the database",
                )
            elif exc.code == "bad_parent_kind" and parent_kind is not None:
                allowed = " or ".join(
                    _kind_label(k) for k in PartyOrgKind if k in ALLOWED_PARENTS[party.kind]
                )
                self.error(
                    party.row, "parent",
                    f"a {_kind_label(party.kind)} cannot be placed under '{party.parent}', "
                    f"a {_kind_label(parent_kind)}; it goes under a {allowed}",
                )
            elif exc.code == "bad_term_years":
                self.error(party.row, "term_years", "the term length is out of range")
            else:
                self.error(party.row, None, f"refused: {exc.code} {exc.name}".strip())
        if ok:
            self.created[PARTY] += 1
        else:
            self.blocked.add(party.name)

    async def create_social(self, session: AsyncSession, social: _Social) -> None:
        party_id: int | None = None
        if social.parent is not None:
            target = await self._target(session, social.row, social.parent)
            if target is None:
                return
            party_id = target[0]
        try:
            ok = await self._guarded(
                session, social.row,
                orgs.create_social_org(
                    session, name=social.name, org_type=social.org_type,
                    party_org_id=party_id, actor_telegram_id=self.actor,
                ),
            )
        except orgs.TreeError as exc:
            ok = False
            if exc.code == "duplicate_social_org":
                self.error(
                    social.row, "name",
                    f"social organization '{social.name}' already exists in the database",
                )
            else:
                self.error(social.row, None, f"refused: {exc.code} {exc.name}".strip())
        if ok:
            self.created[SOCIAL] += 1

    async def _org(self, session: AsyncSession, org_id: int) -> PartyOrganization:
        org = await session.get(PartyOrganization, org_id)
        assert org is not None
        return org

    async def create_group(self, session: AsyncSession, group: _Group) -> None:
        target = await self._target(session, group.row, group.parent)
        if target is None:
            return
        org_id, kind = target
        org = await self._org(session, org_id)
        try:
            ok = await self._guarded(
                session, group.row,
                orgs.create_group(
                    session, org=org, name=group.name, actor_telegram_id=self.actor
                ),
            )
        except orgs.TreeError as exc:
            ok = False
            if exc.code == "duplicate_group":
                self.error(
                    group.row, "name",
                    f"party group '{group.name}' already exists in '{group.parent}'",
                )
            elif exc.code == "groups_only_in_branches":
                allowed = " or ".join(_kind_label(k) for k in PartyOrgKind if k in GROUP_KINDS)
                self.error(
                    group.row, "parent",
                    f"'{group.parent}' is a {_kind_label(kind)}; 党小组 are formed only in "
                    f"a {allowed}",
                )
            else:
                self.error(group.row, "parent", f"refused: {exc.code} {exc.name}".strip())
        if ok:
            self.created[GROUP] += 1

    async def appoint_member(self, session: AsyncSession, member: _Member) -> None:
        target = await self._target(session, member.row, member.parent)
        if target is None:
            return
        org_id, kind = target
        if member.role is MemberRole.MEMBER and kind not in MEMBER_KINDS:
            self.error(
                member.row, "parent",
                f"'{member.parent}' is a {_kind_label(kind)}: its members belong to its "
                "branches; only committee roles (书记, 副书记, 委员) are given here",
            )
            return
        org = await self._org(session, org_id)

        async def step() -> None:
            membership = await people.appoint_by_telegram_id(
                session, org, member.telegram_id, member.role,
                status=MemberStatus.FULL,
                # The people module types the actor as int; None (an import from the
                # command line, no Telegram user) is stored as NULL like elsewhere.
                actor_telegram_id=self.actor,
                language="zh",
            )
            if member.real_name:
                person = await session.get(Person, membership.person_id)
                if person is not None and not person.real_name:
                    person.real_name = member.real_name

        try:
            ok = await self._guarded(session, member.row, step())
        except people.MembershipError as exc:
            ok = False
            if exc.code == "member_elsewhere":
                where = ""
                person = await people.person_by_telegram_id(session, member.telegram_id)
                current = (
                    await people.current_membership(session, person.id) if person else None
                )
                if current is not None:
                    where = f" ('{current.party_organization.name}')"
                self.error(
                    member.row, "telegram_id",
                    f"Telegram id {member.telegram_id} already belongs to another party "
                    f"organization{where}; transfer them out first",
                )
            else:
                self.error(member.row, None, f"refused: {exc.code}")
        if ok:
            self.created[MEMBER] += 1

    async def apply(self, session: AsyncSession) -> None:
        for party in self.party_order():
            await self.create_party(session, party)
        for row, parent in self.references:
            await self._target(session, row, parent)
        for social in self.socials:
            await self.create_social(session, social)
        for group in self.groups:
            await self.create_group(session, group)
        for member in self.members:
            await self.appoint_member(session, member)


def _text_problem(value: Invalid, empty: str) -> str:
    if value.reason == "empty":
        return empty
    if value.reason == "too_long":
        return f"longer than {value.limit} characters"
    if value.reason == "control_chars":
        return "contains line breaks or other control characters"
    if value.reason == "name_chars":
        return "a person's name may contain only letters, spaces, middle dots and hyphens"
    return value.reason


def _whole_number(value: object, minimum: int, maximum: int) -> int | None:
    """A whole number from minimum to maximum: a number cell, or ASCII digits only."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int):
        return value if minimum <= value <= maximum else None
    number = parse_whole(_text(value), minimum=minimum, maximum=maximum, typed=False)
    return None if isinstance(number, Invalid) else number


def _shown(value: object) -> str:
    """A cell as quoted in the report: long values cut short."""
    text = _text(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _check_header(
    report: ImportReport, header_row: int, cells: Cells
) -> dict[str, int] | None:
    """Column name -> index, or None after reporting what is wrong with the header."""
    index: dict[str, int] = {}
    unknown: list[str] = []
    for position, cell in enumerate(cells):
        text = _text(cell)
        if not text:
            continue
        column = _column_for(text)
        if column is None:
            unknown.append(text)
        elif column in index:
            report.errors.append(
                RowError(header_row, column, f"the column appears twice ('{_shown(text)}')")
            )
        else:
            index[column] = position
            report.headers[column] = text
    if unknown:
        names = ", ".join(f"'{_shown(u)}'" for u in unknown)
        report.errors.append(
            RowError(
                header_row, None,
                f"unknown column(s) {names}; the columns are {_describe_columns(list(COLUMNS))}",
            )
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        report.errors.append(
            RowError(header_row, None, f"missing column(s) {_describe_columns(missing)}")
        )
    return None if report.errors else index


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
        rows = await asyncio.to_thread(_read_rows, path)
    except _FileProblem as exc:
        report.errors.append(RowError(FILE_ROW, None, str(exc)))
        return report
    numbered = rows
    if not numbered:
        report.errors.append(RowError(FILE_ROW, None, "the file is empty"))
        return report
    header_row, header = numbered[0]
    index = _check_header(report, header_row, header)
    if index is None:
        return report
    if len(numbered) == 1:
        report.errors.append(RowError(FILE_ROW, None, "the file has a header but no rows"))
        return report

    importer = _Importer(today or date.today(), actor_telegram_id)
    known_positions = set(index.values())
    for number, cells in numbered[1:]:
        stray = [
            p for p, cell in enumerate(cells) if p not in known_positions and _text(cell)
        ]
        for position in stray:
            importer.error(
                number, None,
                f"value in column {_column_letter(position)}, which has no header",
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


__all__ = ["FILE_ROW", "RECORD_KINDS", "ImportReport", "RowError", "import_org_file"]
