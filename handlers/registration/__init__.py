"""Registration: /start (or an invite link) guides a member in; the branch's leaders (or
the admins) approve or reject, with a reason the applicant sees."""

from __future__ import annotations

from handlers.kit.actions import LEADERS, Action
from handlers.registration.decisions import (
    REJECTION,
    approve,
    back_to_decision,
    reject_without_reason,
)
from handlers.registration.joining import REGISTRATION
from handlers.registration.views import (
    Approve,
    BackToDecision,
    RejectWithoutReason,
    approval_keyboard,
    approval_text,
)

FLOWS = (REGISTRATION, REJECTION)
# Outside the rejection flow too: a second leader, or a press after /cancel.
ACTIONS = (
    Action(Approve, LEADERS, approve),
    Action(RejectWithoutReason, LEADERS, reject_without_reason),
    Action(BackToDecision, LEADERS, back_to_decision),
)

__all__ = ["ACTIONS", "FLOWS", "approval_keyboard", "approval_text"]
