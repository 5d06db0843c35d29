"""Member development (发展党员) as data and plain functions: the stages in their order, the
earliest day each step may be taken, the windows that close after a step, and the assembly's
quorum and majority.

The source is 中国共产党发展党员工作细则 (2014), DOMAIN.md "Member development". Dates are
local calendar days; "working days" follow rules/workdays.py (an approximate day says so there).
No Telegram, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from rules.dates import add_months
from rules.validation import Invalid
from rules.vocabulary import DevelopmentStage
from rules.workdays import WorkCalendar, add_working_days, next_working_day

# 细则: an applicant is at least 18 years old.
MIN_AGE = 18
# 细则: the branch talks with an applicant within one month of the application.
TALK_WITHIN_MONTHS = 1
# 细则: an activist is reviewed (培养考察) every half year.
REVIEW_EVERY_MONTHS = 6
# 细则: at least one year as an activist before becoming a 发展对象.
ACTIVIST_MONTHS = 12
# 细则: a 发展对象's concentrated training lasts at least 3 days (24 学时).
CANDIDATE_TRAINING_HOURS = 24
# 细则: the public notice before admission lasts at least 5 working days.
NOTICE_WORKING_DAYS = 5
# 细则: the upper level approves within 3 months of the assembly's vote.
APPROVAL_WITHIN_MONTHS = 3
# 细则: probation lasts one year from the assembly's vote admitting the member.
PROBATION_MONTHS = 12
# 细则: probation may be extended once, by at least half a year and at most a year.
EXTENSION_MONTHS = (6, 12)
# 细则: one or two full members guide an activist (培养联系人).
CONTACTS = (1, 2)

ORDER = (
    DevelopmentStage.APPLICANT, DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE,
    DevelopmentStage.PROBATIONARY, DevelopmentStage.FULL,
)


def next_stage(stage: DevelopmentStage) -> DevelopmentStage | None:
    """The stage that follows `stage` (None after full membership or a withdrawal)."""
    if stage not in ORDER or stage is DevelopmentStage.FULL:
        return None
    return ORDER[ORDER.index(stage) + 1]


def age_on(birth: date, day: date) -> int:
    """Whole years from `birth` to `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Milestones:
    """The days a person's development has reached so far (None: not yet)."""

    applied_on: date
    talked_on: date | None = None  # the branch's talk with the applicant
    activist_on: date | None = None  # chosen as an activist by the branch committee
    candidate_on: date | None = None  # made a 发展对象
    notice_from: date | None = None  # the public notice's first day
    admitted_on: date | None = None  # the assembly's vote admitting a probationary member
    admission_approved_on: date | None = None  # the upper level's approval of it
    extension_months: int = 0  # probation extended by this many months (0: not extended)
    confirmed_on: date | None = None  # the assembly's vote making the member full
    confirmation_approved_on: date | None = None
    last_review_on: date | None = None  # the latest half-yearly review of an activist


def notice_ends(first_day: date, cal: WorkCalendar | None = None) -> date:
    """The last day of a public notice that begins on `first_day`: its fifth working day
    (a notice put up on a rest day begins counting on the next working day)."""
    start = next_working_day(first_day, inclusive=True, cal=cal)
    return add_working_days(start, NOTICE_WORKING_DAYS - 1, cal)


def probation_ends(m: Milestones) -> date | None:
    """The day probation ends and the assembly's vote on full membership is due."""
    if m.admitted_on is None:
        return None
    return add_months(m.admitted_on, PROBATION_MONTHS + m.extension_months)


def earliest(stage: DevelopmentStage, m: Milestones, cal: WorkCalendar | None = None
             ) -> date | None:
    """The earliest day a person may be moved into `stage`; None while an earlier step is
    missing (the order itself is checked by `check_step`)."""
    if stage is DevelopmentStage.ACTIVIST:
        return m.applied_on
    if stage is DevelopmentStage.CANDIDATE:
        return None if m.activist_on is None else add_months(m.activist_on, ACTIVIST_MONTHS)
    if stage is DevelopmentStage.PROBATIONARY:
        if m.candidate_on is None or m.notice_from is None:
            return None
        # The vote follows the notice: the day after its last working day.
        return max(m.candidate_on, notice_ends(m.notice_from, cal) + timedelta(days=1))
    if stage is DevelopmentStage.FULL:
        return probation_ends(m)
    return None


def current_stage(m: Milestones) -> DevelopmentStage:
    """The stage the milestones reach."""
    if m.confirmed_on is not None:
        return DevelopmentStage.FULL
    if m.admitted_on is not None:
        return DevelopmentStage.PROBATIONARY
    if m.candidate_on is not None:
        return DevelopmentStage.CANDIDATE
    if m.activist_on is not None:
        return DevelopmentStage.ACTIVIST
    return DevelopmentStage.APPLICANT


def check_application(birth: date | None, applied_on: date, today: date) -> Invalid | None:
    """An application: not in the future, and the applicant at least 18 on its day."""
    if applied_on > today:
        return Invalid("date_future")
    if birth is not None and age_on(birth, applied_on) < MIN_AGE:
        return Invalid("applicant_too_young", MIN_AGE)
    return None


@dataclass(frozen=True)
class TooEarly:
    """A step refused because the rule's earliest day for it is `first`."""

    first: date


def check_step(stage: DevelopmentStage, on: date, m: Milestones, today: date,
               cal: WorkCalendar | None = None) -> Invalid | TooEarly | None:
    """Whether a person whose development reached `m` may move into `stage` on `on`: the next
    stage only, not in the future, not before the rule's earliest day."""
    if on > today:
        return Invalid("date_future")
    if next_stage(current_stage(m)) is not stage:
        return Invalid("stage_out_of_order")
    if stage is DevelopmentStage.PROBATIONARY and m.notice_from is None:
        return Invalid("notice_missing")
    first = earliest(stage, m, cal)
    if first is not None and on < first:
        return TooEarly(first)
    return None


def check_extension(months: int, m: Milestones) -> Invalid | None:
    """Probation is extended once, by 6 to 12 months, and only while it lasts."""
    if m.admitted_on is None or m.confirmed_on is not None:
        return Invalid("stage_out_of_order")
    if m.extension_months:
        return Invalid("already_extended")
    low, high = EXTENSION_MONTHS
    if not low <= months <= high:
        return Invalid("number_range", high, low)
    return None


@dataclass(frozen=True)
class Due:
    """Something the secretary owes by `by`: a reminder names `what` (a stable key)."""

    what: str
    by: date


def dues_of(m: Milestones) -> list[Due]:
    """What the branch owes a person at the stage they reached, each with its last day."""
    stage = current_stage(m)
    owed: list[Due] = []
    if m.talked_on is None and stage is DevelopmentStage.APPLICANT:
        owed.append(Due("talk", add_months(m.applied_on, TALK_WITHIN_MONTHS)))
    if stage is DevelopmentStage.ACTIVIST and m.activist_on is not None:
        last = max(m.activist_on, m.last_review_on or m.activist_on)
        owed.append(Due("review", add_months(last, REVIEW_EVERY_MONTHS)))
    if stage is DevelopmentStage.PROBATIONARY and m.admitted_on is not None:
        if m.admission_approved_on is None:
            owed.append(Due("admission_approval",
                            add_months(m.admitted_on, APPROVAL_WITHIN_MONTHS)))
        ends = probation_ends(m)
        if ends is not None:
            owed.append(Due("probation_vote", ends))
    if stage is DevelopmentStage.FULL and m.confirmed_on is not None \
            and m.confirmation_approved_on is None:
        owed.append(Due("confirmation_approval",
                        add_months(m.confirmed_on, APPROVAL_WITHIN_MONTHS)))
    return owed


def reminded_of(m: Milestones, cal: WorkCalendar | None = None) -> list[Due]:
    """What the planner reminds the branch of: what it owes (`dues_of`) and, while a
    candidate's public notice runs, its last day ("notice", counted in the working days of
    `cal`): the assembly's vote on the admission may follow it."""
    owed = dues_of(m)
    if current_stage(m) is DevelopmentStage.CANDIDATE and m.notice_from is not None:
        owed.append(Due("notice", notice_ends(m.notice_from, cal)))
    return owed


def assembly_quorate(present: int, entitled: int) -> bool:
    """More than half of the full members with voting rights are present (细则)."""
    return entitled > 0 and present * 2 > entitled


def assembly_passes(in_favour: int, entitled: int) -> bool:
    """The vote passes when those in favour are more than half of the full members with
    voting rights who should attend (细则), not of those present."""
    return entitled > 0 and in_favour * 2 > entitled


def check_vote(entitled: int, present: int, in_favour: int, against: int, abstaining: int
               ) -> Invalid | None:
    """Figures as the branch recorded them: whole, consistent, and the meeting quorate."""
    if min(entitled, present, in_favour, against, abstaining) < 0 or present > entitled:
        return Invalid("vote_figures")
    if in_favour + against + abstaining > present:
        return Invalid("vote_figures")
    if not assembly_quorate(present, entitled):
        return Invalid("vote_not_quorate")
    return None
