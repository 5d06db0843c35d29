"""Membership transfers (组织关系转接) as plain functions: the introduction letter's number and
validity, who may answer it, and when the receiving secretary is reminded.

DOMAIN.md "Membership moves": a letter states its number, the member, from, to and the month
dues are paid to; it is valid typically 30 days within a province and up to 90 beyond; the
receiving branch accepts (or returns it). No Telegram, no database.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from rules.validation import Invalid, clean_text
from rules.vocabulary import TransferState

VALID_DAYS_WITHIN = 30  # a letter to a branch in the bot (one deployment: one province)
VALID_DAYS_BEYOND = 90  # a letter to an organization outside the bot
REMIND_EVERY = timedelta(days=3)  # an unanswered letter reminds its receiving secretary
MAX_ORG_NAME = 100  # an organization outside the bot, as typed
MAX_LETTER_NUMBER = 40  # an outside letter's number, as printed on it
MAX_REASON = 200  # why a letter was returned
LETTER_NUMBER_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff()（）〔〕\[\]第号字_./-]+$")
OPEN_STATES = frozenset({TransferState.WAITING})


def letter_number(year: int, sequence: int) -> str:
    """The bot's letter number: the year and the letter's place in it (2026-0007)."""
    return f"{year}-{sequence:04d}"


def valid_until(issued_on: date, days: int) -> date:
    """The last day a letter issued on `issued_on` may be accepted."""
    return issued_on + timedelta(days=days)


def is_expired(until: date, today: date) -> bool:
    return today > until


def reminders_between(issued: datetime, last_day_ends: datetime, after: datetime,
                      until: datetime) -> list[tuple[int, datetime]]:
    """The reminders (number, when) an unanswered letter owes its receiving secretary in
    (after, until]: every REMIND_EVERY after it was issued, while it may still be accepted."""
    first = max(1, (after - issued) // REMIND_EVERY)
    found = []
    number = first
    while (at := issued + number * REMIND_EVERY) <= min(until, last_day_ends):
        if at > after:
            found.append((number, at))
        number += 1
    return found


def parse_outside_letter_number(text: str | None) -> str | Invalid:
    """The number printed on a letter from outside the bot (it varies: 〔2026〕第12号, 2026-12)."""
    value = clean_text(text, max_length=MAX_LETTER_NUMBER)
    if isinstance(value, Invalid):
        return value
    compact = re.sub(r"\s+", "", value)
    return compact if LETTER_NUMBER_RE.match(compact) else Invalid("letter_number_format")


def parse_outside_org(text: str | None) -> str | Invalid:
    """An organization the bot does not hold, as typed (destination or origin)."""
    return clean_text(text, max_length=MAX_ORG_NAME)


def parse_return_reason(text: str | None) -> str | Invalid:
    return clean_text(text, max_length=MAX_REASON, multiline=True)
