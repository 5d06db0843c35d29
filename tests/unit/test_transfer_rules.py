"""Transfer letters as plain rules (issue 16): number, validity, reminders, an outside letter's
number; and the month dues are paid to, which a letter states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rules import transfers
from rules.dues import Month, paid_through
from rules.validation import Invalid

pytestmark = pytest.mark.unit


def test_a_letter_is_numbered_by_year_and_valid_through_its_last_day() -> None:
    assert transfers.letter_number(2026, 7) == "2026-0007"
    until = transfers.valid_until(date(2026, 12, 5), transfers.VALID_DAYS_WITHIN)
    assert until == date(2027, 1, 4)
    assert not transfers.is_expired(until, date(2027, 1, 4))
    assert transfers.is_expired(until, date(2027, 1, 5))


def test_the_receiving_secretary_is_reminded_every_three_days() -> None:
    issued = datetime(2026, 12, 1, 9, tzinfo=UTC)
    ends = datetime(2026, 12, 31, tzinfo=UTC)
    day = timedelta(days=1)
    assert transfers.reminders_between(issued, ends, issued, issued + 2 * day) == []
    assert transfers.reminders_between(issued, ends, issued, issued + 7 * day) == [
        (1, issued + 3 * day), (2, issued + 6 * day)]
    # A pass sees each reminder once: the next slice starts where this one ended.
    assert transfers.reminders_between(issued, ends, issued + 6 * day, issued + 9 * day) == [
        (3, issued + 9 * day)]
    # None once the letter's last day is over.
    assert transfers.reminders_between(issued, ends, ends, ends + 10 * day) == []


def test_an_outside_letters_number_is_kept_as_printed() -> None:
    assert transfers.parse_outside_letter_number(" 〔2026〕第 12 号 ") == "〔2026〕第12号"
    assert transfers.parse_outside_letter_number("2026-12") == "2026-12"
    assert transfers.parse_outside_letter_number("12; DROP") == Invalid("letter_number_format")
    assert transfers.parse_outside_letter_number("") == Invalid("empty")


def test_dues_are_paid_to_the_end_of_the_unbroken_run() -> None:
    paid = [Month(2026, 1), Month(2026, 2), Month(2026, 3), Month(2026, 5)]
    assert paid_through(Month(2026, 1), paid) == Month(2026, 3)
    assert paid_through(Month(2026, 4), paid) is None  # the first month owed is open
    assert paid_through(None, paid) is None  # the branch keeps no dues in the bot
    assert paid_through(Month(2025, 12), [Month(2025, 12), Month(2026, 1)]) == Month(2026, 1)
