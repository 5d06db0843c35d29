"""/orgs: admins build the organization tree by chat: party organizations and their 党小组,
social organizations and who covers them, terms (start and length) and appointments."""

from __future__ import annotations

from handlers.kit.actions import ADMINS, Action, Command
from handlers.kit.i18n import N_
from handlers.orgs import appoint, browse, views
from handlers.orgs.setup import ORG_SETUP, STEP_OVER

__all__ = ["ACTIONS", "FLOWS"]

ACTIONS = (
    Action(Command("orgs", label=N_("🏛 Organizations"),
                   description=N_("Organization tree (admins)")), ADMINS, browse.show_tree),
    Action(views.ShowTree, ADMINS, browse.show_tree),
    Action(views.ShowCard, ADMINS, browse.show_card),
    Action(views.ShowSocial, ADMINS, browse.show_social),
    Action(views.TermLength, ADMINS, browse.term_length),
    Action(views.SetTermLength, ADMINS, browse.set_term_length),
    Action(views.CoverList, ADMINS, browse.cover_list),
    Action(views.Cover, ADMINS, browse.cover),
    Action(views.ConfirmCover, ADMINS, browse.cover),
    Action(views.Appointees, ADMINS, appoint.list_appointees),
    Action(views.ChooseAppointee, ADMINS, appoint.choose_appointee),
    Action(views.Appoint, ADMINS, appoint.appoint),
    Action(views.ConfirmAppointment, ADMINS, appoint.appoint),
    *STEP_OVER,
)
FLOWS = (ORG_SETUP,)
