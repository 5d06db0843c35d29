"""Logging one training for many members of a branch: the one service the chat's flow
(🏢 Branch training › 👥 Log for members) and the Mini App form both call. It checks again that
the actor leads the branch and that each one chosen is an active member of it, the rules,
stores the batch (verified at once if asked), and says what to tell: the leader's summary and
each member's note."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from handlers.access.training import RecordInfo, record_info
from handlers.kit.actions import Checker
from handlers.kit.chat import STALE_BUTTON, Outgoing
from handlers.kit.context import BranchSettings
from handlers.kit.i18n import N_, Html, Translator, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard
from handlers.training import views
from handlers.training.own_record import InvalidTraining
from rules import training as rules
from rules.training import TrainingDraft
from rules.tree import MEMBER_KINDS
from rules.vocabulary import MembershipState, TrainingState
from storage import orgs as org_store
from storage import people
from storage import training as store
from storage.models import Membership, PartyOrganization

logger = logging.getLogger(__name__)
NOT_IN_BRANCH = N_("Someone chosen is not an active member of {org}, so nothing was logged. "
                   "Please open the form again from the chat.")


@dataclass(frozen=True)
class ManyLogged:
    """A batch, stored: the leader's summary (in their language) and the members' notes."""

    text: Html
    messages: list[Outgoing]


async def branch_to_log(act: Checker, org_id: int) -> PartyOrganization:
    """A branch whose members the actor may log one training for (its leaders or above)."""
    act.check(rules.can_log_for_others(act.actor, org_id))
    org = await org_store.get_party_org(act.session, org_id)
    if org is None or org.kind not in MEMBER_KINDS:
        act.refuse(STALE_BUTTON)
    return org


async def branch_members(act: Checker, org_id: int) -> list[Membership]:
    """Whom one can log for: the branch's active members."""
    return await people.members_of(act.session, org_id, (MembershipState.ACTIVE,))


async def log_for_members(
    act: Checker, org_id: int, chosen: Sequence[int], training: TrainingDraft, *, verify: bool,
    t: Translator, settings: BranchSettings, today: date, now: datetime,
    evidence: Sequence[store.EvidenceFile] = (), strict: bool = True,
) -> ManyLogged:
    """One training for the chosen members (those who have it already are skipped). With
    `strict` anyone chosen who is not an active member refuses it all (a form's post may be
    forged); without it (the chat's picks were checked when ticked) one who left is dropped.
    Raises InvalidTraining, store.DuplicateTraining or store.TrainingError before writing."""
    actor, policy = act.actor, settings.training_policy
    org = await branch_to_log(act, org_id)
    persons = {m.person_id: m.person for m in await branch_members(act, org_id)}
    if strict:
        act.check(all(pid in persons for pid in chosen), NOT_IN_BRANCH, org=org.name)
    targets = [pid for pid in chosen if pid in persons]
    if not targets:
        act.refuse(views.ERROR_TEXTS["no_members"])
    problem = rules.validate_training(training, today=today, year=None)
    if problem is not None:
        raise InvalidTraining(problem)
    holders = await store.already_logged(act.session, targets, training.title,
                                         training.starts_on)
    if set(holders) >= set(targets):
        raise store.DuplicateTraining(holders)
    result = await store.log_for_many(
        act.session, targets, training, by=actor.telegram_id, today=today, now=now,
        verify=verify, skip_duplicates=True, evidence=list(evidence), policy=policy,
    )
    info = await record_info(act.session, result.records[0].id)
    assert info is not None
    leader = await people.person_by_telegram_id(act.session, actor.telegram_id)
    logger.info("user %s logged training batch %s for %d people",
                pseudonym(actor.telegram_id), result.batch_id, len(result.records))
    logged = [(persons[r.person_id].telegram_id, persons[r.person_id].language, r.state)
              for r in result.records]
    messages = told_many(actor.telegram_id, info, logged,
                         leader.real_name if leader and leader.real_name else "",
                         hours_per_day=policy.hours_per_day, today=today)
    verified = sum(1 for _tid, _lang, state in logged if state is TrainingState.VERIFIED)
    text = [
        t.plural("✅ Logged for {n} member of {org}.", "✅ Logged for {n} members of {org}.",
                 len(logged), org=org.name),
        t.plural("{n} record is verified.", "{n} records are verified.", verified),
    ]
    own = [state for tid, _lang, state in logged if tid == actor.telegram_id]
    if own and own[0] is TrainingState.PENDING and verified:
        text.append(t("Your own record waits for another leader or the level above."))
    if result.skipped:
        text.append(t.plural("{n} member already had it and was skipped.",
                             "{n} members already had it and were skipped.",
                             len(result.skipped)))
    text.append(t.plural("{n} person was told.", "{n} people were told.", len(messages)))
    return ManyLogged(html_join("\n", text), messages)


def told_many(
    by: int, info: RecordInfo, logged: list[tuple[int, str, TrainingState]], leader: str, *,
    hours_per_day: int, today: date,
) -> list[Outgoing]:
    """What each member logged for (but the leader, `by`) is told, in their language."""
    year = info.ends_on.year
    counted = year in rules.counting_years(today)
    messages: list[Outgoing] = []
    for telegram_id, language, state in logged:
        if telegram_id == by:
            continue
        t = translator(language)
        markup = (keyboard([[views.ShowYear(year).button(t(views.MY_TRAINING))]]) if counted
                  else None)
        heading = t("📚 <b>{leader} logged a training for you</b>",
                    leader=leader or t("Your branch"))
        messages.append((telegram_id, views.member_note(
            t, info, hours_per_day, heading, t("✅ Verified: it counts in your year.")
            if state is TrainingState.VERIFIED else t("⏳ Waiting for verification.")), markup))
    return messages
