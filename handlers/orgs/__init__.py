"""/orgs: admins build the organization tree by chat: party organizations and their 党小组,
social organizations and who covers them, terms (start and length) and appointments."""

from __future__ import annotations

from handlers.kit.actions import ADMINS, Action, Command
from handlers.kit.i18n import N_
from handlers.orgs import appoint, browse
from handlers.orgs.setup import ORG_SETUP, STEP_OVER
from handlers.orgs.views import (
    Appoint,
    Appointees,
    ChooseAppointee,
    ConfirmAppointment,
    ConfirmCover,
    Cover,
    CoverList,
    SetTermLength,
    ShowCard,
    ShowSocial,
    ShowTree,
    TermLength,
)

__all__ = ["ACTIONS", "FLOWS"]

ACTIONS = (
    Action(Command("orgs", label=N_("🏛 Organizations"),
                   description=N_("Organization tree (admins)")), ADMINS, browse.tree_command),
    Action(ShowTree, ADMINS, browse.show_tree),
    Action(ShowCard, ADMINS, browse.show_card),
    Action(ShowSocial, ADMINS, browse.show_social),
    Action(TermLength, ADMINS, browse.term_length),
    Action(SetTermLength, ADMINS, browse.set_term_length),
    Action(CoverList, ADMINS, browse.cover_list),
    Action(Cover, ADMINS, browse.cover),
    Action(ConfirmCover, ADMINS, browse.confirm_cover),
    Action(Appointees, ADMINS, appoint.list_appointees),
    Action(ChooseAppointee, ADMINS, appoint.choose_appointee),
    Action(Appoint, ADMINS, appoint.appoint),
    Action(ConfirmAppointment, ADMINS, appoint.confirm_appointment),
    *STEP_OVER,
)
FLOWS = (ORG_SETUP,)
