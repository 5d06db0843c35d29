"""The import file's vocabulary: record kinds, the columns and their Chinese headers, the
values each column accepts, the limits; and how a cell reads as text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import TypeVar

from rules.vocabulary import MemberRole, PartyOrgKind, SocialOrgType

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


def match_key(text: str) -> str:
    """Case-insensitive key: 'Telegram ID', 'telegram-id' and 'telegram_id' are one."""
    return re.sub(r"[\s\-]+", "_", text.replace("\ufeff", "").strip().lower())


def _table(pairs: Mapping[str, T]) -> dict[str, T]:
    return {match_key(key): value for key, value in pairs.items()}


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


def kind_label(kind: PartyOrgKind) -> str:
    return f"{PARTY_KIND_LABELS[kind]} ({kind.value})"


Cells = list[object]


def cell_text(value: object) -> str:
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


def shown(value: object) -> str:
    """A cell as quoted in the report: long values cut short."""
    text = cell_text(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_for(header: str) -> str | None:
    """The canonical column for a header: 'name', 'Name', '名称' or '名称 (name)'."""
    found = _HEADERS.get(match_key(header))
    if found is not None:
        return found
    parts = [p for p in re.split(r"[()（）]", header) if p.strip()]
    columns = {_HEADERS.get(match_key(p)) for p in parts}
    if len(parts) > 1 and len(columns) == 1 and None not in columns:
        return columns.pop()
    return None
