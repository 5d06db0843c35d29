"""Party dues (党费): /dues shows a member their standard, this year's months and what they
owe (they report a payment for the secretary to confirm, and state their base); a secretary
sees the branch's dues, confirms or returns reported payments, records payments and exports the
ledger; an admin sees arrears across the tree and the totals per branch and month."""

from __future__ import annotations

from handlers.dues import branch, member, views
from handlers.dues.many import RECORD_MANY
from handlers.dues.member import BASE, REPORT
from handlers.dues.record import RECORD
from handlers.dues.standing import AHEAD, SET_BASE
from handlers.kit.actions import ADMINS, LEADERS, MEMBERS, Action, Audience, Command
from handlers.kit.i18n import N_

__all__ = ["ACTIONS", "FLOWS"]

# Members see their own dues, leaders their branches', admins the tree (they may hold no
# membership).
DUES_USERS = Audience("members and admins", lambda actor: actor.is_member or actor.is_admin)

ACTIONS = (
    Action(Command("dues", description=N_("Party dues")), DUES_USERS, branch.open_dues),
    Action(views.MyDues, MEMBERS, member.show_mine),
    Action(views.DuesBranches, LEADERS, branch.turn),
    Action(views.BranchDues, LEADERS, branch.show_branch),
    Action(views.DecideReported, LEADERS, branch.decide),
    Action(views.ConfirmBase, LEADERS, branch.confirm_base),
    Action(views.DuesLedger, LEADERS, branch.send_ledger),
    Action(views.AdminDues, ADMINS, branch.show_admin),
)
FLOWS = (REPORT, BASE, RECORD, RECORD_MANY, AHEAD, SET_BASE)
