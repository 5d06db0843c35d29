"""Validation of what people type: text, names, numbers, dates, phones, links, codes.

One function per kind of input, used by every handler (and the importer) that reads it.
Plain functions, no I/O; a refusal is an `Invalid` whose reason the handlers translate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from urllib.parse import urlsplit

MAX_REAL_NAME = 30
MAX_ORG_NAME = 100
MAX_GROUP_NAME = 50
MAX_REASON = 200
MAX_TOPIC = 200  # Meeting.topic
MAX_PLACE = 200  # Meeting.place
MAX_PERSON = 50  # Meeting.host / recorder / lecturer
MAX_URL = 300
EARLIEST_JOIN_DATE = date(1921, 7, 1)  # the party's founding; nobody joined earlier
INVITE_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{6,32}$")
# ASCII digits only: \d would also match Arabic-Indic and other scripts' digits.
DATE_RE = re.compile(
    r"^\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?\s*$"
)
WHEN_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\s+([0-9]{1,2}):([0-9]{2})")
MAX_TELEGRAM_ID = 2**52 - 1  # Telegram user ids have at most 52 significant bits
MAX_NUMBER_CHARS = 20  # longer than any number anyone types here; keeps parsing cheap
MIN_PHONE_DIGITS = 7  # the shortest national numbers (E.164 leaves lengths to each country)
MAX_PHONE_DIGITS = 15  # E.164: at most 15 digits with the country code
PHONE_SEPARATORS = " -().\u00a0"
DEFAULT_MAX_AHEAD = timedelta(days=731)  # a start more than two years ahead is a typo

# Chinese input methods type full-width ASCII (１２３, ：, ．) and the ideographic space.
_FULL_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) that are not format (Cf)
# characters, plus the blank braille pattern: they render as nothing, like spaces.
_INVISIBLE = frozenset(
    [chr(c) for c in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x2800, 0x3164, 0xFFA0)]
    + [chr(c) for c in range(0x180B, 0x1810)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
)
# Categories refused in single-line text (controls, surrogates, private use, unassigned);
# multi-line text (minutes) refuses only controls other than line breaks and tabs.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
_REFUSED_MULTILINE = frozenset({"Cc", "Cs"})


@dataclass(frozen=True)
class Invalid:
    """Why an input was refused; `reason` is a message id for the translation catalog.

    `limit` (and `low` for ranges) fill the message's {limit} and {low} placeholders.
    """

    reason: str
    limit: int | None = None
    low: int | None = None


# ---------------------------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------------------------


def fold_full_width(text: str) -> str:
    """Full-width ASCII forms and the ideographic space as plain ASCII (１２３ → 123)."""
    return text.translate(_FULL_WIDTH)


def is_visible(ch: str) -> bool:
    """Whether a character shows ink: not a space, format character, filler or lone mark."""
    if ch.isspace() or ch in _INVISIBLE:
        return False
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me")


def strip_format_chars(text: str) -> str:
    """Text without format characters (Cf): bidi overrides and isolates, zero-width ones."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def clean_text(text: str | None, *, max_length: int, multiline: bool = False) -> str | Invalid:
    """Free text as stored: format characters removed, trimmed, at least one visible
    character; single-line text refuses control characters (line breaks), multi-line
    text keeps line breaks and tabs."""
    value = strip_format_chars((text or "").replace("\r\n", "\n")).strip()
    allowed = "\n\t" if multiline else ""
    refused = _REFUSED_MULTILINE if multiline else _REFUSED_CATEGORIES
    if any(unicodedata.category(ch) in refused and ch not in allowed for ch in value):
        return Invalid("control_chars")
    if not any(is_visible(ch) for ch in value):
        return Invalid("empty")
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
        (ch.isalpha() and ch not in _INVISIBLE) or ch in " ·•.-'" for ch in value
    ) or not any(ch.isalpha() and is_visible(ch) for ch in value):
        return Invalid("name_chars")
    return value


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def parse_whole(
    text: str | None, *, minimum: int, maximum: int, typed: bool = True
) -> int | Invalid:
    """A whole number of ASCII digits from minimum to maximum; else Invalid("number_range").

    `typed` (chat input) also takes full-width digits; a file cell must be plain ASCII.
    """
    value = (fold_full_width(text or "") if typed else text or "").strip()
    refused = Invalid("number_range", maximum, minimum)
    if not value or len(value) > MAX_NUMBER_CHARS or not (value.isascii() and value.isdigit()):
        return refused
    number = int(value)
    return number if minimum <= number <= maximum else refused


def parse_whole_list(
    text: str | None, *, minimum: int, maximum: int, max_items: int
) -> list[int] | Invalid:
    """Numbers typed as "30, 14, 7 1" (also 、，;), largest first, without repeats."""
    parts = re.split(r"[\s,;、]+", fold_full_width(text or "").replace("，", ","))
    numbers: set[int] = set()
    for part in (p for p in parts if p):
        number = parse_whole(part, minimum=minimum, maximum=maximum)
        if isinstance(number, Invalid):
            return number
        numbers.add(number)
    if not numbers or len(numbers) > max_items:
        return Invalid("number_list", max_items)
    return sorted(numbers, reverse=True)


def parse_decimal(
    text: str | None, *, maximum: int, places: int = 4, typed: bool = True
) -> Decimal | Invalid:
    """A non-negative number typed as 2, 1.5, .5, 1,5 or １．５ with at most `places`
    decimals; Invalid("number_format") if it is not one, ("number_too_large") above maximum.
    """
    value = (fold_full_width(text or "") if typed else text or "").strip().replace(",", ".")
    whole, _point, fraction = value.partition(".")
    digits = whole + fraction
    if not digits or not (digits.isascii() and digits.isdigit()) or len(fraction) > places:
        return Invalid("number_format")
    # Compare lengths first: Decimal() of thousands of digits is wasted work.
    if len(whole.lstrip("0")) > len(str(maximum)):
        return Invalid("number_too_large", maximum)
    amount = Decimal(f"{whole or '0'}.{fraction or '0'}")
    if amount > maximum:
        return Invalid("number_too_large", maximum)
    return amount


# ---------------------------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------------------------


def parse_date(text: str | None) -> date | Invalid:
    """A date typed as 2024-07-01, 2024/7/1, 2024年7月1日 or with full-width digits."""
    match = DATE_RE.match(fold_full_width(text or ""))
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
    return value if isinstance(value, Invalid) else check_join_date(value, today)


def check_join_date(value: date, today: date) -> date | Invalid:
    """A join (or application) date however it was typed: not ahead, not before 1921."""
    if value > today:
        return Invalid("date_future")
    if value < EARLIEST_JOIN_DATE:
        return Invalid("date_too_early")
    return value


def clean_term_start(text: str | None, today: date) -> date | Invalid:
    """The election date that starts a committee term: not in the future, not absurdly old."""
    value = parse_date(text)
    return value if isinstance(value, Invalid) else check_term_start(value, today)


def check_term_start(value: date, today: date) -> date | Invalid:
    """An election date however it was typed: not ahead, not more than 20 years back."""
    if value > today:
        return Invalid("date_future")
    if value.year < today.year - 20:
        return Invalid("date_too_early")
    return value


def parse_when(
    text: str | None, tz: tzinfo, now: datetime, max_ahead: timedelta = DEFAULT_MAX_AHEAD
) -> datetime | str:
    """A start typed as YYYY-MM-DD HH:MM in the time zone `tz`, in UTC; else an error key
    ("format", "invalid", "past", "too_far").

    Full-width digits and colons (Chinese input methods) are accepted; nothing else is.
    """
    value = fold_full_width(text or "").strip()
    match = WHEN_RE.fullmatch(value)
    if not match:
        return "format"
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        wall = datetime(year, month, day, hour, minute)
    except ValueError:
        return "invalid"
    return check_when(wall, tz, now, max_ahead)


def check_when(
    wall: datetime, tz: tzinfo, now: datetime, max_ahead: timedelta = DEFAULT_MAX_AHEAD
) -> datetime | str:
    """A naive wall-clock start in `tz` as UTC, if it exists and lies ahead (not too far);
    else the error key ("invalid", "past", "too_far")."""
    try:
        local = wall.replace(tzinfo=tz)
        # A wall time skipped by a daylight-saving change does not exist.
        if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
            return "invalid"
    except (ValueError, OverflowError):  # year 1 or 9999 moved across UTC
        return "invalid"
    if local <= now:
        return "past"
    if local - now > max_ahead:
        return "too_far"
    return local.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Phones, links, codes
# ---------------------------------------------------------------------------------------------


def clean_phone(text: str | None) -> str | Invalid:
    """A phone number as +digits or digits: 7 to 15 ASCII digits (E.164; an 11-digit
    mainland mobile, with or without +86), separators ignored."""
    value = (text or "").strip()
    plus = value.startswith("+")
    digits = value[1:] if plus else value
    digits = "".join(ch for ch in digits if ch not in PHONE_SEPARATORS)
    if not (
        digits.isascii() and digits.isdigit()
        and MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS
    ):
        return Invalid("phone_format")
    return ("+" if plus else "") + digits


def mask_phone(phone: str | None) -> str:
    """At most the first three digits (five with China's +86) and the last four shown, and
    never fewer than four hidden: +86138****0000, 138****0000, ****5678."""
    if not phone:
        return ""
    sign = "+" if phone.startswith("+") else ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    n = len(digits)
    if n <= 4:
        return "*" * max(n, 4)
    tail = min(4, n - 4)
    head = 5 if n == 13 and digits.startswith("86") else 3  # country code 86 + 138
    head = max(0, min(head, n - tail - 4))
    return sign + digits[:head] + "****" + digits[n - tail:]


def clean_link(text: str | None, max_length: int = MAX_URL) -> str | None:
    """An http(s) link with a host, without spaces; None if it is anything else."""
    value = (text or "").strip()
    if not value or len(value) > max_length or any(ch.isspace() for ch in value):
        return None
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return value


def is_invite_code(text: str | None) -> bool:
    return bool(text and INVITE_CODE_RE.match(text))
