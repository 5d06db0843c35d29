"""Dues (党费) by the 2008 standard: amounts, months owed, payments, the six-month run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rules import dues
from rules.dues import DEFAULT_STANDARD as STANDARD
from rules.dues import Month
from rules.validation import Invalid
from rules.vocabulary import DuesCategory


@pytest.mark.parametrize(("category", "base", "expected"), [
    (DuesCategory.EMPLOYED, "3000", "15.00"),  # ≤ 3,000 inclusive: 0.5%
    (DuesCategory.EMPLOYED, "3000.01", "30.00"),  # above 3,000: 1% of the whole base
    (DuesCategory.EMPLOYED, "5000", "50.00"),
    (DuesCategory.EMPLOYED, "8000", "120.00"),  # 1.5%
    (DuesCategory.EMPLOYED, "10000", "150.00"),
    (DuesCategory.EMPLOYED, "12345", "246.90"),  # 2%
    (DuesCategory.EMPLOYED, "2999.99", "15.00"),  # rounded to the fen, half up
    (DuesCategory.RETIRED, "5000", "25.00"),  # ≤ 5,000: 0.5%
    (DuesCategory.RETIRED, "6000", "60.00"),  # above: 1%
    (DuesCategory.STUDENT, None, "0.20"),
    (DuesCategory.UNEMPLOYED, None, "0.20"),
    (DuesCategory.SUBSISTENCE, None, "0.20"),
])
def test_the_2008_standard(category: DuesCategory, base: str | None, expected: str) -> None:
    amount = dues.monthly_dues(STANDARD, category, None if base is None else Decimal(base))
    assert amount == Decimal(expected)


def test_no_amount_until_the_base_or_a_farmers_amount_is_set() -> None:
    assert dues.monthly_dues(STANDARD, DuesCategory.EMPLOYED, None) is None
    assert dues.monthly_dues(STANDARD, DuesCategory.FARMER, None) is None
    assert dues.monthly_dues(STANDARD, DuesCategory.FARMER, None, Decimal("0.5")) == Decimal("0.50")
    assert dues.farmer_amount_ok(STANDARD, Decimal("0.5")) is None
    assert dues.farmer_amount_ok(STANDARD, Decimal("1.5")) == Invalid("farmer_amount_range")


def test_a_province_replaces_part_of_the_standard() -> None:
    own = dues.standard_from_mapping({"employed": [[4000, 0.5], [None, 1]],
                                      "fixed": {"student": 0.5}})
    assert dues.monthly_dues(own, DuesCategory.EMPLOYED, Decimal(4000)) == Decimal("20.00")
    assert dues.monthly_dues(own, DuesCategory.EMPLOYED, Decimal(9000)) == Decimal("90.00")
    assert dues.monthly_dues(own, DuesCategory.STUDENT, None) == Decimal("0.50")
    assert own.retired == STANDARD.retired  # left out: the default


@pytest.mark.parametrize("raw", [
    {"employed": [[5000, 1], [3000, 2], [None, 3]]},  # falling bounds
    {"employed": [[3000, 1], [5000, 2]]},  # the last one bounded
    {"employed": [[3000, 150], [None, 2]]},  # above 100%
    {"fixed": {"employed": 1}},  # a based category cannot be flat
    {"farmer": [1, 0.2]},
    {"salary": 1},
])
def test_a_standard_that_cannot_be_used_is_refused(raw: dict[str, object]) -> None:
    with pytest.raises(dues.StandardError):
        dues.standard_from_mapping(raw)


def test_months_owed_and_the_unpaid_run() -> None:
    since = Month(2026, 3)  # probationary from March
    paid = [Month(2026, 3), Month(2026, 4), Month(2026, 7)]
    assert dues.months_owed(since, Month(2026, 9), paid) == [
        Month(2026, 5), Month(2026, 6), Month(2026, 8), Month(2026, 9)]
    assert dues.unpaid_run(since, Month(2026, 9), paid) == 2
    assert dues.unpaid_run(since, Month(2026, 6), paid) == 2
    assert dues.unpaid_run(since, Month(2026, 7), paid) == 0
    assert dues.unpaid_run(Month(2026, 1), Month(2026, 6), []) == 6  # six months: a case
    assert dues.unpaid_run(Month(2026, 4), Month(2026, 6), []) == 3  # never before `since`


def test_months_across_years() -> None:
    assert Month(2026, 11).plus(3) == Month(2027, 2)
    assert Month(2027, 2).minus(Month(2026, 11)) == 3
    assert Month(2026, 1).plus(-1) == Month(2025, 12)
    assert str(Month(2027, 2)) == "2027-02"


@pytest.mark.parametrize(("typed", "month"), [
    ("2026-11", Month(2026, 11)), ("2026/1", Month(2026, 1)), ("2026年11月", Month(2026, 11)),
    ("２０２６．１１", Month(2026, 11)), ("2026-13", None), ("11", None), ("", None),
])
def test_months_as_people_type_them(typed: str, month: Month | None) -> None:
    assert dues.parse_month(typed) == (month or Invalid("month_format"))


def test_paying_ahead_only_as_far_as_the_branch_allows() -> None:
    now = Month(2026, 11)
    assert dues.payment_months(Month(2026, 11), 3, now) == [
        Month(2026, 11), Month(2026, 12), Month(2027, 1)]
    assert dues.payment_months(Month(2026, 11), 4, now) == Invalid("months_too_far_ahead", 2)
    assert dues.payment_months(Month(2026, 12), 1, now, months_ahead=0) == Invalid(
        "months_too_far_ahead", 0)
    assert dues.payment_months(Month(2026, 1), 11, now, months_ahead=0) is not None  # 补缴
    assert isinstance(dues.payment_months(now, 0, now), Invalid)


@pytest.mark.parametrize(("typed", "expected"), [
    ("15", Decimal(15)), ("0.2", Decimal("0.2")), ("１５．５", Decimal("15.5")),
    ("0", Invalid("amount_not_positive")), ("1.234", Invalid("number_format")),
    ("-3", Invalid("number_format")), ("abc", Invalid("number_format")),
])
def test_amounts(typed: str, expected: Decimal | Invalid) -> None:
    assert dues.parse_amount(typed) == expected


def test_a_payment_far_above_the_standard_is_a_question_not_a_refusal() -> None:
    assert dues.looks_too_much(Decimal(500), Decimal(15), 3) is True  # > 10 × 45
    assert dues.looks_too_much(Decimal(450), Decimal(15), 3) is False
    assert dues.looks_too_much(Decimal(500), None, 3) is False


def test_owing_starts_when_both_the_member_and_the_branchs_books_exist() -> None:
    assert dues.owing_since(date(1998, 7, 1), date(2025, 3, 9), None) is None
    assert dues.owing_since(date(1998, 7, 1), date(2025, 3, 9), Month(2026, 1)) == Month(2026, 1)
    assert dues.owing_since(date(2026, 5, 20), date(2026, 6, 2), Month(2026, 1)) == Month(2026, 5)
    assert dues.owing_since(None, date(2026, 6, 2), Month(2026, 1)) == Month(2026, 6)


def test_a_leader_records_at_least_a_quarter_ahead() -> None:
    assert [dues.recording_limit(n) for n in dues.MONTHS_AHEAD_CHOICES] == [2, 2, 5, 11]


def test_the_settings_carry_the_provinces_standard(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load_settings

    monkeypatch.delenv("BRANCHBOT_CONFIG", raising=False)
    assert load_settings().dues_rules == dues.standard_from_mapping({})
    monkeypatch.setenv("BRANCHBOT_DUES_STANDARD",
                       '{"employed": [[5000, 1], [null, 3]], "farmer": [0.5, 2]}')
    standard = load_settings().dues_rules
    assert dues.monthly_dues(standard, DuesCategory.EMPLOYED, Decimal(6000)) == Decimal("180.00")
    assert standard.farmer_range == (Decimal("0.5"), Decimal(2))
    assert standard.retired == STANDARD.retired  # left out: the 2008 values


@pytest.mark.parametrize(("value", "message"), [
    ('{"bogus": 1}', "BRANCHBOT_DUES_STANDARD: unknown keys: bogus"),
    ('{"employed": [[1000, 1]]}', "BRANCHBOT_DUES_STANDARD: employed: rising bounds"),
    ('{"farmer": [2, 1]}', "BRANCHBOT_DUES_STANDARD: farmer: [low, high] in yuan"),
])
def test_a_bad_dues_standard_stops_the_bot_with_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    from bot.config import ConfigError, load_settings

    monkeypatch.delenv("BRANCHBOT_CONFIG", raising=False)
    monkeypatch.setenv("BRANCHBOT_DUES_STANDARD", value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
