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
from handlers.training import evidence, panel, requirement, verify, year
from handlers.training.evidence import EVIDENCE_TEXTS, FILES, evidence_of
from handlers.training.log_flow import LOG
from handlers.training.views import (
    ChoosePanel,
    ClearedRequirement,
    ClearRequirement,
    ExportYear,
    SendEvidence,
    ShowBehind,
    ShowOnTrack,
    ShowPanel,
    ShowQueue,
    ShowRecord,
    ShowRequirement,
    ShowYear,
    VerifyRecord,
    Withdraw,
    due_duration,
    duration,
    megabytes,
)
from handlers.training.workbook import WORKBOOK_TEXTS, build_workbook

_megabytes = megabytes  # the name /duties imports

ACTIONS = (
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("training", label=N_("📚 Training"), description=N_(
        "Training hours: my year, log a training; leaders: verify, export"), shown_to=REGISTERED),
           ANYONE, year.show_training),
    Action(Command("verify", description=N_("Training records waiting for verification")),
           LEADERS, verify.verify_command),
    Action(Command("behind", description=N_("Who is below the pro-rata training target today")),
           LEADERS, panel.behind_command),
    Action(ShowYear, ANYONE, year.show_year),
    Action(Withdraw, ANYONE, year.withdraw_record),
    Action(ChoosePanel, LEADERS, panel.choose_panels),
    Action(ShowPanel, LEADERS, panel.show_panel),
    Action(ShowQueue, LEADERS, verify.show_queue),
    Action(ShowRecord, LEADERS, verify.show_card),
    Action(VerifyRecord, LEADERS, verify.verify_record),
    Action(SendEvidence, ANYONE, evidence.send_evidence),
    Action(ShowBehind, LEADERS, panel.show_behind),
    Action(ShowOnTrack, LEADERS, panel.show_on_track),
    Action(ExportYear, LEADERS, panel.export_year),
    Action(ShowRequirement, ADMINS, requirement.show_requirement),
    Action(ClearRequirement, ADMINS, requirement.ask_clear),
    Action(ClearedRequirement, ADMINS, requirement.clear),
)
FLOWS = (LOG, verify.REJECT, verify.CORRECT, FILES, requirement.REQUIREMENT)

__all__ = ["ACTIONS", "EVIDENCE_TEXTS", "FLOWS", "WORKBOOK_TEXTS", "_megabytes",
           "build_workbook", "due_duration", "duration", "evidence_of", "megabytes"]
