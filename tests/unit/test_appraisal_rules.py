"""The democratic appraisal's rules (issue 17, 民主评议党员): who is appraised, who runs it and
who sees the board, the tally of peer grades, a self-assessment's limits."""

from __future__ import annotations

from rules import appraisal as rules
from rules.permissions import Actor
from rules.validation import Invalid
from rules.vocabulary import AppraisalGrade, MemberRole, MembershipState, MemberStatus

G = AppraisalGrade


def member(role: MemberRole, org: int = 1) -> Actor:
    managed = frozenset({org}) if role in (MemberRole.SECRETARY,
                                           MemberRole.DEPUTY_SECRETARY) else frozenset()
    return Actor(telegram_id=1, language="en", person_id=5, org_id=org,
                 state=MembershipState.ACTIVE, role=role, managed_org_ids=managed)


def test_the_four_grades_best_first_and_who_is_appraised() -> None:
    assert [g.value for g in rules.GRADES] == [
        "excellent", "qualified", "basically_qualified", "unqualified"]
    assert rules.is_appraised(MemberStatus.FULL) and rules.is_appraised(MemberStatus.PROBATIONARY)
    assert not rules.is_appraised(MemberStatus.ACTIVIST)


def test_the_tally_counts_every_grade_without_a_ranking() -> None:
    assert rules.tally([]) == dict.fromkeys(rules.GRADES, 0)
    counted = rules.tally([G.QUALIFIED, G.EXCELLENT, G.QUALIFIED])
    assert list(counted) == list(rules.GRADES)  # always the grades' order, never by count
    assert counted == {G.EXCELLENT: 1, G.QUALIFIED: 2, G.BASICALLY_QUALIFIED: 0,
                       G.UNQUALIFIED: 0}


def test_who_runs_it_and_who_sees_the_board() -> None:
    secretary, committee, plain = (member(MemberRole.SECRETARY),
                                   member(MemberRole.COMMITTEE_MEMBER), member(MemberRole.MEMBER))
    admin = Actor(telegram_id=9, language="en", is_admin=True)
    guest = Actor(telegram_id=8, language="en")
    assert rules.can_run(secretary, 1) and not rules.can_run(secretary, 2)
    assert not rules.can_run(committee, 1) and rules.can_see_board(committee, 1)
    assert not rules.can_see_board(committee, 2)
    assert not rules.can_see_board(plain, 1) and not rules.keeps_appraisal(plain)
    assert rules.opens_appraisal(plain) and not rules.opens_appraisal(guest)
    assert rules.can_run(admin, 2) and rules.keeps_appraisal(admin)


def test_a_self_assessment_is_a_few_lines_of_at_most_500_characters() -> None:
    assert rules.check_assessment("  Studied hard.\nHelped others.  ") == (
        "Studied hard.\nHelped others.")
    assert rules.check_assessment("x" * 501) == Invalid("too_long", 500)
    assert rules.check_assessment("   ") == Invalid("empty")
    assert rules.check_note("a\nb") == Invalid("control_chars")
