"""Notices (issue 7): admins and secretaries broadcast formatted notices with photos or
documents to everyone below them, chosen organizations, roles or statuses, now or at a set
time, through the outbox; members confirm reading (已阅); authors follow delivery in one
message the bot keeps up to date, remind non-readers once, or withdraw a notice."""

from __future__ import annotations

from telegram.ext import Application

from handlers.access.notices import GONE, NOT_A_LEADER
from handlers.kit.actions import ANYONE, REGISTERED, Action, Command
from handlers.kit.i18n import N_
from handlers.notices.compose import COMPOSE
from handlers.notices.follow import (
    PROGRESS_EVERY,
    ask_withdraw,
    discard,
    list_non_readers,
    list_notices,
    mark_read,
    open_received,
    progress_job,
    refresh_progress,
    remind,
    send_now,
    show_progress,
    withdraw,
)
from handlers.notices.views import (
    CAPTION_TOO_LONG,
    EMPTY,
    ONLY_FILES,
    TOO_LONG,
    AskWithdraw,
    Discard,
    MarkRead,
    OpenReceived,
    RemindNonReaders,
    SendNow,
    ShowNonReaders,
    ShowProgress,
    Withdraw,
)

PROGRESS_JOB = "notice-progress"

FLOWS = (COMPOSE,)
ACTIONS = (
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("notices", label=N_("📬 Notices"), description=N_("Notices sent to me"),
                   shown_to=REGISTERED), ANYONE, list_notices),
    Action(SendNow, ANYONE, send_now),  # a second press after the flow ended
    Action(Discard, ANYONE, discard),
    Action(MarkRead, ANYONE, mark_read),
    Action(OpenReceived, ANYONE, open_received),
    Action(ShowProgress, ANYONE, show_progress),
    Action(ShowNonReaders, ANYONE, list_non_readers),
    Action(RemindNonReaders, ANYONE, remind),
    Action(AskWithdraw, ANYONE, ask_withdraw),
    Action(Withdraw, ANYONE, withdraw),
)


def register(app: Application) -> None:
    """The progress job (the rest is declared above)."""
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            progress_job, interval=PROGRESS_EVERY, first=PROGRESS_EVERY, name=PROGRESS_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


__all__ = ["ACTIONS", "CAPTION_TOO_LONG", "EMPTY", "FLOWS", "GONE", "NOT_A_LEADER", "ONLY_FILES",
           "TOO_LONG", "refresh_progress", "register"]
