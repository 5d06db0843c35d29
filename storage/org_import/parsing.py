"""Parsing the rows of an import file: each row checked cell by cell and against the rows
before it, the valid ones kept, party organizations ordered parents first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from rules.terms import MAX_TERM_YEARS, MIN_TERM_YEARS
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
from rules.vocabulary import MemberRole, PartyOrgKind, SocialOrgType
from storage.org_import.columns import (
    GROUP,
    PARTY,
    PARTY_KIND_VALUES,
    RECORD_VALUES,
    ROLE_VALUES,
    SOCIAL,
    SOCIAL_TYPE_VALUES,
    cell_text,
    match_key,
    shown,
)
from storage.org_import.report import RowError

T = TypeVar("T")

_DATE_REASONS = {
    "date_format": "expected a date like 2021-06-30",
    "date_invalid": "no such date",
    "date_future": "the date is in the future",
    "date_too_early": "the date is more than 20 years ago",
}


@dataclass(frozen=True)
class PartyRow:
    row: int
    name: str
    kind: PartyOrgKind
    parent: str | None
    term_start: date | None
    term_years: int | None


@dataclass(frozen=True)
class SocialRow:
    row: int
    name: str
    org_type: SocialOrgType
    parent: str | None


@dataclass(frozen=True)
class GroupRow:
    row: int
    name: str
    parent: str


@dataclass(frozen=True)
class MemberRow:
    row: int
    real_name: str | None
    role: MemberRole
    parent: str
    telegram_id: int


class RowParser:
    """Checks each row on its own and against the rows before it, keeping the valid ones."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.errors: list[RowError] = []
        # Valid party rows by name (the first row of a name), and names that failed:
        # rows referring to a failed organization are skipped without a second error.
        self.parties: dict[str, PartyRow] = {}
        self.blocked: set[str] = set()
        self.socials: list[SocialRow] = []
        self.groups: list[GroupRow] = []
        self.members: list[MemberRow] = []
        # Parents named by rows that failed their own checks: still checked to exist.
        self.references: list[tuple[int, str]] = []
        # First row of each name (or key), for duplicates within the file.
        self.party_rows: dict[str, int] = {}
        self.social_rows: dict[str, int] = {}
        self.group_rows: dict[tuple[str, str], int] = {}
        self.member_rows: dict[int, int] = {}
        self.secretary_rows: dict[str, int] = {}

    def error(self, row: int, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    # ------------------------------------------------------------- cell checks

    def _name(self, row: int, cells: dict[str, object], max_length: int) -> str | None:
        value = clean_text(cell_text(cells.get("name")), max_length=max_length)
        if isinstance(value, Invalid):
            self.error(row, "name", _text_problem(value, "a name is required"))
            return None
        return value

    def _choice(
        self, row: int, cells: dict[str, object], values: dict[str, T], what: str, allowed: str
    ) -> T | None:
        text = cell_text(cells.get("kind"))
        if not text:
            self.error(row, "kind", f"{what} is required: {allowed}")
            return None
        value = values.get(match_key(text))
        if value is None:
            self.error(row, "kind", f"unknown {what} '{shown(text)}'; use {allowed}")
        return value

    def _parent(self, row: int, cells: dict[str, object], required: str | None) -> str | None:
        value = clean_text(cell_text(cells.get("parent")), max_length=MAX_ORG_NAME)
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
            if cell_text(cells.get(column)):
                self.error(row, column, f"not used for {record} rows; leave it empty")

    def _term_start(self, row: int, cells: dict[str, object]) -> date | None:
        raw = cells.get("term_start")
        if isinstance(raw, datetime):  # an Excel date cell
            text = raw.date().isoformat()
        elif isinstance(raw, date):
            text = raw.isoformat()
        else:
            text = cell_text(raw)
        if not text:
            return None
        value = clean_term_start(text, self.today)
        if isinstance(value, Invalid):
            reason = _DATE_REASONS.get(value.reason, value.reason)
            self.error(row, "term_start", f"'{shown(text)}': {reason}")
            return None
        return value

    def _term_years(self, row: int, cells: dict[str, object]) -> int | None:
        raw = cells.get("term_years")
        if not cell_text(raw):
            return None
        value = _whole_number(raw, MIN_TERM_YEARS, MAX_TERM_YEARS)
        if value is None:
            self.error(
                row, "term_years",
                f"'{shown(raw)}': the term is a whole number of years from "
                f"{MIN_TERM_YEARS} to {MAX_TERM_YEARS}",
            )
            return None
        return value

    def _telegram_id(self, row: int, cells: dict[str, object]) -> int | None:
        raw = cells.get("telegram_id")
        if not cell_text(raw):
            self.error(row, "telegram_id", "the person's numeric Telegram id is required")
            return None
        value = _whole_number(raw, 1, MAX_TELEGRAM_ID)
        if value is None:
            self.error(
                row, "telegram_id",
                f"'{shown(raw)}' is not a Telegram id (a positive whole number in the digits "
                f"0-9, at most {MAX_TELEGRAM_ID})",
            )
            return None
        return value

    # -------------------------------------------------------------- row parsing

    def parse(self, row: int, cells: dict[str, object]) -> None:
        """Check one row on its own and against earlier rows; keep it if it is valid."""
        text = cell_text(cells.get("record"))
        record = RECORD_VALUES.get(match_key(text)) if text else None
        if record is None:
            what = (f"unknown record type '{shown(text)}'" if text
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
        self.parties[name] = PartyRow(row, name, kind, parent, term_start, term_years)

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
            self.socials.append(SocialRow(row, name, org_type, parent))
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
            self.groups.append(GroupRow(row, name, parent))
        elif parent is not None:
            self.references.append((row, parent))

    def _parse_member(self, row: int, cells: dict[str, object], before: int) -> None:
        real_name: str | None = None
        if cell_text(cells.get("name")):
            cleaned = clean_real_name(cell_text(cells.get("name")))
            if isinstance(cleaned, Invalid):
                self.error(row, "name", _text_problem(cleaned, ""))
            else:
                real_name = cleaned
        role: MemberRole | None = MemberRole.MEMBER
        if cell_text(cells.get("kind")):
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
            self.members.append(MemberRow(row, real_name, role, parent, telegram_id))
        elif parent is not None:
            self.references.append((row, parent))

    # ------------------------------------------------------------------ ordering

    def party_order(self) -> list[PartyRow]:
        """Valid party rows, parents before children; rows on a cycle are reported."""
        done: set[str] = set()
        order: list[PartyRow] = []
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
    number = parse_whole(cell_text(value), minimum=minimum, maximum=maximum, typed=False)
    return None if isinstance(number, Invalid) else number
