"""Party dues (党费) as data and plain functions: the standard, a member's monthly amount, the
months owed, what a payment may cover, and how long a member has gone without paying.

The standard is 中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》(2008), DOMAIN.md
"Dues"; a deployment (or a province) may replace it with `standard_from_mapping`. Amounts are
Decimal yuan rounded to the fen; months are `Month` values. No Telegram, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from types import MappingProxyType
from typing import Any, NamedTuple

from rules.validation import Invalid, fold_full_width, parse_decimal
from rules.vocabulary import DuesCategory

FEN = Decimal("0.01")
MAX_BASE = 10_000_000  # yuan a month: a larger base is a typo
MAX_PAYMENT = 1_000_000  # yuan in one payment: the same
WARN_TIMES_STANDARD = 10  # a payment above this many times the months' standard asks to confirm
DEFAULT_MONTHS_AHEAD = 2  # with the branch's consent, a quarter at once: this month and 2 ahead
# What a branch may let its members pay ahead: none, a quarter, half a year, a year at once.
MONTHS_AHEAD_CHOICES = (0, 2, 5, 11)
MONTH_RE = re.compile(r"^\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*月?\s*$")


class Month(NamedTuple):
    """A calendar month; ordered, so ranges and comparisons read naturally."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def at(cls, index: int) -> Month:
        """The month numbered `year * 12 + month - 1` (how SQL compares months)."""
        return cls(index // 12, index % 12 + 1)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """Months from `other` to this one (0 for the same month)."""
        return (self.year - other.year) * 12 + self.month - other.month

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Bracket:
    """A share of the base up to `up_to` yuan a month, inclusive (None: no upper bound)."""

    up_to: Decimal | None
    share: Decimal


@dataclass(frozen=True)
class DuesStandard:
    """How much each category pays a month; brackets apply to the whole base, not by slices."""

    employed: tuple[Bracket, ...]
    retired: tuple[Bracket, ...]
    fixed: Mapping[DuesCategory, Decimal]  # students, unemployed, on subsistence: a flat amount
    farmer_range: tuple[Decimal, Decimal]  # the branch sets a farmer's amount within this range


def _pct(value: str) -> Decimal:
    return Decimal(value) / 100


# 2008 规定: employed ≤3,000 0.5%, ≤5,000 1%, ≤10,000 1.5%, above 2%; retired ≤5,000 0.5%,
# above 1%; farmers 0.2–1 yuan; students, unemployed, on relief or 低保 0.2 yuan a month.
DEFAULT_STANDARD = DuesStandard(
    employed=(
        Bracket(Decimal(3000), _pct("0.5")), Bracket(Decimal(5000), _pct("1")),
        Bracket(Decimal(10000), _pct("1.5")), Bracket(None, _pct("2")),
    ),
    retired=(Bracket(Decimal(5000), _pct("0.5")), Bracket(None, _pct("1"))),
    fixed=MappingProxyType({
        DuesCategory.STUDENT: Decimal("0.2"), DuesCategory.UNEMPLOYED: Decimal("0.2"),
        DuesCategory.SUBSISTENCE: Decimal("0.2"),
    }),
    farmer_range=(Decimal("0.2"), Decimal("1")),
)
BASED_CATEGORIES = frozenset({DuesCategory.EMPLOYED, DuesCategory.RETIRED})


class StandardError(ValueError):
    """A dues standard from the settings that cannot be used; the message says what."""


def _brackets(raw: Any, name: str) -> tuple[Bracket, ...]:
    if not isinstance(raw, list) or not raw:
        raise StandardError(f"{name}: a list of [up_to or null, percent] pairs")
    try:
        brackets = tuple(
            Bracket(None if up is None else Decimal(str(up)), _pct(str(share)))
            for up, share in raw
        )
    except (TypeError, ValueError, InvalidOperation) as exc:
        raise StandardError(f"{name}: a list of [up_to or null, percent] pairs") from exc
    bounds = [b.up_to for b in brackets[:-1] if b.up_to is not None]
    rising = all(low < high for low, high in pairwise(bounds))
    if brackets[-1].up_to is not None or len(bounds) != len(brackets) - 1 or not rising:
        raise StandardError(f"{name}: rising bounds, the last one null")
    if any(not Decimal(0) <= b.share <= 1 for b in brackets):
        raise StandardError(f"{name}: percentages between 0 and 100")
    return brackets


def standard_from_mapping(raw: Mapping[str, Any]) -> DuesStandard:
    """A province's own standard from settings (JSON): keys `employed` and `retired` as
    [[up_to, percent], …, [null, percent]], `fixed` as {category: yuan}, `farmer` as [low, high];
    what is left out keeps the 2008 default."""
    unknown = set(raw) - {"employed", "retired", "fixed", "farmer"}
    if unknown:
        raise StandardError(f"unknown keys: {', '.join(sorted(unknown))}")
    fixed = dict(DEFAULT_STANDARD.fixed)
    for key, amount in dict(raw.get("fixed", {})).items():
        try:
            category = DuesCategory(key)
            fixed[category] = Decimal(str(amount))
        except (ValueError, InvalidOperation) as exc:
            raise StandardError(f"fixed: {key!r} = {amount!r}") from exc
        if category in BASED_CATEGORIES or category is DuesCategory.FARMER or fixed[category] < 0:
            raise StandardError(f"fixed: {key!r} = {amount!r}")
    farmer = DEFAULT_STANDARD.farmer_range
    if "farmer" in raw:
        try:
            low, high = (Decimal(str(v)) for v in raw["farmer"])
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise StandardError("farmer: [low, high] in yuan") from exc
        if not Decimal(0) <= low <= high:
            raise StandardError("farmer: [low, high] in yuan")
        farmer = (low, high)
    return DuesStandard(
        employed=_brackets(raw["employed"], "employed") if "employed" in raw
        else DEFAULT_STANDARD.employed,
        retired=_brackets(raw["retired"], "retired") if "retired" in raw
        else DEFAULT_STANDARD.retired,
        fixed=MappingProxyType(fixed), farmer_range=farmer,
    )


def share_of(brackets: Iterable[Bracket], base: Decimal) -> Decimal:
    """The share of the whole base its bracket sets."""
    for bracket in brackets:
        if bracket.up_to is None or base <= bracket.up_to:
            return bracket.share
    raise StandardError("the last bracket must have no upper bound")


def monthly_dues(
    standard: DuesStandard, category: DuesCategory, base: Decimal | None,
    farmer_amount: Decimal | None = None,
) -> Decimal | None:
    """What a member owes a month, to the fen; None while the base (or a farmer's amount) that
    the amount depends on has not been set."""
    if category in BASED_CATEGORIES:
        if base is None:
            return None
        brackets = standard.employed if category is DuesCategory.EMPLOYED else standard.retired
        return (base * share_of(brackets, base)).quantize(FEN, ROUND_HALF_UP)
    if category is DuesCategory.FARMER:
        return farmer_amount if farmer_amount is None else farmer_amount.quantize(FEN)
    return standard.fixed[category].quantize(FEN)


def months_owed(since: Month, through: Month, paid: Iterable[Month]) -> list[Month]:
    """Months from `since` through `through` not paid: since is when the member began to owe
    (the month they became probationary, or joined the branch's books)."""
    done = set(paid)
    return [m for m in (since.plus(i) for i in range(through.minus(since) + 1)) if m not in done]


def unpaid_run(since: Month, last_due: Month, paid: Iterable[Month]) -> int:
    """Consecutive months up to `last_due` without dues (the six-month rule, 党章 art. 9)."""
    done = set(paid)
    run, month = 0, last_due
    while month >= since and month not in done:
        run, month = run + 1, month.plus(-1)
    return run


def owing_since(became_member: date | None, on_books: date, books_opened: Month | None
                ) -> Month | None:
    """The first month a member owes in the bot: from becoming a (probationary) member, but not
    before the branch began keeping dues here (its first payment recorded); None until then."""
    if books_opened is None:
        return None
    return max(Month.of(became_member or on_books), books_opened)


def paid_through(since: Month | None, paid: Iterable[Month]) -> Month | None:
    """The month dues are paid to (a transfer letter states it): the last of the unbroken run
    of paid months from `since`, the first month owed; None if that month is open too."""
    if since is None:
        return None
    months, month = set(paid), since
    while month in months:
        month = month.plus(1)
    return None if month == since else month.plus(-1)


def parse_month(text: str | None) -> Month | Invalid:
    """A month typed as 2026-11, 2026/11, 2026.11 or 2026年11月 (full-width digits too)."""
    match = MONTH_RE.match(fold_full_width(text or ""))
    if not match:
        return Invalid("month_format")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 1921:
        return Invalid("month_format")
    return Month(year, month)


def payment_months(
    first: Month, count: int, current: Month, *, months_ahead: int = DEFAULT_MONTHS_AHEAD
) -> list[Month] | Invalid:
    """The months a payment covers: `count` from `first`, none beyond the months the branch
    lets members pay ahead (0 without its consent)."""
    if count < 1 or count > 120:
        return Invalid("months_count", 120, 1)
    months = [first.plus(i) for i in range(count)]
    if months[-1].minus(current) > months_ahead:
        return Invalid("months_too_far_ahead", months_ahead)
    return months


def recording_limit(branch_months_ahead: int) -> int:
    """How far ahead a leader may record: the branch's own limit, at least a quarter (a leader
    recording it is the branch's consent)."""
    return max(branch_months_ahead, DEFAULT_MONTHS_AHEAD)


def parse_amount(text: str | None) -> Decimal | Invalid:
    """Yuan paid: positive, at most two decimals (2, 2.5, 0.20, ２．５)."""
    amount = parse_decimal(text, maximum=MAX_PAYMENT, places=2)
    if isinstance(amount, Invalid):
        return amount
    if amount <= 0:
        return Invalid("amount_not_positive")
    return amount


def parse_base(text: str | None) -> Decimal | Invalid:
    """A monthly base pay or pension in yuan (0 allowed: no income this year)."""
    return parse_decimal(text, maximum=MAX_BASE, places=2)


def farmer_amount_ok(standard: DuesStandard, amount: Decimal) -> Invalid | None:
    low, high = standard.farmer_range
    return None if low <= amount <= high else Invalid("farmer_amount_range")


def looks_too_much(amount: Decimal, monthly: Decimal | None, months: int) -> bool:
    """A payment far above the standard for its months: confirm before recording it (members
    may pay more voluntarily, so this is a question, never a refusal)."""
    if monthly is None or monthly <= 0:
        return False
    return amount > monthly * months * WARN_TIMES_STANDARD
