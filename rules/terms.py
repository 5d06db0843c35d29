"""When a party organization committee's term ends."""

from __future__ import annotations

import calendar
from datetime import date

from rules.vocabulary import PartyOrgKind

# 关于党的基层组织任期的意见 (2018): 党支部 and 党总支 3 years, 基层党委 5 years.
DEFAULT_TERM_YEARS: dict[PartyOrgKind, int] = {
    PartyOrgKind.COMMITTEE: 5,
    PartyOrgKind.GENERAL_BRANCH: 3,
    PartyOrgKind.BRANCH: 3,
    PartyOrgKind.JOINT_BRANCH: 3,
}
MIN_TERM_YEARS = 1
MAX_TERM_YEARS = 5


def term_years(kind: PartyOrgKind, override: int | None = None) -> int:
    """The term length in years: the override if set, else the default for the kind."""
    return override if override is not None else DEFAULT_TERM_YEARS[kind]


def add_years(start: date, years: int) -> date:
    """The same calendar day `years` later; 29 February falls back to the 28th."""
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, start.month)[1])
    return start.replace(year=year, day=day)


def term_ends_on(started_on: date, kind: PartyOrgKind, override: int | None = None) -> date:
    """The day a committee elected on started_on is due for renewal (换届)."""
    return add_years(started_on, term_years(kind, override))
