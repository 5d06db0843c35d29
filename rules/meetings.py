"""The rules of 三会一课 and related organizational life, as data and plain functions.

Frequencies, who is expected, check-in windows, rotating room codes, distances, ledger counts,
compliance per period and monthly recurrence. No Telegram, no database: the handlers and the
storage layer pass plain values in.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from rules.permissions import COMMITTEE_ROLES
from rules.vocabulary import AttendanceStatus, MeetingKind, MemberRole, MemberStatus

__all__ = [
    "DEFAULT_CHECKIN_WINDOW",
    "DEFAULT_CODE_DIGITS",
    "DEFAULT_CODE_STEP",
    "DEFAULT_REQUIREMENTS",
    "EARTH_RADIUS_M",
    "MEMBER_STATUSES",
    "CheckinState",
    "CheckinWindow",
    "ComplianceStatus",
    "Expectation",
    "LedgerCounts",
    "MemberFacts",
    "Period",
    "Requirement",
    "attendance_rate",
    "checkin_state",
    "code_is_valid",
    "code_valid_until",
    "committee_quorum_met",
    "distance_m",
    "expected_attendees",
    "freeze_statuses",
    "ledger_counts",
    "monthly_nth_weekday",
    "new_code_secret",
    "overlaps",
    "parse_requirements",
    "period_label",
    "period_of",
    "periods_between",
    "room_code",
    "within_radius",
]


class Period(StrEnum):
    """The span a meeting requirement is counted over."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# ---------------------------------------------------------------------------------------------
# How often each kind of meeting must be held
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """At least `minimum` meetings per `period`; a minimum of 0 means "not required"."""

    period: Period
    minimum: int

    def __post_init__(self) -> None:
        if self.minimum < 0:
            raise ValueError(f"minimum must be 0 or more, got {self.minimum}")


DEFAULT_REQUIREMENTS: Mapping[MeetingKind, Requirement] = MappingProxyType(
    {
        # 支部工作条例（试行）2018 art. 9: 党员大会 generally once a quarter.
        MeetingKind.ASSEMBLY: Requirement(Period.QUARTER, 1),
        # 支部工作条例（试行）2018 art. 9: 支部委员会会议 generally once a month.
        MeetingKind.COMMITTEE: Requirement(Period.MONTH, 1),
        # 支部工作条例（试行）2018 art. 9: 党小组会 generally once a month.
        MeetingKind.GROUP: Requirement(Period.MONTH, 1),
        # Common local rule (quarterly); the 2018 条例 only asks one a year of the secretary.
        MeetingKind.LESSON: Requirement(Period.QUARTER, 1),
        # 党员教育管理工作条例 2019 art. 16-18: 主题党日 on a fixed day each month.
        MeetingKind.THEME_DAY: Requirement(Period.MONTH, 1),
        # 党员教育管理工作条例 2019 art. 16-18: 组织生活会 at least once a year.
        MeetingKind.ORG_LIFE: Requirement(Period.YEAR, 1),
        # 党员教育管理工作条例 2019 art. 16-18: 民主评议党员 generally once a year.
        MeetingKind.APPRAISAL: Requirement(Period.YEAR, 1),
    }
)


def _choices(values: Iterable[StrEnum]) -> str:
    return ", ".join(v.value for v in values)


def parse_requirements(overrides: Mapping[str, str]) -> dict[MeetingKind, Requirement]:
    """The defaults with overrides from configuration, e.g. {"lesson": "year:1"}.

    Each value is "period:minimum"; minimum 0 switches the requirement off.
    Raises ValueError naming the offending key for unknown kinds, periods or bad counts.
    """
    result = dict(DEFAULT_REQUIREMENTS)
    for raw_kind, raw_value in overrides.items():
        key = raw_kind.strip().lower()
        try:
            kind = MeetingKind(key)
        except ValueError:
            raise ValueError(
                f"unknown meeting kind {raw_kind!r}; use one of: {_choices(MeetingKind)}"
            ) from None
        period_text, sep, count_text = raw_value.partition(":")
        if not sep:
            raise ValueError(
                f"{key}: expected 'period:minimum' such as 'month:1', got {raw_value!r}"
            )
        try:
            period = Period(period_text.strip().lower())
        except ValueError:
            raise ValueError(
                f"{key}: unknown period {period_text.strip()!r}; use one of: {_choices(Period)}"
            ) from None
        count_text = count_text.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,6}", count_text):  # bounded: int() of 5000 digits fails
            raise ValueError(f"{key}: minimum must be a whole number, got {count_text[:20]!r}")
        minimum = int(count_text)
        if minimum < 0:
            raise ValueError(f"{key}: minimum must be 0 or more, got {minimum}")
        result[kind] = Requirement(period, minimum)
    return result


# ---------------------------------------------------------------------------------------------
# Calendar periods
# ---------------------------------------------------------------------------------------------


def period_of(day: date, period: Period) -> tuple[date, date]:
    """The first and last day (inclusive) of the month, quarter or year containing `day`."""
    if period is Period.MONTH:
        first_month, last_month = day.month, day.month
    elif period is Period.QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        last_month = first_month + 2
    else:
        first_month, last_month = 1, 12
    last_day = calendar.monthrange(day.year, last_month)[1]
    return date(day.year, first_month, 1), date(day.year, last_month, last_day)


def periods_between(start: date, end: date, period: Period) -> list[tuple[date, date]]:
    """Every period overlapping [start, end], in order; empty when start is after end."""
    result: list[tuple[date, date]] = []
    day = start
    while day <= end:
        first, last = period_of(day, period)
        result.append((first, last))
        day = last + timedelta(days=1)
    return result


def period_label(first_day: date, period: Period) -> str:
    """"2026-11", "2026-Q4" or "2026" for the period containing `first_day`."""
    if period is Period.MONTH:
        return f"{first_day.year:04d}-{first_day.month:02d}"
    if period is Period.QUARTER:
        return f"{first_day.year:04d}-Q{(first_day.month - 1) // 3 + 1}"
    return f"{first_day.year:04d}"


# ---------------------------------------------------------------------------------------------
# Who is expected at a meeting
# ---------------------------------------------------------------------------------------------

# Party members proper (正式 and 预备); activists (入党积极分子) are not yet members.
MEMBER_STATUSES = frozenset({MemberStatus.FULL, MemberStatus.PROBATIONARY})
# Kinds every member of the branch attends (支部工作条例 art. 9; 党员教育管理工作条例 art. 16-18).
_WHOLE_BRANCH_KINDS = frozenset(
    {
        MeetingKind.ASSEMBLY,
        MeetingKind.LESSON,
        MeetingKind.THEME_DAY,
        MeetingKind.ORG_LIFE,
        MeetingKind.APPRAISAL,
    }
)


@dataclass(frozen=True)
class MemberFacts:
    """What the attendance rules need to know about one active membership of the branch."""

    membership_id: int
    status: MemberStatus
    role: MemberRole
    party_group_id: int | None


@dataclass(frozen=True)
class Expectation:
    """Membership ids counted as 应到, and activists invited as guests (not counted)."""

    expected: frozenset[int]
    guests: frozenset[int]


def expected_attendees(
    kind: MeetingKind, members: Iterable[MemberFacts], *, party_group_id: int | None = None
) -> Expectation:
    """Who a meeting of `kind` expects, from the branch's active members.

    Pass only current members: someone transferred out is simply not in `members`.
    `party_group_id` is required for a 党小组会 and ignored for every other kind.
    """
    people = list(members)
    if kind is MeetingKind.GROUP:
        if party_group_id is None:
            raise ValueError("a party group meeting needs party_group_id")
        people = [m for m in people if m.party_group_id == party_group_id]

    if kind is MeetingKind.COMMITTEE:
        # 支部委员会会议 is for the committee alone; an activist cannot sit on a committee.
        return Expectation(
            expected=frozenset(
                m.membership_id
                for m in people
                if m.role in COMMITTEE_ROLES and m.status in MEMBER_STATUSES
            ),
            guests=frozenset(),
        )
    if kind is MeetingKind.GROUP or kind in _WHOLE_BRANCH_KINDS:
        # Activists may be invited to attend (列席) but are not counted in 应到.
        return Expectation(
            expected=frozenset(m.membership_id for m in people if m.status in MEMBER_STATUSES),
            guests=frozenset(
                m.membership_id for m in people if m.status is MemberStatus.ACTIVIST
            ),
        )
    raise ValueError(f"unknown meeting kind {kind!r}")  # pragma: no cover - enum is closed


def committee_quorum_met(present: int, committee_size: int) -> bool:
    """A committee meeting needs more than half of the committee present (DOMAIN.md)."""
    if present < 0 or committee_size < 0:
        raise ValueError("counts must not be negative")
    if present > committee_size:
        raise ValueError(f"{present} present out of a committee of {committee_size}")
    return present * 2 > committee_size


# ---------------------------------------------------------------------------------------------
# Check-in window
# ---------------------------------------------------------------------------------------------

CheckinState = Literal["early", "open", "late"]


@dataclass(frozen=True)
class CheckinWindow:
    """Check-in opens `before` the start and closes `after` it (both edges included)."""

    before: timedelta = timedelta(minutes=30)
    after: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.before < timedelta(0) or self.after < timedelta(0):
            raise ValueError("check-in window edges must not be negative")


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


DEFAULT_CHECKIN_WINDOW = CheckinWindow()


def checkin_state(
    now: datetime, starts_at: datetime, window: CheckinWindow = DEFAULT_CHECKIN_WINDOW
) -> CheckinState:
    """"early" before the window, "open" inside it (edges included), "late" after it."""
    _require_aware(now, "now")
    _require_aware(starts_at, "starts_at")
    if now < starts_at - window.before:
        return "early"
    if now > starts_at + window.after:
        return "late"
    return "open"


# ---------------------------------------------------------------------------------------------
# Rotating room code (shown in the room, typed by members; TOTP style, RFC 6238 / RFC 4226)
# ---------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_CODE_STEP = timedelta(minutes=5)
DEFAULT_CODE_DIGITS = 6
_MIN_DIGITS, _MAX_DIGITS = 4, 9  # 31-bit truncation gives at most 9 meaningful digits


def new_code_secret() -> bytes:
    """A fresh per-meeting secret for room codes (160 bits, as RFC 4226 recommends)."""
    return secrets.token_bytes(20)


def _step_number(at: datetime, step: timedelta) -> int:
    _require_aware(at, "at")
    if step <= timedelta(0):
        raise ValueError("step must be positive")
    return (at - _EPOCH) // step


def _code_for_step(secret: bytes, counter: int, digits: int) -> str:
    if not _MIN_DIGITS <= digits <= _MAX_DIGITS:
        raise ValueError(f"digits must be between {_MIN_DIGITS} and {_MAX_DIGITS}")
    digest = hmac.new(secret, counter.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F  # dynamic truncation, RFC 4226 §5.3
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def room_code(
    secret: bytes,
    at: datetime,
    *,
    step: timedelta = DEFAULT_CODE_STEP,
    digits: int = DEFAULT_CODE_DIGITS,
) -> str:
    """The code shown at `at`: HMAC-SHA256 of the step number, zero-padded decimal."""
    return _code_for_step(secret, _step_number(at, step), digits)


def code_valid_until(at: datetime, step: timedelta = DEFAULT_CODE_STEP) -> datetime:
    """When the code shown at `at` rotates (start of the next step), in `at`'s time zone.

    code_is_valid still accepts it for `grace_steps` more steps after that.
    """
    counter = _step_number(at, step)
    return (_EPOCH + (counter + 1) * step).astimezone(at.tzinfo)


def code_is_valid(
    secret: bytes,
    code: str,
    at: datetime,
    *,
    step: timedelta = DEFAULT_CODE_STEP,
    digits: int = DEFAULT_CODE_DIGITS,
    grace_steps: int = 1,
) -> bool:
    """Whether a typed code matches the current step or one of the `grace_steps` before it.

    Spaces and full-width digits (Chinese input methods) are tolerated; anything else that
    is not a digit is refused. A code forwarded long after the meeting no longer matches.
    """
    if grace_steps < 0:
        raise ValueError("grace_steps must not be negative")
    counter = _step_number(at, step)
    typed = "".join(unicodedata.normalize("NFKC", code).split())
    if len(typed) != digits or not typed.isascii() or not typed.isdigit():
        return False
    matched = False
    for back in range(grace_steps + 1):
        expected = _code_for_step(secret, counter - back, digits)
        # Constant-time comparison; no early exit so timing does not reveal which step matched.
        matched |= hmac.compare_digest(expected.encode(), typed.encode())
    return matched


# ---------------------------------------------------------------------------------------------
# Location check-in
# ---------------------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean Earth radius


def _check_coordinates(lat: float, lon: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValueError(f"not a valid position: {lat}, {lon}")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points (haversine on a sphere)."""
    _check_coordinates(lat1, lon1)
    _check_coordinates(lat2, lon2)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def within_radius(lat1: float, lon1: float, lat2: float, lon2: float, radius_m: float) -> bool:
    """Whether two points (the meeting place and a member) are at most radius_m metres apart."""
    if radius_m < 0:
        raise ValueError("radius must not be negative")
    return distance_m(lat1, lon1, lat2, lon2) <= radius_m


# ---------------------------------------------------------------------------------------------
# Attendance record (台账: 应到 / 实到 / 请假 / 缺席)
# ---------------------------------------------------------------------------------------------

_GUEST_STATUSES = frozenset({AttendanceStatus.GUEST, AttendanceStatus.GUEST_PRESENT})
# Still open when the meeting closes: no check-in and no approved leave counts as 缺席.
_UNSETTLED_STATUSES = frozenset(
    {
        AttendanceStatus.EXPECTED,
        AttendanceStatus.ATTENDING,
        AttendanceStatus.LEAVE_REQUESTED,
    }
)


def freeze_statuses(statuses: Mapping[int, AttendanceStatus]) -> dict[int, AttendanceStatus]:
    """The final statuses when a meeting closes: anyone not present and not on approved
    leave becomes ABSENT; present, on leave, absent and guests stay as they are."""
    return {
        membership_id: AttendanceStatus.ABSENT if status in _UNSETTLED_STATUSES else status
        for membership_id, status in statuses.items()
    }


@dataclass(frozen=True)
class LedgerCounts:
    """应到, 实到, 请假 and 缺席 for one meeting; expected = present + on_leave + absent."""

    expected: int
    present: int
    on_leave: int
    absent: int


def ledger_counts(statuses: Mapping[int, AttendanceStatus]) -> LedgerCounts:
    """Counts for the record; statuses not yet settled count as absent, as on closing."""
    final = [s for s in freeze_statuses(statuses).values() if s not in _GUEST_STATUSES]
    return LedgerCounts(
        expected=len(final),
        present=sum(s is AttendanceStatus.PRESENT for s in final),
        on_leave=sum(s is AttendanceStatus.ON_LEAVE for s in final),
        absent=sum(s is AttendanceStatus.ABSENT for s in final),
    )


def attendance_rate(present: int, expected: int) -> float | None:
    """实到 / 应到 as a fraction, or None when nobody was expected."""
    if present < 0 or expected < 0:
        raise ValueError("counts must not be negative")
    if expected == 0:
        return None
    return present / expected


# ---------------------------------------------------------------------------------------------
# Compliance: were enough meetings held in each period?
# ---------------------------------------------------------------------------------------------

ComplianceStatus = Literal["met", "missing", "due", "not_required"]


# ---------------------------------------------------------------------------------------------
# Recurrence and clashes
# ---------------------------------------------------------------------------------------------


def monthly_nth_weekday(first: date, weekday: int, nth: int, count: int) -> list[date]:
    """The next `count` dates on or after `first` that are the nth `weekday` of their month.

    weekday follows date.weekday() (0 = Monday); nth is 1..5 or -1..-5 (-1 = the last).
    Months without such a day (a fifth Monday) are skipped, as in RFC 5545 BYDAY=5MO.
    """
    if not 0 <= weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    if nth == 0 or not -5 <= nth <= 5:
        raise ValueError("nth must be 1..5 or -1..-5")
    if count < 0:
        raise ValueError("count must not be negative")
    result: list[date] = []
    year, month = first.year, first.month
    while len(result) < count:
        days = [
            day
            for day in range(1, calendar.monthrange(year, month)[1] + 1)
            if calendar.weekday(year, month, day) == weekday
        ]
        index = nth - 1 if nth > 0 else nth
        if -len(days) <= index < len(days):
            candidate = date(year, month, days[index])
            if candidate >= first:
                result.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether [a_start, a_end) and [b_start, b_end) share any instant; touching ends do not."""
    if a_end < a_start or b_end < b_start:
        raise ValueError("an interval ends before it starts")
    return a_start < b_end and b_start < a_end and a_start < a_end and b_start < b_end
