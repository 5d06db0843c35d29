"""Leaders run their branch's membership: /members (lists, a member's record, status, role,
党小组, transfer out) and /pending (registrations waiting for a decision)."""

from __future__ import annotations

from handlers.kit.actions import LEADERS, Action, Command
from handlers.kit.i18n import N_
from handlers.members import records
from handlers.members.pending import list_pending
from handlers.members.transfer import TRANSFER, old_confirmation
from handlers.members.views import (
    ConfirmTransfer,
    GroupMenu,
    MemberCard,
    MemberList,
    MembersPage,
    RoleMenu,
    SetGroup,
    SetRole,
    SetStatus,
    StatusMenu,
    Transferred,
)

__all__ = ["ACTIONS", "FLOWS", "MemberList"]

ACTIONS = (
    Action(Command("pending", label=N_("📥 Registrations"),
                   description=N_("Registrations waiting for approval")), LEADERS, list_pending),
    Action(Command("members", label=N_("👥 Members"), description=N_("Branch members")), LEADERS,
           records.members_menu),
    Action(MembersPage, LEADERS, records.turn_page),
    Action(MemberList, LEADERS, records.show_list),
    Action(Transferred, LEADERS, records.show_transferred),
    Action(MemberCard, LEADERS, records.show_card),
    Action(StatusMenu, LEADERS, records.status_menu),
    Action(SetStatus, LEADERS, records.set_status),
    Action(RoleMenu, LEADERS, records.role_menu),
    Action(SetRole, LEADERS, records.set_role),
    Action(GroupMenu, LEADERS, records.group_menu),
    Action(SetGroup, LEADERS, records.set_group),
    # The transfer's confirmation outside its flow (pressed twice, after Cancel).
    Action(ConfirmTransfer, LEADERS, old_confirmation),
)
FLOWS = (TRANSFER,)
