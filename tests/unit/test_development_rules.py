"""Member development (发展党员) by the 2014 细则: order, earliest days, windows, the assembly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from rules import development as dev
from rules.development import Due, Milestones, TooEarly
from rules.validation import Invalid
from rules.vocabulary import DevelopmentStage as Stage
from rules.workdays import WorkCalendar

TODAY = date(2028, 12, 31)
APPLIED = Milestones(applied_on=date(2026, 3, 2))
ACTIVIST = replace(APPLIED, talked_on=date(2026, 3, 20), activist_on=date(2026, 4, 15))
CANDIDATE = replace(ACTIVIST, candidate_on=date(2027, 4, 15), notice_from=date(2027, 9, 29))
PROBATIONARY = replace(CANDIDATE, admitted_on=date(2027, 10, 20))


def test_stages_follow_in_order() -> None:
    assert [dev.next_stage(s) for s in dev.ORDER] == [
        Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL, None]
    assert [dev.current_stage(m) for m in (APPLIED, ACTIVIST, CANDIDATE, PROBATIONARY)] == [
        Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY]


def test_an_applicant_is_eighteen_on_the_day_of_the_application() -> None:
    birth = date(2008, 3, 3)
    assert dev.check_application(birth, date(2026, 3, 2), TODAY) == Invalid(
        "applicant_too_young", 18)
    assert dev.check_application(birth, date(2026, 3, 3), TODAY) is None
    assert dev.check_application(None, date(2029, 1, 1), TODAY) == Invalid("date_future")
    assert dev.age_on(date(2004, 2, 29), date(2022, 2, 28)) == 17


def test_a_candidate_after_a_full_year_as_an_activist() -> None:
    assert dev.check_step(Stage.CANDIDATE, date(2027, 4, 14), ACTIVIST, TODAY) == \
        TooEarly(date(2027, 4, 15))
    assert dev.check_step(Stage.CANDIDATE, date(2027, 4, 15), ACTIVIST, TODAY) is None
    # Skipping a stage or going back is refused whatever the day.
    assert dev.check_step(Stage.PROBATIONARY, date(2028, 1, 1), ACTIVIST, TODAY) == Invalid(
        "stage_out_of_order")
    assert dev.check_step(Stage.ACTIVIST, date(2028, 1, 1), ACTIVIST, TODAY) == Invalid(
        "stage_out_of_order")
    assert dev.check_step(Stage.CANDIDATE, date(2029, 5, 1), ACTIVIST, TODAY) == Invalid(
        "date_future")


def test_the_public_notice_counts_working_days_across_the_national_day_holiday() -> None:
    # Put up on Tuesday 29 September 2026, the eve of the National Day holiday.
    ends = dev.notice_ends(date(2026, 9, 29))
    # 2026: 29 and 30 September, then 8, 9 and Saturday 10 October (a make-up working day).
    assert ends == date(2026, 10, 10)
    # A notice put up on a rest day starts counting on the next working day.
    assert dev.notice_ends(date(2026, 10, 3)) == date(2026, 10, 13)


def test_admission_after_the_notice_has_run() -> None:
    candidate = replace(CANDIDATE, notice_from=date(2026, 9, 29), candidate_on=date(2026, 9, 1))
    assert dev.earliest(Stage.PROBATIONARY, candidate) == date(2026, 10, 11)
    assert dev.check_step(Stage.PROBATIONARY, date(2026, 10, 10), candidate, TODAY) == \
        TooEarly(date(2026, 10, 11))
    assert dev.check_step(Stage.PROBATIONARY, date(2026, 10, 11), candidate, TODAY) is None
    without_notice = replace(candidate, notice_from=None)
    assert dev.check_step(Stage.PROBATIONARY, date(2026, 12, 1), without_notice, TODAY) == \
        Invalid("notice_missing")


def test_probation_ends_a_year_after_the_vote_and_may_be_extended_once() -> None:
    assert dev.probation_ends(PROBATIONARY) == date(2028, 10, 20)
    assert dev.check_step(Stage.FULL, date(2028, 10, 19), PROBATIONARY, TODAY) == \
        TooEarly(date(2028, 10, 20))
    assert dev.check_extension(5, PROBATIONARY) == Invalid("number_range", 12, 6)
    assert dev.check_extension(13, PROBATIONARY) == Invalid("number_range", 12, 6)
    assert dev.check_extension(6, PROBATIONARY) is None
    extended = replace(PROBATIONARY, extension_months=6)
    assert dev.probation_ends(extended) == date(2029, 4, 20)
    assert dev.check_extension(6, extended) == Invalid("already_extended")
    assert dev.check_extension(6, CANDIDATE) == Invalid("stage_out_of_order")


@pytest.mark.parametrize(("milestones", "owed"), [
    (APPLIED, [Due("talk", date(2026, 4, 2))]),
    (ACTIVIST, [Due("review", date(2026, 10, 15))]),
    (replace(ACTIVIST, last_review_on=date(2026, 10, 1)), [Due("review", date(2027, 4, 1))]),
    (CANDIDATE, []),
    (PROBATIONARY, [Due("admission_approval", date(2028, 1, 20)),
                    Due("probation_vote", date(2028, 10, 20))]),
    (replace(PROBATIONARY, admission_approved_on=date(2027, 12, 1)),
     [Due("probation_vote", date(2028, 10, 20))]),
    (replace(PROBATIONARY, confirmed_on=date(2028, 10, 25)),
     [Due("confirmation_approval", date(2029, 1, 25))]),
])
def test_what_the_branch_owes_at_each_stage(milestones: Milestones, owed: list[Due]) -> None:
    assert dev.dues_of(milestones) == owed


def test_the_assembly_needs_more_than_half_present_and_in_favour() -> None:
    assert not dev.assembly_quorate(5, 10) and dev.assembly_quorate(6, 10)
    # A majority of those entitled, not of those present.
    assert not dev.assembly_passes(5, 10) and dev.assembly_passes(6, 10)
    assert dev.check_vote(10, 6, 6, 0, 0) is None
    assert dev.check_vote(10, 5, 5, 0, 0) == Invalid("vote_not_quorate")
    assert dev.check_vote(10, 6, 4, 2, 1) == Invalid("vote_figures")  # 7 votes, 6 present
    assert dev.check_vote(10, 11, 6, 0, 0) == Invalid("vote_figures")
    assert dev.check_vote(0, 0, 0, 0, 0) == Invalid("vote_not_quorate")


def test_the_planner_is_also_reminded_of_a_notice_end_in_the_loaded_working_days() -> None:
    notice = replace(CANDIDATE, notice_from=date(2030, 1, 30))
    assert dev.dues_of(notice) == []  # the card's "owes" list is unchanged
    assert dev.reminded_of(notice) == [Due("notice", date(2030, 2, 7))]  # 2030: approximate
    holiday = WorkCalendar.of([(date(2030, 2, d), False) for d in range(2, 11)], [2030])
    assert dev.reminded_of(notice, holiday) == [Due("notice", date(2030, 2, 12))]
    assert dev.reminded_of(replace(notice, admitted_on=date(2030, 2, 13)),
                           holiday)[-1].what == "probation_vote"
