"""One-to-one talks (谈心谈话): /talks shows a branch's leaders (secretary, deputy, committee
members, and the leaders above) this year's talks and who is not talked with yet; the
secretary or a committee member records a talk they held (date, with whom, topic in a few
words: no minutes). Members are not told and cannot open it; a quarterly reminder to the
secretary is planned in reminders/planner/talks.py."""

from __future__ import annotations

from handlers.kit.actions import Action, Command
from handlers.kit.i18n import N_
from handlers.talks import branch, views
from handlers.talks.record import RECORD, TALK_KEEPERS

__all__ = ["ACTIONS", "FLOWS"]

ACTIONS = (
    Action(Command("talks", description=N_("One-to-one talks")), TALK_KEEPERS,
           branch.open_talks),
    Action(views.TalksBranches, TALK_KEEPERS, branch.turn),
    Action(views.BranchTalks, TALK_KEEPERS, branch.show_branch),
)
FLOWS = (RECORD,)
