"""The democratic appraisal of members (民主评议党员, issue 17): /appraisal. The branch's
secretary (deputy, a leader above) opens the year's appraisal (members are told), records each
member's result and the assembly's confirmation, and closes it (linking the year's 民主评议
meeting when held as one); the committee sees the board with the counts of peer grades. Members
write a short self-assessment, may grade each other (anonymous, optional) and see their own
result: never others' grades, the counts or a ranking."""

from __future__ import annotations

from handlers.appraisal import board, member, views
from handlers.appraisal.flows import APPRAISAL_USERS, ASSEMBLY, RESULT, SELF
from handlers.kit.actions import LEADERS, MEMBERS, Action, Command
from handlers.kit.i18n import N_

__all__ = ["ACTIONS", "FLOWS"]

ACTIONS = (
    Action(Command("appraisal", description=N_("Democratic appraisal of members")),
           APPRAISAL_USERS, member.open_appraisal),
    Action(views.AppraisalBranches, LEADERS, board.turn),
    Action(views.BranchAppraisal, APPRAISAL_USERS, board.show_board),
    Action(views.OpenAppraisal, LEADERS, board.ask_open),
    Action(views.OpenConfirmed, LEADERS, board.open_year),
    Action(views.CloseAppraisal, LEADERS, board.ask_close),
    Action(views.CloseConfirmed, LEADERS, board.close),
    Action(views.MyAppraisal, MEMBERS, member.show_mine),
    Action(views.PeerList, MEMBERS, member.peers),
    Action(views.PeerPick, MEMBERS, member.pick),
    Action(views.PeerGrade, MEMBERS, member.grade),
    Action(views.PeerWithdraw, MEMBERS, member.withdraw),
)
FLOWS = (RESULT, ASSEMBLY, SELF)
