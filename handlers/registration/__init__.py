"""Registration: /start (or an invite link) guides a member in; the branch's leaders (or
the admins) approve or reject, with a reason the applicant sees."""

from __future__ import annotations

from handlers.kit.actions import LEADERS, Action
from handlers.registration import decisions, views
from handlers.registration.joining import REGISTRATION
from handlers.registration.views import approval_keyboard, approval_text

FLOWS = (REGISTRATION, decisions.REJECTION)
# Outside the rejection flow too: a second leader, or a press after /cancel.
ACTIONS = (
    Action(views.Approve, LEADERS, decisions.decide_press),
    Action(views.RejectWithoutReason, LEADERS, decisions.decide_press),
    Action(views.BackToDecision, LEADERS, decisions.back_to_decision),
)

__all__ = ["ACTIONS", "FLOWS", "approval_keyboard", "approval_text"]
