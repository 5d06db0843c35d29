"""What a handler (or a reminder job) may reach of the running bot, as narrow typed interfaces.

The bot layer (bot/application.py, bot/config.py) implements them; the chat layer and the
reminders read them here, so neither imports the wiring that imports them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from telegram.ext import CallbackContext, ExtBot, JobQueue

from rules.dues import DuesStandard
from rules.training import TrainingPolicy
from storage.checkin_queue import CheckinQueue
from storage.db import Database
from storage.files import FileStore
from storage.outbox import Outcome


class BranchSettings(Protocol):
    """The settings the chat and the reminders read (bot/config.py's Settings has them all)."""

    admins: frozenset[int]
    timezone: str
    default_language: str
    invite_valid_days: int
    transfer_valid_days: int
    transfer_valid_days_outside: int
    paid_broadcast: bool
    inquorate_committee_counts: bool
    checkin_radius_m: float
    flood_burst: int
    flood_rate_per_second: float
    plan_reminders: bool

    @property
    def tzinfo(self) -> ZoneInfo: ...
    @property
    def requirements(self) -> Mapping[Any, Any]: ...
    @property
    def training_policy(self) -> TrainingPolicy: ...
    @property
    def dues_rules(self) -> DuesStandard: ...
    @property
    def dashboard_url(self) -> str: ...
    @property
    def forms_url(self) -> str | None: ...


class BranchServices(Protocol):
    """The running bot as its handlers see it (bot/application.py's BranchApplication)."""

    database: Database
    checkin_queue: CheckinQueue
    file_store: FileStore  # the kept copies of files handed in (issue 19)

    @property
    def settings(self) -> BranchSettings: ...
    @property
    def bot(self) -> ExtBot[None]: ...
    @property
    def job_queue(self) -> JobQueue[Any] | None: ...

    def now(self) -> datetime:
        """The one clock of handlers, reminders and the web (tests set it)."""

    def wake_courier(self, at: datetime | None) -> None:
        """Make sure the outbox is looked at by `at` (now if it is past)."""

    async def deliver_now(self, keys: Sequence[str]) -> dict[str, Outcome]:
        """Send these recorded outbox rows at once, in the caller's (reply) lane; what became
        of each: SENT arrived, RETRY left to the courier's passes, FAILED never will."""

    def count_throttled(self) -> None: ...


class BranchContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with typed access to our application's services."""

    @property
    def branch_app(self) -> BranchServices:
        return self.application  # type: ignore[return-value]

    @property
    def db(self) -> Database:
        return self.branch_app.database

    @property
    def settings(self) -> BranchSettings:
        return self.branch_app.settings

    def now(self) -> datetime:
        return self.branch_app.now()
