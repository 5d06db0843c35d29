"""Member development (发展党员): /development shows a leader their branch's pipeline (who is at
which stage, what the branch owes by when) and each person's card, where the next stage and the
talk, reviews, notice and approvals are recorded; an applicant, activist or probationary member
sees their own stage and what comes next (rules/development.py has the time rules)."""

from __future__ import annotations

from handlers.development import pages, views
from handlers.development.contacts import CONTACTS
from handlers.development.days import CORRECT
from handlers.development.flows import EVENT, STEP
from handlers.development.pages import KNOWN
from handlers.development.probation import EXTEND, WITHDRAW
from handlers.development.reports import REPORT, open_report, show_reports
from handlers.kit.actions import LEADERS, Action, Command
from handlers.kit.i18n import N_

__all__ = ["ACTIONS", "FLOWS"]


ACTIONS = (
    Action(Command("development", description=N_("Member development")), KNOWN,
           pages.open_development),
    Action(views.DevBranches, LEADERS, pages.turn),
    Action(views.DevBranch, LEADERS, pages.show_branch),
    Action(views.DevPerson, LEADERS, pages.show_person),
    Action(views.Guided, KNOWN, pages.show_person),
    Action(views.ThoughtReports, KNOWN, show_reports),
    Action(views.OpenReport, KNOWN, open_report),
)
FLOWS = (STEP, EVENT, CONTACTS, REPORT, EXTEND, WITHDRAW, CORRECT)
