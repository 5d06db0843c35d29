"""The only way an action loads what a press points at: each access_* checks the actor may.

Like Zulip's access_* functions: an object comes back only if the actor may see (or act on) it;
otherwise the action stops with "not allowed" (logged), or "no longer valid" if it is gone.
One module per entity (orgs.py, attendance.py, ...); a feature imports from there.
"""

from __future__ import annotations

from typing import TypeVar

from handlers.kit.actions import Checker
from handlers.kit.chat import STALE_BUTTON

T = TypeVar("T")


def found(act: Checker, value: T | None, message: str = STALE_BUTTON, *,
          leaders: bool = False) -> T:
    """The loaded object, else `message` ("no longer valid"). With `leaders`, someone who leads
    nothing is told "not allowed" instead: whether the object is gone is none of theirs."""
    if value is None:
        if leaders:
            act.check(act.actor.is_admin or act.actor.leads_a_branch)
        act.refuse(message)
    return value
