"""Domain rules as plain functions: terms, tree shape, input validation, permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rules.permissions import Actor, can_appoint, can_edit_member, can_manage_org, can_see_phone
from rules.terms import term_ends_on, term_years
from rules.tree import can_be_parent
from rules.validation import (
    Invalid,
    clean_join_date,
    clean_phone,
    clean_real_name,
    clean_term_start,
    clean_text,
    is_invite_code,
    mask_phone,
    parse_date,
    parse_decimal,
    parse_when,
    parse_whole,
    parse_whole_list,
)
from rules.vocabulary import MemberRole, MembershipState, PartyOrgKind

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("kind", "override", "years"),
    [
        (PartyOrgKind.BRANCH, None, 3),
        (PartyOrgKind.JOINT_BRANCH, None, 3),
        (PartyOrgKind.GENERAL_BRANCH, None, 3),
        (PartyOrgKind.COMMITTEE, None, 5),
        (PartyOrgKind.BRANCH, 2, 2),
    ],
)
def test_term_length_by_kind_and_override(
    kind: PartyOrgKind, override: int | None, years: int
) -> None:
    assert term_years(kind, override) == years


def test_term_end_is_same_day_years_later_and_leap_day_falls_back() -> None:
    assert term_ends_on(date(2024, 3, 15), PartyOrgKind.BRANCH) == date(2027, 3, 15)
    assert term_ends_on(date(2021, 6, 30), PartyOrgKind.COMMITTEE) == date(2026, 6, 30)
    assert term_ends_on(date(2024, 2, 29), PartyOrgKind.BRANCH) == date(2027, 2, 28)


def test_tree_shape() -> None:
    assert can_be_parent(PartyOrgKind.BRANCH, PartyOrgKind.COMMITTEE)
    assert can_be_parent(PartyOrgKind.JOINT_BRANCH, PartyOrgKind.GENERAL_BRANCH)
    assert can_be_parent(PartyOrgKind.BRANCH, None)
    assert not can_be_parent(PartyOrgKind.BRANCH, PartyOrgKind.BRANCH)
    assert not can_be_parent(PartyOrgKind.COMMITTEE, PartyOrgKind.GENERAL_BRANCH)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  王丽 ", "王丽"),
        ("Emma  Chen", "Emma Chen"),
        ("阿卜杜拉·买买提", "阿卜杜拉·买买提"),
        ("", Invalid("empty")),
        ("   ", Invalid("empty")),
        ("王\u200b丽", "王丽"),  # zero-width characters are dropped, not stored
        ("\u202e王丽\u202c", "王丽"),  # so are bidi overrides
        ("\u3164", Invalid("empty")),  # HANGUL FILLER: renders as nothing
        ("\u115f\u1160\uffa0", Invalid("empty")),
        ("\u200b\u200b", Invalid("empty")),
        ("王\u3164", Invalid("name_chars")),
        ("·-", Invalid("name_chars")),
        ("a\x07b", Invalid("control_chars")),
        ("王" * 31, Invalid("too_long", 30)),
        ("/start", Invalid("name_chars")),
        ("Robert'); DROP TABLE people;--", Invalid("name_chars")),
        ("12345", Invalid("name_chars")),
    ],
)
def test_real_name(text: str, expected: object) -> None:
    assert clean_real_name(text) == expected


def test_dates() -> None:
    assert parse_date("2015-07-01") == date(2015, 7, 1)
    assert parse_date("2015/7/1") == date(2015, 7, 1)
    assert parse_date("2015年7月1日") == date(2015, 7, 1)
    assert parse_date("2015-02-30") == Invalid("date_invalid")
    assert parse_date("yesterday") == Invalid("date_format")
    assert clean_join_date("2026-11-24", TODAY) == Invalid("date_future")
    assert clean_join_date("1900-01-01", TODAY) == Invalid("date_too_early")
    assert clean_join_date("2026-11-23", TODAY) == TODAY
    assert clean_term_start("2027-01-01", TODAY) == Invalid("date_future")
    assert clean_term_start("2000-01-01", TODAY) == Invalid("date_too_early")


@pytest.mark.parametrize(
    "text",
    ["\u3164", "\u115f", "\u1160", "\uffa0", "\u200b\u200c\u200d", "\u2060\ufeff",
     "\u202e\u2066\u2069", " \u3000 ", "\u2800", "\ufe0f", "\u0301"],
)
def test_free_text_needs_a_visible_character(text: str) -> None:
    assert clean_text(text, max_length=100) == Invalid("empty")
    assert clean_text(text, max_length=100, multiline=True) == Invalid("empty")


def test_free_text_drops_format_characters() -> None:
    assert clean_text("Room\u202e 302\u200b", max_length=100) == "Room 302"
    minutes = "第一项\u202e：\r\n\t讨论\u200d"
    assert clean_text(minutes, max_length=100, multiline=True) == "第一项：\n\t讨论"
    assert clean_text("a\nb", max_length=100) == Invalid("control_chars")
    assert clean_text("a\x07b", max_length=100, multiline=True) == Invalid("control_chars")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7), (" 31 ", 31), ("０７", 7), ("0", Invalid("number_range", 31, 1)),
        ("32", Invalid("number_range", 31, 1)), ("\u1369", Invalid("number_range", 31, 1)),
        ("\u0661\u0662", Invalid("number_range", 31, 1)), ("²", Invalid("number_range", 31, 1)),
        ("9" * 5000, Invalid("number_range", 31, 1)), ("-1", Invalid("number_range", 31, 1)),
        ("1.0", Invalid("number_range", 31, 1)), ("", Invalid("number_range", 31, 1)),
    ],
)
def test_whole_numbers(text: str, expected: object) -> None:
    assert parse_whole(text, minimum=1, maximum=31) == expected


def test_whole_number_from_a_file_is_ascii_only() -> None:
    assert parse_whole("１２３", minimum=0, maximum=999, typed=False) == Invalid(
        "number_range", 999, 0
    )
    assert parse_whole("123", minimum=0, maximum=999, typed=False) == 123


def test_decimals_and_lists() -> None:
    assert parse_decimal("1.5", maximum=100) == Decimal("1.5")
    assert parse_decimal("１，５", maximum=100) == Decimal("1.5")
    assert parse_decimal(".5", maximum=100) == Decimal("0.5")
    assert parse_decimal("9" * 30, maximum=100) == Invalid("number_too_large", 100)
    assert parse_decimal("0" * 30 + "1", maximum=100) == Decimal(1)
    assert parse_decimal("1." + "5" * 30, maximum=100) == Invalid("number_format")
    assert parse_decimal("101", maximum=100) == Invalid("number_too_large", 100)
    assert parse_decimal("1e3", maximum=10000) == Invalid("number_format")
    assert parse_decimal("NaN", maximum=100) == Invalid("number_format")
    assert parse_decimal("\u1369", maximum=100) == Invalid("number_format")
    assert parse_whole_list("30, 7 1、７", minimum=0, maximum=180, max_items=6) == [30, 7, 1]
    assert isinstance(parse_whole_list("\u1369", minimum=0, maximum=180, max_items=6), Invalid)
    assert isinstance(parse_whole_list("1 2 3", minimum=0, maximum=180, max_items=2), Invalid)


def test_dates_take_ascii_and_full_width_digits_only() -> None:
    assert parse_date("２０１５－０７－０１") == date(2015, 7, 1)
    assert parse_date("\u0662\u0660\u0661\u0665-07-01") == Invalid("date_format")
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert parse_when("２０２７－０１－０２　１０：３０", shanghai, now) == datetime(
        2027, 1, 2, 2, 30, tzinfo=UTC)
    assert parse_when("\u0662\u0660\u0662\u0667-01-02 10:30", shanghai, now) == "format"
    assert parse_when("0001-01-01 00:00", shanghai, now) == "invalid"  # not a crash


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+86 138-0000-1234", "+8613800001234"),
        ("8613800001234", "8613800001234"),
        ("13800001234", "13800001234"),
        ("(020) 1234 5678", "02012345678"),
        ("+1234567", "+1234567"),
        ("12345", Invalid("phone_format")),  # too short for any phone
        ("+1234567890123456", Invalid("phone_format")),  # E.164: at most 15 digits
        ("１３８００００１２３４", Invalid("phone_format")),
        ("138\u200b00001234", Invalid("phone_format")),
        ("", Invalid("phone_format")),
    ],
)
def test_phone_numbers(text: str, expected: object) -> None:
    assert clean_phone(text) == expected


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613800001234", "+86138****1234"),
        ("13800001234", "138****1234"),
        ("+123456789012345", "+123****2345"),
        ("+441234567890", "+441****7890"),
        ("12345678", "****5678"),
        ("1234567", "****567"),
        ("123", "****"),
    ],
)
def test_phone_masking_hides_at_least_four_and_shows_at_most_seven(
    phone: str, masked: str
) -> None:
    assert mask_phone(phone) == masked


def test_text_phone_and_codes() -> None:
    assert clean_text("x" * 101, max_length=100) == Invalid("too_long", 100)
    assert clean_phone("+86 138-0000-1234") == "+8613800001234"
    assert clean_phone("call me") == Invalid("phone_format")
    assert mask_phone("+8613800001234") == "+86138****1234"
    assert mask_phone("13800001234") == "138****1234"
    assert mask_phone(None) == ""
    assert is_invite_code("AbC_123-xyz")
    assert not is_invite_code("abc")  # too short
    assert not is_invite_code("abc def ghi")
    assert not is_invite_code("x" * 33)


def _leader(org_id: int, below: set[int], role: MemberRole = MemberRole.SECRETARY) -> Actor:
    return Actor(
        telegram_id=1,
        language="zh",
        person_id=10,
        org_id=org_id,
        state=MembershipState.ACTIVE,
        role=role,
        managed_org_ids=frozenset({org_id} | below),
        subordinate_org_ids=frozenset(below),
    )


def test_permissions() -> None:
    admin = Actor(telegram_id=9, language="zh", is_admin=True)
    branch_secretary = _leader(2, set())
    committee_secretary = _leader(1, {2, 3})
    member = Actor(
        telegram_id=5, language="zh", person_id=50, org_id=2, state=MembershipState.ACTIVE,
        role=MemberRole.MEMBER,
    )
    pending = Actor(telegram_id=6, language="zh", person_id=60, org_id=2,
                    state=MembershipState.PENDING, role=MemberRole.MEMBER)
    assert (admin.kind, branch_secretary.kind, member.kind, pending.kind) == (
        "admin", "secretary", "member", "guest",
    )
    assert can_manage_org(admin, 3)
    assert can_manage_org(branch_secretary, 2) and not can_manage_org(branch_secretary, 3)
    assert can_manage_org(committee_secretary, 3)
    assert not can_manage_org(member, 2)
    # Secretaries are appointed from above, committee members by the branch itself.
    assert not can_appoint(branch_secretary, 2, MemberRole.SECRETARY)
    assert can_appoint(branch_secretary, 2, MemberRole.COMMITTEE_MEMBER)
    assert can_appoint(committee_secretary, 2, MemberRole.SECRETARY)
    assert can_appoint(admin, 2, MemberRole.SECRETARY)
    # A leader does not edit their own record's role.
    assert not can_edit_member(branch_secretary, 2, branch_secretary.person_id or 0)
    assert can_edit_member(branch_secretary, 2, 77)
    # Phones: own branch leaders and admins; a leader above sees them masked.
    assert can_see_phone(branch_secretary, 2, 77)
    assert not can_see_phone(committee_secretary, 2, 77)
    assert can_see_phone(admin, 2, 77)
    assert can_see_phone(member, 2, 50)
    assert not can_see_phone(member, 2, 77)
