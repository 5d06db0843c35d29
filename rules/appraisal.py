"""The yearly democratic appraisal of members (民主评议党员) as data: who is appraised, the
grades, who runs it and who sees what, a self-assessment's length and a tally of peer grades.
No Telegram, no database.

Peer grades are optional and anonymous to members: the committee sees how many of each grade a
member got, never who gave them; members see only their own self-assessment, the grades they
gave and their own result. Nothing is ranked (DOMAIN.md: against formalism).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from rules.permissions import COMMITTEE_ROLES, Actor, can_manage_org
from rules.validation import Invalid, clean_text
from rules.vocabulary import AppraisalGrade, MemberStatus

# 党员教育管理工作条例 (2019), DOMAIN.md "Appraisal and talks": yearly study, self-assessment,
# mutual assessment and the branch's verdict per member (优秀 / 合格 / 基本合格 / 不合格).
GRADES = tuple(AppraisalGrade)
APPRAISED_STATUSES = frozenset({MemberStatus.FULL, MemberStatus.PROBATIONARY})  # party members
MAX_SELF = 500  # a short self-assessment, a paragraph
MAX_NOTE = 100  # the committee's note on a result, one line
# Held yearly, usually at the year's end (DOMAIN.md): hints, not gates. A branch that has not
# opened the year's appraisal by 1 December hears it once; each member is nudged once about
# their self-assessment a week after it opens.
NOT_OPENED_CHECK = (12, 1)
SELF_NUDGE_AFTER_DAYS = 7


def is_not_opened_check_day(day: date) -> bool:
    """The day leaders hear that the year's appraisal is not opened yet."""
    return (day.month, day.day) == NOT_OPENED_CHECK


def self_nudge_day(opened_on: date) -> date:
    """The day members who have not written their self-assessment are nudged, once."""
    return opened_on + timedelta(days=SELF_NUDGE_AFTER_DAYS)


def opens_appraisal(actor: Actor) -> bool:
    """Whoever may use /appraisal at all: members (their own part) and admins."""
    return actor.is_admin or actor.is_member


def keeps_appraisal(actor: Actor) -> bool:
    """Whoever sees a branch's appraisal board: admins, branch leaders, committee members."""
    return actor.is_admin or actor.leads_a_branch or (
        actor.is_member and actor.role in COMMITTEE_ROLES)


def can_see_board(actor: Actor, org_id: int) -> bool:
    """A branch's board, with the peer-grade counts: its committee and the leaders above."""
    return can_manage_org(actor, org_id) or (
        actor.is_member and actor.role in COMMITTEE_ROLES and actor.org_id == org_id)


def can_run(actor: Actor, org_id: int) -> bool:
    """Open, close, record results and the assembly's confirmation: the branch's secretary and
    deputy, and the leaders above."""
    return can_manage_org(actor, org_id)


def is_appraised(status: MemberStatus) -> bool:
    return status in APPRAISED_STATUSES


def tally(grades: Iterable[AppraisalGrade]) -> dict[AppraisalGrade, int]:
    """How many of each grade, every grade present (zero if none), best first."""
    counts = dict.fromkeys(GRADES, 0)
    for grade in grades:
        counts[grade] += 1
    return counts


def check_assessment(text: str | None) -> str | Invalid:
    """A self-assessment as stored: a few lines, at most MAX_SELF characters."""
    return clean_text(text, max_length=MAX_SELF, multiline=True)


def check_note(text: str | None) -> str | Invalid:
    return clean_text(text, max_length=MAX_NOTE)
