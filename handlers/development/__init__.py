"""Member development (发展党员): /development shows a leader their branch's pipeline (who is at
which stage, what the branch owes by when) and each person's card, where the next stage and the
talk, reviews, notice and approvals are recorded; an applicant, activist or probationary member
sees their own stage and what comes next (rules/development.py has the time rules)."""

from __future__ import annotations

from handlers.development import pages, views
from handlers.development.flows import EVENT, STEP
from handlers.kit.actions import LEADERS, Action, Audience, Command
from handlers.kit.i18n import N_

__all__ = ["ACTIONS", "FLOWS"]

# Leaders see their branches', anyone else their own (an applicant may hold no membership yet).
KNOWN = Audience("people the bot knows", lambda actor: (
    actor.is_member or actor.is_admin or actor.person_id is not None))

ACTIONS = (
    Action(Command("development", description=N_("Member development")), KNOWN,
           pages.open_development),
    Action(views.DevBranches, LEADERS, pages.turn),
    Action(views.DevBranch, LEADERS, pages.show_branch),
    Action(views.DevPerson, LEADERS, pages.show_person),
)
FLOWS = (STEP, EVENT)
