"""Leaders run their branch's membership: /members (lists, a member's record, status, role,
党小组; its transfer button opens handlers/transfers/) and /pending (registrations waiting for
a decision)."""

from __future__ import annotations

from handlers.kit.actions import LEADERS, Action, Command
from handlers.kit.i18n import N_
from handlers.members import records, views
from handlers.members.pending import list_pending
from handlers.members.views import MemberList

__all__ = ["ACTIONS", "MemberList"]

ACTIONS = (
    Action(Command("pending", label=N_("📥 Registrations"),
                   description=N_("Registrations waiting for approval")), LEADERS, list_pending),
    Action(Command("members", label=N_("👥 Members"), description=N_("Branch members")), LEADERS,
           records.members_menu),
    Action(views.MembersPage, LEADERS, records.PICKER.turn_page),
    Action(views.MemberList, LEADERS, records.show_list),
    Action(views.Transferred, LEADERS, records.show_list),
    Action(views.MemberCard, LEADERS, records.show_card),
    Action(views.StatusMenu, LEADERS, records.status_menu),
    Action(views.SetStatus, LEADERS, records.set_status),
    Action(views.ExcuseMenu, LEADERS, records.excuse_menu),
    Action(views.ExcuseFor, LEADERS, records.excuse_length),
    Action(views.SetExcuse, LEADERS, records.set_excuse),
    Action(views.EndExcuse, LEADERS, records.set_excuse),
    Action(views.ReportCase, LEADERS, records.report_case),
    Action(views.RoleMenu, LEADERS, records.role_menu),
    Action(views.SetRole, LEADERS, records.set_role),
    Action(views.GroupMenu, LEADERS, records.group_menu),
    Action(views.SetGroup, LEADERS, records.set_group),
)
