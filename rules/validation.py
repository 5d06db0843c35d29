"""Validation of what people type: names, dates, codes. Plain functions, no I/O."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

MAX_REAL_NAME = 30
MAX_ORG_NAME = 100
MAX_GROUP_NAME = 50
MAX_REASON = 200
EARLIEST_JOIN_DATE = date(1921, 7, 1)  # the party's founding; nobody joined earlier
INVITE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{6,32}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,20}$")
DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


@dataclass(frozen=True)
class Invalid:
    """Why an input was refused; `reason` is a message id for the translation catalog."""

    reason: str
    limit: int | None = None


def _has_control_chars(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def clean_text(text: str | None, *, max_length: int) -> str | Invalid:
    """Trimmed single-line text, or why it is refused."""
    value = (text or "").strip()
    if not value:
        return Invalid("empty")
    if _has_control_chars(value):
        return Invalid("control_chars")
    if len(value) > max_length:
        return Invalid("too_long", max_length)
    return value


def clean_real_name(text: str | None) -> str | Invalid:
    """A person's real name: letters, spaces, middle dots and hyphens only."""
    value = clean_text(text, max_length=MAX_REAL_NAME)
    if isinstance(value, Invalid):
        return value
    value = " ".join(value.split())
    if value.startswith("/") or not all(
        ch.isalpha() or ch in " ·•.-'" for ch in value
    ):
        return Invalid("name_chars")
    return value


def parse_date(text: str | None) -> date | Invalid:
    """A date typed as 2024-07-01, 2024/7/1 or 2024年7月1日."""
    match = DATE_RE.match(text or "")
    if not match:
        return Invalid("date_format")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return Invalid("date_invalid")


def clean_join_date(text: str | None, today: date) -> date | Invalid:
    """The date someone joined the party (or applied, for activists): in the past."""
    value = parse_date(text)
    if isinstance(value, Invalid):
        return value
    if value > today:
        return Invalid("date_future")
    if value < EARLIEST_JOIN_DATE:
        return Invalid("date_too_early")
    return value


def clean_term_start(text: str | None, today: date) -> date | Invalid:
    """The election date that starts a committee term: not in the future, not absurdly old."""
    value = parse_date(text)
    if isinstance(value, Invalid):
        return value
    if value > today:
        return Invalid("date_future")
    if value.year < today.year - 20:
        return Invalid("date_too_early")
    return value


def clean_phone(text: str | None) -> str | Invalid:
    value = (text or "").strip()
    if not PHONE_RE.match(value):
        return Invalid("phone_format")
    digits = "".join(ch for ch in value if ch.isdigit())
    return ("+" if value.startswith("+") else "") + digits


def is_invite_code(text: str | None) -> bool:
    return bool(text and INVITE_CODE_RE.match(text))


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four digits: +86138****0000."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:-8] + "****" + phone[-4:] if len(phone) >= 11 else phone[:3] + "****"
