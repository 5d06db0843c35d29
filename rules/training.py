"""Training hours ("3 days a year", DOMAIN.md "Training") as data and plain functions.

Who owes how much, how a record's minutes split over calendar years, the pro-rata target for
a date, progress for display, and validation of what a member logs. No Telegram, no database:
storage/training/ and the handlers pass plain values in. Every duration is integer minutes;
validation returns a code (a StrEnum) the handlers translate, never a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

from rules.meetings import MEMBER_STATUSES
from rules.permissions import COMMITTEE_ROLES, Actor, can_manage_org
from rules.validation import (
    Invalid,
    clean_text,
    fold_full_width,
    parse_decimal,
    strip_format_chars,
)
from rules.vocabulary import MemberRole, MemberStatus, TrainingGroup, TrainingKind

__all__ = [
    "DEFAULT_BINDS",
    "DEFAULT_COUNTED_KINDS",
    "DEFAULT_EVIDENCE_MAX_BYTES",
    "DEFAULT_HOURS_PER_DAY",
    "DEFAULT_POLICY",
    "DEFAULT_REQUIRED_MINUTES",
    "EVIDENCE_MIME_TYPES",
    "LEADER_ROLES",
    "MAX_ORGANIZER",
    "MAX_TITLE",
    "DaysHours",
    "DurationUnit",
    "EvidenceProblem",
    "Progress",
    "TrainingDraft",
    "TrainingPolicy",
    "TrainingProblem",
    "TrainingRequirementRow",
    "can_log_for_others",
    "can_verify",
    "canonical_mime",
    "counting_years",
    "days_and_hours",
    "duration_minutes",
    "elapsed_days",
    "normalize_title",
    "parse_amount",
    "parse_counted_kinds",
    "parse_length",
    "parse_required_hours",
    "pro_rata_target",
    "progress",
    "progress_bar",
    "resolve_required_minutes",
    "role_group",
    "split_minutes_by_year",
    "validate_evidence",
    "validate_training",
]

MINUTES_PER_HOUR = 60
# DOMAIN.md "Training": a day counts a configurable number of 学时, 8 by default.
DEFAULT_HOURS_PER_DAY = 8
# Hours in a leap year: no yearly requirement can sensibly exceed it.
MAX_YEARLY_HOURS = 366 * 24
MAX_TITLE = 200
MAX_ORGANIZER = 200
# Hours or days anyone types for one training: beyond it is a typo, never a length.
MAX_TYPED_AMOUNT = 9999
# ASCII digits only (after full-width folding); the number itself is checked by parse_decimal.
_AMOUNT_RE = re.compile(
    r"(?P<sign>[-−–])?\s*(?P<number>[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)\s*"
    r"(?P<unit>h|hr|hrs|hours?|小时|个小时|学时|d|days?|天|日)?",
    re.IGNORECASE,
)
_DAY_UNITS = frozenset({"d", "day", "days", "天", "日"})

# ---------------------------------------------------------------------------------------------
# Who owes what
# ---------------------------------------------------------------------------------------------

# seed 002 §18: secretaries and committee members (党组织书记和班子成员) are the leaders.
LEADER_ROLES = COMMITTEE_ROLES

DEFAULT_REQUIRED_MINUTES: Mapping[TrainingGroup, int] = MappingProxyType(
    {
        # seed 002 §18, seed 001 §五: leaders ≥ 3 days a year (两新 plans: 3 × 8 = 24 学时).
        TrainingGroup.LEADER: 24 * MINUTES_PER_HOUR,
        # 党员教育管理工作条例 2019 art. 20: members ≥ 32 学时 of concentrated study a year.
        TrainingGroup.MEMBER: 32 * MINUTES_PER_HOUR,
    }
)
DEFAULT_COUNTED_KINDS: Mapping[TrainingGroup, frozenset[TrainingKind]] = MappingProxyType(
    {
        # seed 002 §18: the leaders' 3 days are concentrated training (集中培训).
        TrainingGroup.LEADER: frozenset({TrainingKind.CONCENTRATED}),
        # seed 003 §4(二): members' study counts in every form, platforms included.
        TrainingGroup.MEMBER: frozenset(TrainingKind),
    }
)
# Who each requirement binds (one row per requirement; its minutes and kinds are above).
DEFAULT_BINDS: Mapping[TrainingGroup, frozenset[TrainingGroup]] = MappingProxyType(
    {
        # 党员教育管理工作条例 2019 art. 20: the 32 学时 bind every member, leaders included.
        TrainingGroup.MEMBER: frozenset({TrainingGroup.MEMBER, TrainingGroup.LEADER}),
        # seed 002 §18: only leaders also owe the 3 days of concentrated training.
        TrainingGroup.LEADER: frozenset({TrainingGroup.LEADER}),
    }
)
DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Evidence is a photo of a certificate or a PDF (issue 5).
EVIDENCE_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})
_MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}


def role_group(role: MemberRole, status: MemberStatus) -> TrainingGroup | None:
    """Whose requirement applies to a membership: leader, member, or None (activists)."""
    # 党员教育管理工作条例 art. 20 binds party members; activists (入党积极分子) are not yet.
    if status not in MEMBER_STATUSES:
        return None
    # seed 002 §18: 书记, 副书记 and 委员 owe the leaders' 3 days.
    return TrainingGroup.LEADER if role in LEADER_ROLES else TrainingGroup.MEMBER


def _choices(values: Iterable[StrEnum]) -> str:
    return ", ".join(v.value for v in values)


def _group(key: str) -> TrainingGroup:
    try:
        return TrainingGroup(key.strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown role group {key!r}; use one of: {_choices(TrainingGroup)}"
        ) from None


@dataclass(frozen=True)
class TrainingPolicy:
    """A deployment's training configuration (built from Settings.training_policy)."""

    required_minutes: Mapping[TrainingGroup, int] = field(
        default_factory=lambda: DEFAULT_REQUIRED_MINUTES
    )
    counted_kinds: Mapping[TrainingGroup, frozenset[TrainingKind]] = field(
        default_factory=lambda: DEFAULT_COUNTED_KINDS
    )
    hours_per_day: int = DEFAULT_HOURS_PER_DAY
    evidence_max_bytes: int = DEFAULT_EVIDENCE_MAX_BYTES
    # Requirement (keyed like required_minutes) -> the groups it binds.
    binds: Mapping[TrainingGroup, frozenset[TrainingGroup]] = field(
        default_factory=lambda: DEFAULT_BINDS
    )

    def __post_init__(self) -> None:
        for group in TrainingGroup:
            if self.required_minutes.get(group, -1) < 0:
                raise ValueError(f"required minutes for {group.value} missing or negative")
            if not self.counted_kinds.get(group):
                raise ValueError(f"no counted kinds for {group.value}")
        if not 1 <= self.hours_per_day <= 24:
            raise ValueError(f"hours per day must be 1 to 24, got {self.hours_per_day}")
        if self.evidence_max_bytes < 1:
            raise ValueError("evidence size limit must be positive")

    def requirements(self) -> list[TrainingRequirementRow]:
        """The table: one row per requirement (who it binds, what counts, how much)."""
        return [
            TrainingRequirementRow(key, self.binds.get(key, frozenset({key})),
                                   self.counted_kinds[key], self.required_minutes[key])
            for key in TrainingGroup
        ]

    def binding(self, group: TrainingGroup | None) -> list[TrainingGroup]:
        """The requirements binding a group, its own first (a leader: concentrated, study)."""
        if group is None:
            return []
        own = [group] if group in self.binds.get(group, frozenset({group})) else []
        return own + [key for key in TrainingGroup
                      if key != group and group in self.binds.get(key, frozenset())]

    def counts(self, group: TrainingGroup | None, kind: TrainingKind) -> bool:
        """Whether a verified training of `kind` counts toward `group`'s requirement."""
        return group is not None and kind in self.counted_kinds[group]

    def default_required(self, group: TrainingGroup | None) -> int:
        """The deployment's yearly requirement in minutes for a group (0 for None)."""
        return 0 if group is None else self.required_minutes[group]


@dataclass(frozen=True)
class TrainingRequirementRow:
    """One yearly requirement: keyed like the overrides, whom it binds, what counts, minutes."""

    key: TrainingGroup
    binds: frozenset[TrainingGroup]
    kinds: frozenset[TrainingKind]
    minutes: int


DEFAULT_POLICY = TrainingPolicy()


def parse_required_hours(values: Mapping[str, object]) -> dict[TrainingGroup, int]:
    """Yearly requirement per group in minutes from hours, e.g. {"member": 40}; ValueError."""
    result = dict(DEFAULT_REQUIRED_MINUTES)
    for key, raw in values.items():
        group = _group(key)
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueError(f"{group.value}: hours must be a number, got {raw!r}")
        amount = parse_amount(str(raw))
        if amount is None or amount > MAX_YEARLY_HOURS:
            raise ValueError(
                f"{group.value}: hours must be a number from 0 to {MAX_YEARLY_HOURS}, got {raw!r}"
            )
        result[group] = duration_minutes(amount, DurationUnit.HOURS, DEFAULT_HOURS_PER_DAY)
    return result


def parse_counted_kinds(
    values: Mapping[str, object],
) -> dict[TrainingGroup, frozenset[TrainingKind]]:
    """Which kinds count per group, e.g. {"leader": ["concentrated", "lesson"]}; ValueError."""
    result = dict(DEFAULT_COUNTED_KINDS)
    for key, raw in values.items():
        group = _group(key)
        items: list[object]
        if isinstance(raw, str):
            items = [part for part in raw.replace(";", ",").split(",") if part.strip()]
        elif isinstance(raw, list | tuple | set | frozenset):
            items = list(raw)
        else:
            raise ValueError(f"{group.value}: expected a list of kinds, got {raw!r}")
        kinds: set[TrainingKind] = set()
        for item in items:
            try:
                kinds.add(TrainingKind(str(item).strip().lower()))
            except ValueError:
                raise ValueError(
                    f"{group.value}: unknown training kind {item!r}; "
                    f"use one of: {_choices(TrainingKind)}"
                ) from None
        if not kinds:
            raise ValueError(f"{group.value}: name at least one training kind")
        result[group] = frozenset(kinds)
    return result


def resolve_required_minutes(
    group: TrainingGroup | None,
    chain: Sequence[Mapping[TrainingGroup, int]],
    policy: TrainingPolicy = DEFAULT_POLICY,
) -> int:
    """Yearly minutes owed: the nearest override in `chain` (org first, then parents) wins."""
    # Issue 5: a province may differ; its override holds for its whole subtree.
    if group is None:
        return 0
    for overrides in chain:
        if group in overrides:
            return overrides[group]
    return policy.default_required(group)


# ---------------------------------------------------------------------------------------------
# Durations and calendar years
# ---------------------------------------------------------------------------------------------


class DurationUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"


def parse_amount(text: str) -> Decimal | None:
    """A non-negative number typed as 2, 1.5, 1,5 or １．５; None if it is not one (or is
    beyond MAX_TYPED_AMOUNT)."""
    amount = parse_decimal(text, maximum=MAX_TYPED_AMOUNT)
    return None if isinstance(amount, Invalid) else amount


def parse_length(
    text: str | None, unit: DurationUnit, hours_per_day: int = DEFAULT_HOURS_PER_DAY
) -> int | TrainingProblem | None:
    """Minutes typed as "6", "1.5", "６小时", "2 days" or "2天"; a negative number is
    NOT_POSITIVE, an absurdly large one TOO_MANY_HOURS; None if it is not a number at all."""
    match = _AMOUNT_RE.fullmatch(fold_full_width(text or "").strip())
    if match is None:
        return None
    if match.group("sign"):
        return TrainingProblem.NOT_POSITIVE
    amount = parse_decimal(match.group("number"), maximum=MAX_TYPED_AMOUNT)
    if isinstance(amount, Invalid):
        return TrainingProblem.TOO_MANY_HOURS if amount.reason == "number_too_large" else None
    suffix = (match.group("unit") or "").lower()
    if suffix:
        unit = DurationUnit.DAYS if suffix in _DAY_UNITS else DurationUnit.HOURS
    return duration_minutes(amount, unit, hours_per_day)


def duration_minutes(
    amount: Decimal | int, unit: DurationUnit, hours_per_day: int = DEFAULT_HOURS_PER_DAY
) -> int:
    """Whole minutes for an amount of hours or days (a day is `hours_per_day` hours)."""
    # DOMAIN.md "Training": a day is a configurable number of hours (8 by default).
    hours = Decimal(amount) * (hours_per_day if unit is DurationUnit.DAYS else 1)
    return int((hours * MINUTES_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _days_in(starts_on: date, ends_on: date, year: int) -> int:
    first = max(starts_on, date(year, 1, 1))
    last = min(ends_on, date(year, 12, 31))
    return max(0, (last - first).days + 1)


def split_minutes_by_year(starts_on: date, ends_on: date, minutes: int) -> dict[int, int]:
    """A training's minutes per calendar year, in proportion to its days in each year."""
    # Issue 5: a training spanning two years counts in the year of each of its days.
    if ends_on < starts_on:
        raise ValueError("ends_on is before starts_on")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    total_days = (ends_on - starts_on).days + 1
    years = range(starts_on.year, ends_on.year + 1)
    days = {year: _days_in(starts_on, ends_on, year) for year in years}
    shares = {year: minutes * d // total_days for year, d in days.items()}
    # Largest remainder: the leftover minutes go to the years with the biggest fractions.
    leftover = minutes - sum(shares.values())
    by_remainder = sorted(years, key=lambda y: (-(minutes * days[y] % total_days), y))
    for year in by_remainder[:leftover]:
        shares[year] += 1
    return {year: m for year, m in shares.items() if m > 0}


def counting_years(today: date) -> tuple[int, int]:
    """The years a member may still log training for: last year and this year."""
    # Issue 5: records count for this year and last year only (last year's report closes late).
    return today.year - 1, today.year


# ---------------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------------


def elapsed_days(on: date, year: int) -> tuple[int, int]:
    """(days of `year` up to and including `on`, days in `year`)."""
    total = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    if on.year < year:
        return 0, total
    if on.year > year:
        return total, total
    return (on - date(year, 1, 1)).days + 1, total


def pro_rata_target(required: int, on: date, year: int) -> int:
    """Minutes due by `on`: required × the elapsed share of the year, rounded up."""
    # Issue 5: "behind" means below required × elapsed fraction of the year.
    elapsed, total = elapsed_days(on, year)
    return (required * elapsed + total - 1) // total


@dataclass(frozen=True)
class Progress:
    """Counted minutes against the yearly requirement and the pro-rata target of a date."""

    required: int
    counted: int
    target: int

    @property
    def remaining(self) -> int:
        """Minutes still owed for the whole year."""
        return max(0, self.required - self.counted)

    @property
    def gap(self) -> int:
        """Minutes below the pro-rata target (0 when on track)."""
        return max(0, self.target - self.counted)

    @property
    def on_track(self) -> bool:
        """Counted reaches the pro-rata target of the date."""
        return self.counted >= self.target

    @property
    def met(self) -> bool:
        """The whole year's requirement is done."""
        return self.counted >= self.required

    @property
    def fraction(self) -> float:
        """Counted / required, capped at 1.0 (1.0 when nothing is required)."""
        return 1.0 if self.required <= 0 else min(1.0, self.counted / self.required)


def progress(required: int, counted: int, *, on: date, year: int) -> Progress:
    """Progress toward `required` minutes in `year`, seen on the date `on`."""
    return Progress(required, counted, pro_rata_target(required, on, year))


@dataclass(frozen=True)
class DaysHours:
    """A duration shown as days of `hours_per_day`, hours and minutes."""

    days: int
    hours: int
    minutes: int


def days_and_hours(minutes: int, hours_per_day: int = DEFAULT_HOURS_PER_DAY) -> DaysHours:
    """Split minutes for display: 1500 min at 8 h a day is 3 days 1 hour 0 minutes."""
    # Issue 5: records are kept in hours and shown in days and hours.
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    day = hours_per_day * MINUTES_PER_HOUR
    days, rest = divmod(minutes, day)
    hours, mins = divmod(rest, MINUTES_PER_HOUR)
    return DaysHours(days, hours, mins)


def progress_bar(fraction: float, width: int = 10, *, full: str = "█", empty: str = "░") -> str:
    """A text bar such as █████░░░░░; full only when the fraction reaches 1."""
    if width < 1:
        raise ValueError("width must be positive")
    share = min(1.0, max(0.0, fraction))
    filled = width if share >= 1.0 else min(width - 1, int(share * width))
    return full * filled + empty * (width - filled)


# ---------------------------------------------------------------------------------------------
# Validation of what is logged
# ---------------------------------------------------------------------------------------------


class TrainingProblem(StrEnum):
    """Why a training record is refused; the handler translates the code."""

    TITLE_EMPTY = "title_empty"
    TITLE_TOO_LONG = "title_too_long"
    TITLE_INVALID = "title_invalid"  # control characters
    ORGANIZER_TOO_LONG = "organizer_too_long"
    ORGANIZER_INVALID = "organizer_invalid"
    END_BEFORE_START = "end_before_start"
    NOT_POSITIVE = "not_positive"  # hours <= 0
    TOO_MANY_HOURS = "too_many_hours"  # more than 24 hours for each day of the span
    IN_FUTURE = "in_future"
    OUTSIDE_COUNTING_YEARS = "outside_counting_years"  # before last year
    NOT_IN_YEAR = "not_in_year"  # no day in the year being counted


class EvidenceProblem(StrEnum):
    """Why an evidence file is refused."""

    NOT_IMAGE_OR_PDF = "not_image_or_pdf"
    TOO_LARGE = "too_large"
    EMPTY = "empty"


@dataclass(frozen=True)
class TrainingDraft:
    """What a member (or a secretary for many members) enters when logging a training."""

    title: str
    kind: TrainingKind
    starts_on: date
    ends_on: date
    minutes: int
    organizer: str | None = None

    @property
    def title_key(self) -> str:
        """The normalized title that spots the same course logged twice."""
        return normalize_title(self.title)


def normalize_title(title: str) -> str:
    """The title for spotting the same course twice: NFKC, case-folded, letters and digits."""
    # 《学习贯彻…》专题培训 and 学习贯彻… 专题培训 are the same course.
    folded = unicodedata.normalize("NFKC", title).casefold()
    return "".join(ch for ch in folded if ch.isalnum())[:MAX_TITLE]


_TEXT_PROBLEMS = {
    "title": {
        "empty": TrainingProblem.TITLE_EMPTY,
        "too_long": TrainingProblem.TITLE_TOO_LONG,
        "control_chars": TrainingProblem.TITLE_INVALID,
    },
    "organizer": {
        "too_long": TrainingProblem.ORGANIZER_TOO_LONG,
        "control_chars": TrainingProblem.ORGANIZER_INVALID,
    },
}


def validate_training(
    draft: TrainingDraft, *, today: date, year: int | None = None
) -> TrainingProblem | None:
    """The first problem with a training record, or None when it may be stored.

    `year` is the year the member is logging for, when the chat asked (this or last year).
    """
    title = clean_text(draft.title, max_length=MAX_TITLE)
    if isinstance(title, Invalid):
        return _TEXT_PROBLEMS["title"][title.reason]
    if strip_format_chars(draft.title) != draft.title:  # stored as given: pass it cleaned
        return TrainingProblem.TITLE_INVALID
    if not normalize_title(title):
        return TrainingProblem.TITLE_EMPTY  # punctuation only
    if draft.organizer is not None and draft.organizer.strip():
        organizer = clean_text(draft.organizer, max_length=MAX_ORGANIZER)
        if isinstance(organizer, Invalid):
            problems = _TEXT_PROBLEMS["organizer"]
            return problems.get(organizer.reason, TrainingProblem.ORGANIZER_INVALID)
        if strip_format_chars(draft.organizer) != draft.organizer:
            return TrainingProblem.ORGANIZER_INVALID
    if draft.ends_on < draft.starts_on:
        return TrainingProblem.END_BEFORE_START
    if draft.minutes <= 0:
        return TrainingProblem.NOT_POSITIVE
    # A day has 24 hours: more than that per day of the span is a typo (minutes for hours).
    span_days = (draft.ends_on - draft.starts_on).days + 1
    if draft.minutes > span_days * 24 * MINUTES_PER_HOUR:
        return TrainingProblem.TOO_MANY_HOURS
    # Log what has happened: a training is recorded once it is over.
    if draft.ends_on > today:
        return TrainingProblem.IN_FUTURE
    first_year, this_year = counting_years(today)
    if draft.ends_on.year < first_year or (
        year is not None and not first_year <= year <= this_year
    ):
        return TrainingProblem.OUTSIDE_COUNTING_YEARS
    if year is not None and not draft.starts_on.year <= year <= draft.ends_on.year:
        return TrainingProblem.NOT_IN_YEAR
    return None


def validate_evidence(
    mime_type: str | None, size_bytes: int | None, *, max_bytes: int = DEFAULT_EVIDENCE_MAX_BYTES
) -> EvidenceProblem | None:
    """Evidence must be a JPEG, PNG or WebP image or a PDF no larger than `max_bytes`."""
    mime = (mime_type or "").split(";", 1)[0].strip().lower()
    if _MIME_ALIASES.get(mime, mime) not in EVIDENCE_MIME_TYPES:
        return EvidenceProblem.NOT_IMAGE_OR_PDF
    if size_bytes is not None and size_bytes <= 0:
        return EvidenceProblem.EMPTY
    if size_bytes is not None and size_bytes > max_bytes:
        return EvidenceProblem.TOO_LARGE
    return None


def canonical_mime(mime_type: str) -> str:
    """The stored form of an accepted mime type (image/jpg becomes image/jpeg)."""
    mime = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(mime, mime)


# ---------------------------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------------------------


def can_log_for_others(actor: Actor, org_id: int) -> bool:
    """Logging one training for many members: the org's leaders or anyone above them."""
    return can_manage_org(actor, org_id)


def can_verify(actor: Actor, member_org_id: int, member_person_id: int) -> bool:
    """Verify or reject a record: the member's leaders or above, never one's own record."""
    return can_manage_org(actor, member_org_id) and actor.person_id != member_person_id
