"""Membership transfers (组织关系转接): /transfer lists a person's letters (a leader: those of
the organizations they run, to answer or withdraw); a secretary issues a letter from a member's
card (handlers/members/) or from the member's request; the receiving secretary accepts it or
returns it with a reason; everyone concerned is told at each step."""

from __future__ import annotations

from handlers.kit.actions import LEADERS, Action, Audience, Command
from handlers.kit.i18n import N_
from handlers.transfers import letters, views
from handlers.transfers.flows import ARRIVE, ASK, ISSUE, RETURN
from handlers.transfers.views import StartTransfer

__all__ = ["ACTIONS", "FLOWS", "StartTransfer"]

# Members see their own letters, leaders their organizations' (admins may hold no membership);
# someone transferred out still sees theirs (they hand it over).
CONCERNED = Audience("members, leaders and former members", lambda actor: (
    actor.is_member or actor.is_admin or actor.person_id is not None))

ACTIONS = (
    Action(Command("transfer", description=N_("Transfer letters")), CONCERNED,
           letters.show_letters),
    Action(views.ShowLetters, CONCERNED, letters.show_letters),
    Action(views.ShowLetter, CONCERNED, letters.show_letter),
    Action(views.LetterFile, CONCERNED, letters.send_file),
    Action(views.AcceptLetter, LEADERS, letters.ask_accept),
    Action(views.ConfirmAccept, LEADERS, letters.accept),
    Action(views.WithdrawLetter, LEADERS, letters.ask_withdraw),
    Action(views.ConfirmWithdraw, LEADERS, letters.withdraw),
)
FLOWS = (ISSUE, RETURN, ASK, ARRIVE)
