"""One-to-one talks (谈心谈话) as data: who owes them, with whom, how often, who records them,
what a topic may be and when the secretary is reminded. No Telegram, no database.

A talk is recorded by date, with whom, by whom and its topic in a few words: no minutes of what
was said. The "not talked with yet" list is a hint for the secretary, not a gate.
"""

from __future__ import annotations

from datetime import date

from rules.permissions import COMMITTEE_ROLES, Actor, can_manage_org
from rules.vocabulary import MemberRole, MemberStatus

# DOMAIN.md "Appraisal and talks" (common practice under the 2018 支部工作条例): the secretary
# talks with each committee member and each member at least once a year.
TALKS_PER_YEAR = 1
OWED_BY = MemberRole.SECRETARY
OWED_TO_ROLES = frozenset(set(MemberRole) - {OWED_BY})
OWED_TO_STATUSES = frozenset({MemberStatus.FULL, MemberStatus.PROBATIONARY})  # party members
# Who records talks (theirs or the secretary's): the branch committee.
RECORDER_ROLES = COMMITTEE_ROLES
MAX_TOPIC = 100  # the topic in a few words, one line
# A talk is recorded when it is fresh: from the start of last year (a December talk in January).
YEARS_BACK = 1
# One reminder a quarter to the secretary: the 15th of the quarter's middle month, mid-quarter
# so there is time left to talk.
REMIND_MONTH_OF_QUARTER = 2
REMIND_DAY = 15


def keeps_talks(actor: Actor) -> bool:
    """Whoever may open /talks at all: admins, branch leaders, committee members."""
    return actor.is_admin or actor.leads_a_branch or (
        actor.is_member and actor.role in RECORDER_ROLES)


def can_keep_talks(actor: Actor, org_id: int) -> bool:
    """A branch's talks: its secretary, deputy and committee members, and the leaders above."""
    return can_manage_org(actor, org_id) or (
        actor.is_member and actor.role in RECORDER_ROLES and actor.org_id == org_id)


def can_record_talk(actor: Actor, org_id: int) -> bool:
    """Recording one needs a person behind it (by whom): an admin who never registered only
    reads."""
    return actor.person_id is not None and can_keep_talks(actor, org_id)


def is_owed(role: MemberRole, status: MemberStatus) -> bool:
    """Whether the yearly rule asks for a talk with a member of this role and status."""
    return role in OWED_TO_ROLES and status in OWED_TO_STATUSES


def earliest_day(today: date) -> date:
    """The earliest day a talk may be recorded for."""
    return date(today.year - YEARS_BACK, 1, 1)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def is_reminder_day(day: date) -> bool:
    """The quarter's reminder day (local)."""
    return (day.day == REMIND_DAY
            and (day.month - 1) % 3 + 1 == REMIND_MONTH_OF_QUARTER)


def quarter_label(day: date) -> str:
    """"2030-Q1": a reminder's occurrence, one per branch and quarter."""
    return f"{day.year}-Q{quarter_of(day)}"
