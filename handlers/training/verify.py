"""Leaders decide on their members' training: the records waiting for verification, one
record's card, verify, reject with a typed reason, correct the length (audited); the member
is told each time. Nobody decides on their own record."""

from __future__ import annotations

import logging
from typing import Any

from handlers.access.training import (
    OWN_RECORD,
    access_decided_record,
    access_record,
    access_training_scope,
    can_decide,
    record_info,
)
from handlers.kit.actions import LEADERS, Act, CommandArgs, Reply
from handlers.kit.buttons import OrgId, TrainingId
from handlers.kit.chat import STALE_BUTTON, deliver
from handlers.kit.flows import Entry, Flow, Form, Problem, Text
from handlers.kit.i18n import BLANK, Html, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import keyboard, paged_rows
from handlers.training.log_views import problem_of
from handlers.training.panel import QUEUE_LIMIT, back_to_panel
from handlers.training.views import (
    ERROR_TEXTS,
    TYPE_A_NUMBER,
    CorrectLength,
    RejectRecord,
    Rows,
    ShowQueue,
    ShowRecord,
    VerifyRecord,
    card_keyboard,
    card_text,
    corrected_text,
    decided_text,
    duration,
    hours_figure,
    non_empty,
    short,
)
from rules import training as rules
from rules.training import DurationUnit, TrainingDraft, TrainingProblem
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import TrainingState
from storage import training as store

logger = logging.getLogger(__name__)


async def show_queue(act: Act, press: ShowQueue) -> Reply:
    """Records waiting for verification in the scope, oldest first."""
    t, hpd, scope = act.t, act.settings.training_policy.hours_per_day, press.scope
    org_ids = await access_training_scope(act, scope)
    waiting = await store.pending_records(act.session, org_ids, limit=QUEUE_LIMIT)
    items = [ShowRecord(TrainingId(line.record.id)).button(
        f"{line.name} · {short(line.record.title)} · {hours_figure(line.record.minutes)} h")
        for line in waiting]
    text = [t("✅ <b>Training waiting for verification</b>: {n} (oldest first)",
              n=len(waiting))]
    if len(waiting) >= QUEUE_LIMIT:
        text.append(t("Only the oldest {n} are listed; verify them to see more.",
                      n=QUEUE_LIMIT))
    if not waiting:
        text.append(t("Nothing is waiting for verification."))
    for line in waiting[:3]:
        text.append("· " + t("{name}: {title}, {length}", name=line.name,
                             title=line.record.title,
                             length=duration(t, line.record.minutes, hpd)))
    rows = paged_rows(t, items, press.page, lambda number: ShowQueue(scope, number),
                      back_to_panel(t, scope))
    return Reply(html_join("\n", text), non_empty(keyboard(rows)))


async def verify_command(act: Act, _args: CommandArgs) -> Reply:
    """/verify: everything the leader may verify."""
    return await show_queue(act, ShowQueue(OrgId(0), 0))


async def card(act: Act, record_id: TrainingId, note: Html = BLANK, *, new: bool = False
               ) -> Reply:
    """One record for its member's leaders, with what they may do about it."""
    t = act.t
    info = await access_record(act, record_id)
    text = card_text(t, info, act.settings.training_policy.hours_per_day)
    decide = can_decide(act.actor, info)
    if not decide and info.person_id == act.actor.person_id:
        text += "\n" + t(OWN_RECORD)
    if note:
        text = note + "\n\n" + text
    return Reply(text, card_keyboard(t, info, decide=decide, back=info.org_id), new=new)


async def show_card(act: Act, press: ShowRecord) -> Reply:
    return await card(act, press.record)


async def back_to_card(act: Act, form: Form, press: ShowRecord) -> Reply:
    """‹ Back while a reason or a length is asked: the card, and nothing is typed."""
    return await card(act, press.record)


async def verify_record(act: Act, press: VerifyRecord) -> Reply:
    """Verified once; the member is told."""
    info = await access_decided_record(act, press.record)
    if not await store.decide(act.session, press.record, approve=True,
                              by=act.actor.telegram_id, now=act.now()):
        return await card(act, press.record, act.t("This record was already decided or "
                                                   "withdrawn."))
    logger.info("user %s verified training record %s", pseudonym(act.actor.telegram_id),
                press.record)
    await tell_member(act, info.telegram_id, info.language, press.record)
    return await card(act, press.record, act.t("✅ Verified."))


async def tell_member(act: Act, telegram_id: int, language: str, record_id: TrainingId,
                      *, reason: str | None = None, before: int | None = None) -> None:
    """The member hears of a decision on their record (after the reply)."""
    fresh = await record_info(act.session, record_id)
    assert fresh is not None
    t, hpd, context = translator(language), act.settings.training_policy.hours_per_day, act.context
    text = (corrected_text(t, fresh, before, hpd) if before is not None
            else decided_text(t, fresh, hpd, reason))
    act.after(lambda: deliver(context, telegram_id, text))


class DecisionForm(Form):
    """The record a reason or a length is typed for."""

    record: TrainingId


async def start_reject(act: Act, press: RejectRecord) -> DecisionForm:
    info = await access_decided_record(act, press.record)
    if info.state is not TrainingState.PENDING:
        act.refuse(ERROR_TEXTS["not_pending"])
    return DecisionForm(record=press.record)


async def ask_reason(act: Act, form: DecisionForm) -> Html:
    info = await access_decided_record(act, form.record)
    return act.t("Why is {title} of {name} not accepted? Type the reason; {name} will see it "
                 "and can log it again corrected.", title=info.title, name=info.name)


async def back_button(act: Act, form: DecisionForm) -> Rows:
    return [[ShowRecord(form.record).button(act.t("‹ Back"))]]


async def read_reason(act: Act, form: DecisionForm, text: str) -> Invalid | Reply:
    """The reason: rejected once, and the member told."""
    reason = clean_text(text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        return reason
    info = await access_decided_record(act, form.record)
    if not await store.decide(act.session, form.record, approve=False,
                              by=act.actor.telegram_id, now=act.now(), reason=reason):
        return await card(act, form.record, act.t("This record was already decided or "
                                                  "withdrawn."), new=True)
    logger.info("user %s rejected training record %s", pseudonym(act.actor.telegram_id),
                form.record)
    await tell_member(act, info.telegram_id, info.language, form.record, reason=reason)
    return await card(act, form.record, act.t("❌ Not accepted; {name} was told.",
                                              name=info.name), new=True)


async def start_correction(act: Act, press: CorrectLength) -> DecisionForm:
    info = await access_decided_record(act, press.record)
    if info.state not in (TrainingState.PENDING, TrainingState.VERIFIED):
        act.refuse(ERROR_TEXTS["not_editable"])
    return DecisionForm(record=press.record)


async def ask_length(act: Act, form: DecisionForm) -> Html:
    info = await access_decided_record(act, form.record)
    return act.t("How long was {title} of {name}? Now {length}. Type the hours, for example 4 "
                 "or 1.5, or days like 2 days.", title=info.title, name=info.name,
                 length=duration(act.t, info.minutes, act.settings.training_policy.hours_per_day))


async def read_length(act: Act, form: DecisionForm, text: str) -> Any:
    """The length: the record is corrected (audited) and its member told."""
    t, hpd, today = act.t, act.settings.training_policy.hours_per_day, act.today()
    minutes = rules.parse_length(text, DurationUnit.HOURS, hpd)
    if minutes is None:
        return Problem(TYPE_A_NUMBER)
    info = await access_decided_record(act, form.record)
    problem = minutes if isinstance(minutes, TrainingProblem) else None
    if problem is None:
        try:
            await store.edit_training(
                act.session, form.record,
                TrainingDraft(title=info.title, kind=info.kind, starts_on=info.starts_on,
                              ends_on=info.ends_on, minutes=int(minutes),
                              organizer=info.organizer),
                by=act.actor.telegram_id, today=today, reason="length corrected by a leader",
            )
        except store.TrainingError as error:
            if error.code not in set(TrainingProblem):
                act.refuse(ERROR_TEXTS.get(error.code, STALE_BUTTON))
            problem = TrainingProblem(error.code)
    if problem is not None:
        return problem_of(problem, today, start=info.starts_on, end=info.ends_on)
    logger.info("user %s corrected training record %s", pseudonym(act.actor.telegram_id),
                form.record)
    await tell_member(act, info.telegram_id, info.language, form.record, before=info.minutes)
    fresh = await record_info(act.session, form.record)
    assert fresh is not None
    return await card(act, form.record, t("✏️ Corrected: {before} → {after}.",
                                          before=duration(t, info.minutes, hpd),
                                          after=duration(t, fresh.minutes, hpd)), new=True)


def decided(act: Act, form: DecisionForm) -> Any:
    return access_decided_record(act, form.record)


REJECT = Flow(
    name="training_reject", prefix="tr", form=DecisionForm, back=False, guard=decided,
    entry=Entry(RejectRecord, LEADERS, start_reject),
    steps=(Text(key="reason", ask=ask_reason, read=read_reason, buttons=back_button,
                presses=((ShowRecord, back_to_card),)),),
)
CORRECT = Flow(
    name="training_length", prefix="tr", form=DecisionForm, back=False, guard=decided,
    entry=Entry(CorrectLength, LEADERS, start_correction),
    steps=(Text(key="hours", ask=ask_length, read=read_length, buttons=back_button,
                presses=((ShowRecord, back_to_card),)),),
)
