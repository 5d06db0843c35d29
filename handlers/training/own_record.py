"""Logging one's own training: the one service the chat's flow and the Mini App form both
call. It checks again who may log (a member, for themselves), the year and the rules, stores
the record (pending), and says what to tell: the member's note and the leaders' cards."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from handlers.access.training import RecordInfo, record_info
from handlers.kit.actions import Checker
from handlers.kit.chat import Outgoing
from handlers.kit.context import BranchSettings
from handlers.kit.i18n import N_, Html, Translator, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.training import views
from rules import training as rules
from rules.training import TrainingDraft, TrainingProblem
from storage import training as store
from storage import training_overlap

logger = logging.getLogger(__name__)
NOBODY_TOLD = N_("Nobody could be told yet; please tell your secretary yourself.")


class InvalidTraining(Exception):
    """The rules refuse the training as entered; nothing was written."""

    def __init__(self, problem: TrainingProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class OwnLogged:
    """A member's record, stored: their note (in their language) and the leaders' cards."""

    info: RecordInfo
    note: Html
    messages: list[Outgoing]


async def log_own_training(
    act: Checker, person: int, year: int, training: TrainingDraft, *, t: Translator,
    settings: BranchSettings, today: date, now: datetime,
    evidence: Sequence[store.EvidenceFile] = (),
) -> OwnLogged:
    """A member's own record, pending until a leader of theirs verifies it. Raises
    InvalidTraining, store.DuplicateTraining or store.TrainingError before writing."""
    actor = act.actor
    act.check(actor.is_member and actor.person_id is not None and actor.person_id == person)
    problem = rules.validate_training(training, today=today, year=year)
    if problem is not None:
        raise InvalidTraining(problem)
    policy, tz = settings.training_policy, settings.tzinfo
    record = await store.log_training(
        act.session, person, training, by=actor.telegram_id, today=today, now=now,
        evidence=list(evidence), policy=policy,
    )
    info = await record_info(act.session, record.id)
    assert info is not None
    asked = await store.verifiers(act.session, info.org_id, actor.telegram_id, settings.admins)
    logger.info("user %s logged training record %s", pseudonym(actor.telegram_id), record.id)
    repeats = await training_overlap.attended_lesson(
        act.session, person, training.kind, training.starts_on, training.ends_on, tz=tz)
    hpd = policy.hours_per_day
    note = t("✅ Logged: {title}, {length}. It counts once a leader of your branch verifies it.",
             title=info.title, length=views.duration(t, info.minutes, hpd))
    if not asked:
        note += "\n" + t(NOBODY_TOLD)
    if repeats is not None:  # a 党课 attended in the bot counts already
        note += "\n" + t("ℹ️ You attended the party lesson «{topic}» on {date}; it already "
                         "counts from the attendance record, so this entry will not be counted "
                         "a second time.", topic=repeats.topic,
                         date=repeats.starts_at.astimezone(tz).date().isoformat())
    messages: list[Outgoing] = []
    for telegram_id, language in asked:  # each in their language
        t = translator(language)  # the note is done: from here on, each leader's language
        text = views.card_text(t, info, hpd, t("📚 <b>Training to verify</b>"))
        messages.append((telegram_id, text, views.card_keyboard(t, info, decide=True)))
    return OwnLogged(info, note, messages)
