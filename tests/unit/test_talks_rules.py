"""The talks rule as data (rules/talks.py): who keeps a branch's talks, who records, whom the
yearly rule asks a talk with, the quarterly reminder day."""

from __future__ import annotations

from datetime import date

from rules import talks
from rules.permissions import Actor
from rules.vocabulary import MemberRole, MembershipState, MemberStatus


def member(role: MemberRole, org: int = 1, *, person: int | None = 5,
           managed: frozenset[int] = frozenset()) -> Actor:
    return Actor(telegram_id=1, language="en", person_id=person, org_id=org,
                 state=MembershipState.ACTIVE, role=role, managed_org_ids=managed)


def test_the_branch_committee_keeps_its_talks_and_the_leaders_above_read_them() -> None:
    committee = member(MemberRole.COMMITTEE_MEMBER)
    assert talks.keeps_talks(committee) and talks.can_record_talk(committee, 1)
    assert not talks.can_keep_talks(committee, 2)  # another branch's
    plain = member(MemberRole.MEMBER)
    assert not talks.keeps_talks(plain) and not talks.can_keep_talks(plain, 1)
    above = member(MemberRole.SECRETARY, org=9, managed=frozenset({9, 1}))
    assert talks.can_keep_talks(above, 1) and talks.can_record_talk(above, 1)
    admin = Actor(telegram_id=2, language="en", is_admin=True)
    assert talks.can_keep_talks(admin, 1) and not talks.can_record_talk(admin, 1)


def test_the_secretary_owes_a_talk_to_every_other_party_member() -> None:
    assert talks.is_owed(MemberRole.COMMITTEE_MEMBER, MemberStatus.FULL)
    assert talks.is_owed(MemberRole.DEPUTY_SECRETARY, MemberStatus.FULL)
    assert talks.is_owed(MemberRole.MEMBER, MemberStatus.PROBATIONARY)
    assert not talks.is_owed(MemberRole.SECRETARY, MemberStatus.FULL)
    assert not talks.is_owed(MemberRole.MEMBER, MemberStatus.ACTIVIST)


def test_one_reminder_day_a_quarter() -> None:
    days = [date(2030, 1, 1).fromordinal(n) for n in range(date(2030, 1, 1).toordinal(),
                                                          date(2031, 1, 1).toordinal())]
    found = [day for day in days if talks.is_reminder_day(day)]
    assert found == [date(2030, 2, 15), date(2030, 5, 15), date(2030, 8, 15), date(2030, 11, 15)]
    assert [talks.quarter_label(day) for day in found] == [
        "2030-Q1", "2030-Q2", "2030-Q3", "2030-Q4"]
    assert talks.earliest_day(date(2030, 1, 3)) == date(2029, 1, 1)
