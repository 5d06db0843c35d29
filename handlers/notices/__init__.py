"""Notices (issue 7): admins and secretaries broadcast formatted notices with photos or
documents to everyone below them, chosen organizations, roles or statuses, now or at a set
time, through the outbox; members confirm reading (已阅); authors follow delivery in one
message the bot keeps up to date, remind non-readers once, or withdraw a notice."""

from __future__ import annotations

from telegram.ext import Application

from handlers.access.notices import GONE, NOT_A_LEADER
from handlers.kit.actions import ANYONE, REGISTERED, Action, Command
from handlers.kit.i18n import N_
from handlers.notices import follow, views
from handlers.notices.compose import COMPOSE
from handlers.notices.follow import refresh_progress
from handlers.notices.views import CAPTION_TOO_LONG, EMPTY, ONLY_FILES, TOO_LONG

PROGRESS_JOB = "notice-progress"

FLOWS = (COMPOSE,)
ACTIONS = (
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("notices", label=N_("📬 Notices"), description=N_("Notices sent to me"),
                   shown_to=REGISTERED), ANYONE, follow.list_notices),
    Action(views.SendNow, ANYONE, follow.confirm),  # a second press after the flow ended
    Action(views.Discard, ANYONE, follow.discard),
    Action(views.MarkRead, ANYONE, follow.mark_read),
    Action(views.ReadInGroup, ANYONE, follow.mark_read_in_group),
    Action(views.OpenReceived, ANYONE, follow.open_received),
    Action(views.ShowProgress, ANYONE, follow.show_progress),
    Action(views.ShowNonReaders, ANYONE, follow.list_non_readers),
    Action(views.RemindNonReaders, ANYONE, follow.remind),
    Action(views.AskWithdraw, ANYONE, follow.ask_withdraw),
    Action(views.Withdraw, ANYONE, follow.withdraw),
)


def register(app: Application) -> None:
    """The progress job (the rest is declared above)."""
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            follow.progress_job, interval=follow.PROGRESS_EVERY, first=follow.PROGRESS_EVERY,
            name=PROGRESS_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


__all__ = ["ACTIONS", "CAPTION_TOO_LONG", "EMPTY", "FLOWS", "GONE", "NOT_A_LEADER", "ONLY_FILES",
           "TOO_LONG", "refresh_progress", "register"]
