"""Training hours (issue 5; DOMAIN.md "Training"): a member's year and logging with evidence,
a leader's verification queue, one training logged for many, who is behind the pro-rata
target, secretaries on track, the year's .xlsx, and the yearly requirement (admins).

Every press is checked again on the server; ids are never trusted. Evidence is never
downloaded: its size and type are checked as Telegram reports them, and the file is kept as
Telegram's file id. Party lessons attended in the bot are counted by storage from attendance;
members are told so, to avoid logging them twice.
"""

from __future__ import annotations

from handlers.kit.actions import ADMINS, ANYONE, LEADERS, REGISTERED, Action, Command
from handlers.kit.i18n import N_
from handlers.training import leaders, member, requirement, views
from handlers.training.log_flow import LOG
from handlers.training.member import FILES, evidence_of
from handlers.training.views import EVIDENCE_TEXTS, due_duration, duration
from handlers.training.workbook import WORKBOOK_TEXTS, build_workbook

ACTIONS = (
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("training", label=N_("📚 Training"), description=N_(
        "Training hours: my year, log a training; leaders: verify, export"), shown_to=REGISTERED),
           ANYONE, member.show_training),
    Action(Command("verify", description=N_("Training records waiting for verification")),
           LEADERS, leaders.show_queue),
    Action(Command("behind", description=N_("Who is below the pro-rata training target today")),
           LEADERS, leaders.show_behind),
    Action(views.ShowYear, ANYONE, member.show_year),
    Action(views.Withdraw, ANYONE, member.withdraw_record),
    Action(views.ChoosePanel, LEADERS, leaders.choose_panels),
    Action(views.ShowPanel, LEADERS, leaders.show_panel),
    Action(views.ShowQueue, LEADERS, leaders.show_queue),
    Action(views.ShowRecord, LEADERS, leaders.show_card),
    Action(views.VerifyRecord, LEADERS, leaders.verify_record),
    Action(views.SendEvidence, ANYONE, member.send_evidence),
    Action(views.ShowBehind, LEADERS, leaders.show_behind),
    Action(views.ShowOnTrack, LEADERS, leaders.show_on_track),
    Action(views.ExportYear, LEADERS, leaders.export_year),
    Action(views.ShowRequirement, ADMINS, requirement.show_requirement),
    Action(views.ClearRequirement, ADMINS, requirement.ask_clear),
    Action(views.ClearedRequirement, ADMINS, requirement.clear),
)
FLOWS = (LOG, leaders.DECIDE, FILES, requirement.REQUIREMENT)

__all__ = ["ACTIONS", "EVIDENCE_TEXTS", "FLOWS", "WORKBOOK_TEXTS",
           "build_workbook", "due_duration", "duration", "evidence_of"]
