"""Logging the training entered: a member's own (their leaders are asked to verify it) or one
for many (verified at once if the leader says so); whoever it concerns is told."""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.access.training import RecordInfo, record_info
from handlers.kit.actions import Act, Reply
from handlers.kit.buttons import BadCallback
from handlers.kit.chat import STALE_BUTTON, ReplyMarkup, deliver, deliver_many, send
from handlers.kit.flows import GoBack
from handlers.kit.i18n import Html, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard
from handlers.training.hints import attended_lesson, overlap_note
from handlers.training.log_views import LogForm
from handlers.training.problems import FIXED_AT, problem_of
from handlers.training.views import (
    ERROR_TEXTS,
    MY_TRAINING,
    ShowYear,
    Submit,
    SubmitVerified,
    card_keyboard,
    duration,
    logged_for_you_text,
    verify_request_text,
)
from handlers.training.year import year_reply
from rules import training as rules
from rules.training import TrainingDraft
from rules.vocabulary import MembershipState, TrainingState
from storage import orgs as org_store
from storage import people
from storage import training as store

logger = logging.getLogger(__name__)


async def submit(act: Act, form: LogForm, press: Submit) -> Reply:
    """Log it (for many: to be verified later)."""
    return await save(act, form, verify=False)


async def submit_verified(act: Act, form: LogForm, press: SubmitVerified) -> Reply:
    """Log it for many, verified at once."""
    if not form.bulk:
        raise BadCallback(press.pack())
    return await save(act, form, verify=True)


async def save(act: Act, form: LogForm, *, verify: bool) -> Reply:
    today = act.today()
    training = form.training()
    if training is None:
        act.refuse(STALE_BUTTON)
    problem = rules.validate_training(training, today=today, year=form.year)
    if problem is not None:  # the day changed meanwhile: the step that fixes it is asked again
        said = problem_of(problem, today, start=form.start, end=form.end, year=form.year)
        step = FIXED_AT[problem]
        raise GoBack(step, said.message, resume=step == "amount", **said.values)
    try:
        if form.bulk:
            return await log_many(act, form, training, verify=verify)
        return await log_mine(act, form, training)
    except store.DuplicateTraining:
        return Reply(act.t(ERROR_TEXTS["duplicate"]))
    except store.TrainingError as error:
        act.refuse(ERROR_TEXTS.get(error.code, STALE_BUTTON))


async def verifiers(
    session: AsyncSession, org_id: int | None, owner: int, admins: Collection[int]
) -> list[tuple[int, str]]:
    """Who is asked to verify a member's record: the branch's leaders, else the level above,
    else the configured admins; never the member themselves."""
    found: list[tuple[int, str]] = []
    if org_id is not None:
        for candidate in [org_id, *(await org_store.ancestor_ids(session, org_id))[:1]]:
            found = [(person.telegram_id, person.language)
                     for person, _org in await people.leaders_of(session, candidate)
                     if person.telegram_id != owner]
            if found:
                return found
    languages = await people.languages_of(session, admins)
    return [(admin, languages.get(admin, "zh")) for admin in sorted(admins) if admin != owner]


async def log_mine(act: Act, form: LogForm, training: TrainingDraft) -> Reply:
    """A member's own record: pending until a leader of theirs verifies it."""
    assert form.person is not None and form.year is not None
    policy, tz, t = act.settings.training_policy, act.settings.tzinfo, act.t
    record = await store.log_training(
        act.session, form.person, training, by=act.actor.telegram_id, today=act.today(),
        now=act.now(), evidence=form.evidence(), policy=policy,
    )
    info = await record_info(act.session, record.id)
    assert info is not None
    asked = await verifiers(act.session, info.org_id, act.actor.telegram_id,
                            act.settings.admins)
    logger.info("user %s logged training record %s", pseudonym(act.actor.telegram_id), record.id)
    repeats = await attended_lesson(act.session, form.person, training, tz)
    hpd = policy.hours_per_day
    note = t("✅ Logged: {title}, {length}. It counts once a leader of your branch verifies it.",
             title=info.title, length=duration(t, info.minutes, hpd))
    if not asked:
        note += "\n" + t("Nobody could be told yet; please tell your secretary yourself.")
    if repeats is not None:
        note += "\n" + overlap_note(t, repeats, tz)
    context, update = act.context, act.update

    async def ask_to_verify() -> None:
        told = 0
        for telegram_id, language in asked:
            t = translator(language)
            told += await deliver(context, telegram_id, verify_request_text(t, info, hpd),
                                  reply_markup=card_keyboard(t, info, decide=True))
        if asked and not told:  # nobody could be reached after all
            await send(update, act.t("Nobody could be told yet; please tell your secretary "
                                     "yourself."))

    act.after(ask_to_verify)
    return await year_reply(act, form.year, note)


async def log_many(act: Act, form: LogForm, training: TrainingDraft, *, verify: bool) -> Reply:
    """One training for the chosen members (those who have it already are skipped)."""
    assert form.org is not None
    t, policy = act.t, act.settings.training_policy
    members = {m.person_id: m.person for m in await people.members_of(
        act.session, form.org, (MembershipState.ACTIVE,))}
    targets = [pid for pid in form.targets() if pid in members]
    if not targets:
        act.refuse(ERROR_TEXTS["no_members"])
    holders = await store.already_logged(act.session, targets, training.title,
                                         training.starts_on)
    if set(holders) >= set(targets):
        raise store.DuplicateTraining(holders)
    result = await store.log_for_many(
        act.session, targets, training, by=act.actor.telegram_id, today=act.today(),
        now=act.now(), verify=verify, skip_duplicates=True, evidence=form.evidence(),
        policy=policy,
    )
    info = await record_info(act.session, result.records[0].id)
    assert info is not None
    leader = await people.person_by_telegram_id(act.session, act.actor.telegram_id)
    logger.info("user %s logged training batch %s for %d people",
                pseudonym(act.actor.telegram_id), result.batch_id, len(result.records))
    logged = [(members[r.person_id].telegram_id, members[r.person_id].language, r.state)
              for r in result.records]
    messages = told_many(act, info, logged, leader.real_name if leader and leader.real_name
                         else "")
    context = act.context
    act.after(lambda: deliver_many(context, messages))
    verified = sum(1 for _tid, _lang, state in logged if state is TrainingState.VERIFIED)
    text = [
        t.plural("✅ Logged for {n} member of {org}.", "✅ Logged for {n} members of {org}.",
                 len(logged), org=form.org_name),
        t.plural("{n} record is verified.", "{n} records are verified.", verified),
    ]
    own = [state for tid, _lang, state in logged if tid == act.actor.telegram_id]
    if own and own[0] is TrainingState.PENDING and verified:
        text.append(t("Your own record waits for another leader or the level above."))
    if result.skipped:
        text.append(t.plural("{n} member already had it and was skipped.",
                             "{n} members already had it and were skipped.",
                             len(result.skipped)))
    text.append(t.plural("{n} person was told.", "{n} people were told.", len(messages)))
    return Reply(html_join("\n", text))


def told_many(
    act: Act, info: RecordInfo, logged: list[tuple[int, str, TrainingState]], leader: str
) -> list[tuple[int, Html, ReplyMarkup | None]]:
    """What each member logged for (but the leader) is told, in their language."""
    hpd = act.settings.training_policy.hours_per_day
    year = info.ends_on.year
    counted = year in rules.counting_years(act.today())
    messages: list[tuple[int, Html, ReplyMarkup | None]] = []
    for telegram_id, language, state in logged:
        if telegram_id == act.actor.telegram_id:
            continue
        t = translator(language)
        markup = keyboard([[ShowYear(year).button(t(MY_TRAINING))]]) if counted else None
        messages.append((telegram_id, logged_for_you_text(t, info, hpd, leader, state), markup))
    return messages
