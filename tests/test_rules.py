"""Domain rules as plain functions: terms, tree shape, input validation, permissions."""

from __future__ import annotations

from datetime import date

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
)
from storage.models import MemberRole, MembershipState, PartyOrgKind

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
        ("王\u200b丽", Invalid("control_chars")),
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
