"""Training hours (issue 5; DOMAIN.md "Training"): a member's year and logging with evidence,
a leader's verification queue, one training logged for many, who is behind the pro-rata
target, secretaries on track, and the year's .xlsx.

Callback data (every press is checked again on the server; ids are never trusted):

====================================  ==========================================================
tr:y:<year>                           my training year (this year or last year only)
tr:log:<year>                         log a training of mine counted in <year> ("training")
tr:wd:<record>                        withdraw a pending record of my own
tr:bpick:<page>                       the organizations whose training a leader can see
tr:br:<org>                           an organization's training panel (leaders)
tr:bulk:<org>                         log one training for many members of <org>
tr:pk:<person> / tr:pp:<page>         pick a member / another page            (state L_PICK)
tr:pa / tr:pn / tr:pd                 pick all / none / done picking           (state L_PICK)
tr:k:<kind>                           the kind of training                     (state L_KIND)
tr:skip                               no organizer                             (L_ORGANIZER)
tr:day:<0|1>                          today / yesterday as the first day       (state L_START)
tr:rt                                 type the title again                     (state L_START)
tr:same                               it ended the day it started              (state L_END)
tr:span / tr:unit:<h|d>               the whole span in days / type hours or days (L_AMOUNT)
tr:evd                                no (more) evidence                       (L_EVIDENCE)
tr:go / tr:gov                        log / log and verify at once (for many)  (L_CONFIRM)
tr:q:<scope>:<page>                   records waiting for verification
tr:rc:<record>                        one record, for its member's leaders
tr:ok:<record>                        verify
tr:no:<record>                        reject: the reason is typed ("training")
tr:fx:<record>                        correct the length: typed ("training")
tr:ev:<record>                        send the record's evidence (its member or their leaders)
tr:bh:<scope>:<page>                  who is below the pro-rata target today
tr:ov:<org>:<year>                    secretaries on track, per organization below <org>
tr:x:<org>:<year>                     the year's training record as .xlsx
tr:ea:<record>                        add evidence to my own pending record   ("training")
tr:ead                                no more evidence                          (E_FILE)
tr:rq:<org>                           the yearly requirement of <org> (admins)
tr:rs:<org>:<group>                   set it for a group: hours typed         ("training")
tr:rok                                confirm the typed requirement             (R_CONFIRM)
tr:rx:<org>:<group> / tr:rxy:...      clear an override / confirm clearing (admins)
====================================  ==========================================================

A <scope> is an organization (with everything below it) or 0 for all the actor leads.
Evidence is never downloaded: its size and type are checked as Telegram reports them, and
the file is kept as Telegram's file id. Party lessons attended in the bot are counted by
storage from attendance; members are told so, to avoid logging them twice.
"""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.kit.chat import (
    NOT_ALLOWED,
    STALE_BUTTON,
    Refused,
    answer,
    current_actor,
    deliver,
    deliver_many,
    draft_id,
    reply_chat,
    require,
    send,
    show,
    tr,
)
from handlers.kit.context import BranchContext
from handlers.kit.date_step import DateStep
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    escape,
    html_format,
    html_join,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import BadCallback, button, cb_args, cb_pattern, keyboard, paged, person_name
from handlers.labels import (
    LIST_SEPARATOR,
    ROLE_LABELS,
    TRAINING_GROUP_LABELS,
    TRAINING_STATE_LABELS,
    training_group_labels,
    training_kind_label,
    training_kind_labels,
)
from handlers.ledger import fit
from handlers.meetings import drop_buttons, step_fallbacks
from handlers.members import OrgPicker, leader_actor, managed_orgs, open_picker
from handlers.menu import COMMAND_CALLBACKS
from handlers.registration import TEXT_INPUT
from handlers.training_hints import attended_lesson, overlap_note
from handlers.training_standing import leaders_also_owe, other_requirements, study_part
from handlers.training_workbook import WORKBOOK_TEXTS, build_workbook
from rules import training as rules
from rules.permissions import Actor, can_manage_org
from rules.training import DurationUnit, TrainingDraft, TrainingPolicy, TrainingProblem
from rules.tree import MEMBER_KINDS
from rules.validation import MAX_REASON, Invalid, clean_text, strip_format_chars
from rules.vocabulary import MembershipState, TrainingGroup, TrainingKind, TrainingState
from storage import orgs as org_store
from storage import people
from storage import training as store
from storage.ledger import local_today
from storage.models import PartyOrganization
from storage.training_overlap import AttendedLesson

logger = logging.getLogger(__name__)

# States of the "training" conversation: logging (a member's own training, or one for many)
(
    L_PICK,
    L_KIND,
    L_TITLE,
    L_ORGANIZER,
    L_START,
    L_END,
    L_AMOUNT,
    L_EVIDENCE,
    L_CONFIRM,
) = range(90, 99)
# ... and deciding (a leader rejects with a reason, or corrects the length).
D_REASON, D_HOURS = 110, 111
# ... a requirement typed by an admin, and evidence added later by a record's member.
R_HOURS, R_CONFIRM, E_FILE = 112, 113, 114

DRAFT = "training_draft"  # user_data: the training being logged (JSON-safe values only)
DECIDE = "training_decide"  # user_data: {"id": record id} while a reason or length is typed
REQUIREMENT = "training_requirement"  # user_data: {"org", "group", "minutes"} (admins)
EVIDENCE = "training_evidence"  # user_data: {"id": record id} while files are sent to it

MAX_FILES = 5  # evidence files per record
QUEUE_LIMIT = 50  # records listed for verification at once (oldest first)
BEHIND_PER_PAGE = 25
MAX_RECORD_LINES = 60
MAX_WITHDRAW_BUTTONS = 5
BUTTON_TITLE = 28  # characters of a title shown on a button
BAR_WIDTH = 10

RECORD_MARKS = {
    TrainingState.PENDING: "⏳",
    TrainingState.VERIFIED: "✅",
    TrainingState.REJECTED: "❌",
    TrainingState.WITHDRAWN: "↩",
}
LESSON_MARK = "📖"
MY_TRAINING = N_("📚 My training")

NOT_REGISTERED = N_("Training is for registered members. Register with /start.")
NOT_APPROVED = N_(
    "Your registration is waiting for approval; you can log training once you are approved."
)
OWN_RECORD = N_(
    "You cannot verify or correct your own training; another leader or the level above does."
)
LESSONS_COUNT = N_(
    "ℹ️ Party lessons you attend in this bot count automatically (from your check-in), "
    "so do not log them again."
)
PROBLEM_TEXTS = {
    TrainingProblem.TITLE_EMPTY: N_(
        "Please type the title of the training (letters or digits, not only punctuation)."
    ),
    TrainingProblem.TITLE_TOO_LONG: N_(
        "That title is too long (at most {limit} characters). Please type a shorter one."
    ),
    TrainingProblem.TITLE_INVALID: N_(
        "That title contains characters that cannot be stored. Please retype it."
    ),
    TrainingProblem.ORGANIZER_TOO_LONG: N_(
        "That is too long for the organizer (at most {limit} characters). Please shorten it."
    ),
    TrainingProblem.ORGANIZER_INVALID: N_(
        "That contains characters that cannot be stored. Please retype the organizer."
    ),
    TrainingProblem.END_BEFORE_START: N_(
        "The last day {end} is before the first day {start}. Please type the last day again."
    ),
    TrainingProblem.NOT_POSITIVE: N_(
        "The length must be more than zero. Please type the hours again, for example 6 or 1.5."
    ),
    TrainingProblem.TOO_MANY_HOURS: N_(
        "That is more than 24 hours for each day of the training: {days} day(s) allow at most "
        "{max} hours. Please check the number (hours, not minutes) and type it again."
    ),
    TrainingProblem.IN_FUTURE: N_(
        "{date} is in the future. Log a training once it has taken place: please type a date "
        "up to today ({today})."
    ),
    TrainingProblem.OUTSIDE_COUNTING_YEARS: N_(
        "Only training of {first} and {last} can be logged now. Please type the first day "
        "again."
    ),
    TrainingProblem.NOT_IN_YEAR: N_(
        "That training has no day in {year}, the year you are logging for. Please type the "
        "first day again, or cancel and choose the other year in 📚 Training."
    ),
}
EVIDENCE_TEXTS = {
    rules.EvidenceProblem.NOT_IMAGE_OR_PDF: N_(
        "That is not a photo or a PDF. Please send a photo of the certificate (JPEG, PNG or "
        "WebP) or a PDF file."
    ),
    rules.EvidenceProblem.TOO_LARGE: N_(
        "That file is {size} MB; at most {limit} MB is accepted. Please send a smaller photo "
        "or PDF."
    ),
    rules.EvidenceProblem.EMPTY: N_("That file is empty. Please send the photo or PDF again."),
}
ERROR_TEXTS = {
    "duplicate": N_("This training is already logged (same title and first day)."),
    "not_editable": N_("This record can no longer be changed."),
    "not_pending": N_("This record is no longer waiting for verification."),
    "own_record": OWN_RECORD,
    "not_owner": NOT_ALLOWED,
    "reason_needed": N_("Please type the reason."),
    "reason_too_long": N_("That reason is too long (at most {limit} characters)."),
    "no_members": N_("Choose at least one member."),
    "unknown_person": STALE_BUTTON,
    "not_found": STALE_BUTTON,
}
# Which problems each step can cause (and so re-asks); placeholders fill the later steps.
STEP_PROBLEMS: Mapping[int, frozenset[TrainingProblem]] = {
    L_TITLE: frozenset({TrainingProblem.TITLE_EMPTY, TrainingProblem.TITLE_TOO_LONG,
                        TrainingProblem.TITLE_INVALID}),
    L_ORGANIZER: frozenset({TrainingProblem.ORGANIZER_TOO_LONG,
                            TrainingProblem.ORGANIZER_INVALID}),
    L_START: frozenset({TrainingProblem.IN_FUTURE, TrainingProblem.OUTSIDE_COUNTING_YEARS,
                        TrainingProblem.NOT_IN_YEAR}),
    L_END: frozenset({TrainingProblem.END_BEFORE_START, TrainingProblem.IN_FUTURE,
                      TrainingProblem.OUTSIDE_COUNTING_YEARS, TrainingProblem.NOT_IN_YEAR}),
    L_AMOUNT: frozenset({TrainingProblem.NOT_POSITIVE, TrainingProblem.TOO_MANY_HOURS}),
}
# The step that fixes a problem found at the end (or at the last day: the whole date range).
FIXED_AT = {
    **{p: L_TITLE for p in STEP_PROBLEMS[L_TITLE]},
    **{p: L_ORGANIZER for p in STEP_PROBLEMS[L_ORGANIZER]},
    TrainingProblem.END_BEFORE_START: L_END,
    TrainingProblem.IN_FUTURE: L_END,
    TrainingProblem.OUTSIDE_COUNTING_YEARS: L_START,
    TrainingProblem.NOT_IN_YEAR: L_START,
    TrainingProblem.NOT_POSITIVE: L_AMOUNT,
    TrainingProblem.TOO_MANY_HOURS: L_AMOUNT,
}


# ---------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------


def hours_figure(minutes: int) -> str:
    """Minutes as a number of hours: 90 -> 1.5, 1440 -> 24, 100 -> 1.67."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(value, "f").rstrip("0").rstrip(".") or "0"


def duration(t: Translator, minutes: int, hours_per_day: int) -> Html:
    """"3 days (24 h)", "1 day 2 hours (10 h)", "6 hours", "1 hour 30 minutes" (plain text)."""
    split = rules.days_and_hours(max(0, minutes), hours_per_day)
    parts = []
    if split.days:
        parts.append(t.plural("{n} day", "{n} days", split.days))
    if split.hours:
        parts.append(t.plural("{n} hour", "{n} hours", split.hours))
    if split.minutes:
        parts.append(t.plural("{n} minute", "{n} minutes", split.minutes))
    if not parts:
        return t("0 hours")
    text = html_join(" ", parts)
    if split.days:
        text = t("{length} ({hours} h)", length=text, hours=hours_figure(minutes))
    return text


def due_duration(t: Translator, minutes: int, hours_per_day: int) -> str:
    """A pro-rata target or gap, rounded up to whole hours (it is a share of the year)."""
    return duration(t, -(-max(0, minutes) // 60) * 60, hours_per_day)


def non_empty(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup | None:
    """Telegram refuses an inline keyboard without buttons: send none instead."""
    return markup if any(markup.inline_keyboard) else None


def percent(fraction: float | None) -> str:
    return "–" if fraction is None else f"{int(fraction * 100 + 1e-9)}%"


def day_span(starts_on: date, ends_on: date) -> str:
    if starts_on == ends_on:
        return starts_on.isoformat()
    return f"{starts_on.isoformat()} – {ends_on.isoformat()}"


def short(text: str, limit: int = BUTTON_TITLE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def counted_kinds_text(t: Translator, policy: TrainingPolicy, group: TrainingGroup) -> str:
    separator = t(LIST_SEPARATOR)
    kinds = policy.counted_kinds[group]
    return separator.join(training_kind_label(t, k) for k in TrainingKind if k in kinds)


def problem_text(
    t: Translator, problem: TrainingProblem, draft: Mapping[str, Any], today: date,
    *, changed: date | None = None,
) -> Html:
    """The reason for a refused step, in the reader's language, with what to do."""
    message = PROBLEM_TEXTS[problem]
    first, last = rules.counting_years(today)
    start, end = _date(draft.get("start")), _date(draft.get("end"))
    span = (end - start).days + 1 if start is not None and end is not None else 1
    return t(
        message,
        limit=rules.MAX_TITLE if problem is TrainingProblem.TITLE_TOO_LONG
        else rules.MAX_ORGANIZER,
        start=start.isoformat() if start else "",
        end=end.isoformat() if end else "",
        days=span,
        max=span * 24,
        date=(changed or end or start or today).isoformat(),
        today=today.isoformat(),
        first=first,
        last=last,
        year=draft.get("year") or last,
    )


# ---------------------------------------------------------------------------------------
# One record, as its leaders and its member see it
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordInfo:
    """A record with whose it is; plain values, usable after the session ends."""

    id: int
    person_id: int
    telegram_id: int
    language: str
    name: str
    org_id: int | None
    org_name: str
    title: str
    organizer: str | None
    kind: TrainingKind
    state: TrainingState
    starts_on: date
    ends_on: date
    minutes: int
    years: tuple[tuple[int, int], ...]
    evidence: tuple[tuple[str, str, str | None], ...]  # (file id, mime type, file name)
    reject_reason: str | None
    batch: bool


async def record_info(session: AsyncSession, record_id: int) -> RecordInfo | None:
    record = await store.get_record(session, record_id)
    if record is None:
        return None
    org_id = await store.current_org_id(session, record.person_id)
    org = await session.get(PartyOrganization, org_id) if org_id is not None else None
    person = record.person
    return RecordInfo(
        id=record.id,
        person_id=record.person_id,
        telegram_id=person.telegram_id,
        language=person.language,
        name=person.real_name or str(person.telegram_id),
        org_id=org_id,
        org_name=org.name if org is not None else "",
        title=record.title,
        organizer=record.organizer,
        kind=record.kind,
        state=record.state,
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        minutes=record.minutes,
        years=tuple((row.year, row.minutes) for row in record.years),
        evidence=tuple((e.telegram_file_id, e.mime_type, e.file_name) for e in record.evidence),
        reject_reason=record.reject_reason,
        batch=record.batch_id is not None,
    )


def details_lines(t: Translator, info: RecordInfo, hours_per_day: int) -> list[Html]:
    days = (info.ends_on - info.starts_on).days + 1
    lines = [
        t("Title: {title}", title=info.title),
        t("Organizer: {organizer}", organizer=info.organizer or t("not given")),
        t("Kind: {kind}", kind=training_kind_label(t, info.kind)),
        t.plural("Dates: {dates} ({n} day)", "Dates: {dates} ({n} days)", days,
                 dates=day_span(info.starts_on, info.ends_on)),
        t("Length: {length}", length=duration(t, info.minutes, hours_per_day)),
    ]
    if len(info.years) > 1:
        lines.append(t("Counted per year: {split}", split=html_join(" · ", (
            html_format("{year}: {length}", year=year, length=duration(t, minutes, hours_per_day))
            for year, minutes in info.years
        ))))
    return lines


def card_text(t: Translator, info: RecordInfo, hours_per_day: int, heading: Html = BLANK) -> Html:
    """A record for a leader: whose, what, how long, evidence, state."""
    lines = [heading] if heading else [t("📚 <b>Training record</b>")]
    who = t("Member: {name}", name=info.name)
    if info.org_name:
        who += " · " + info.org_name
    lines.append(who)
    lines += details_lines(t, info, hours_per_day)
    lines.append(t.plural("Evidence: {n} file", "Evidence: {n} files", len(info.evidence)))
    state_label = TRAINING_STATE_LABELS[info.state]
    lines.append(t("State: {state}", state=t(state_label)))
    if info.state is TrainingState.REJECTED and info.reject_reason:
        lines.append(t("Reason: {reason}", reason=info.reject_reason))
    return html_join("\n", lines)


def verify_request_text(t: Translator, info: RecordInfo, hours_per_day: int) -> Html:
    """What a member's leaders are sent when the member logs a training."""
    return card_text(t, info, hours_per_day, t("📚 <b>Training to verify</b>"))


def logged_for_you_text(
    t: Translator, info: RecordInfo, hours_per_day: int, leader: str, state: TrainingState
) -> Html:
    """What a member is told when a leader logs a training for them."""
    lines = [t("📚 <b>{leader} logged a training for you</b>", leader=leader or t("Your branch")),
             *details_lines(t, info, hours_per_day)]
    lines.append(t("✅ Verified: it counts in your year.") if state is TrainingState.VERIFIED
                 else t("⏳ Waiting for verification."))
    return html_join("\n", lines)


def decided_text(
    t: Translator, info: RecordInfo, hours_per_day: int, reason: str | None = None
) -> Html:
    """What a member is told when their record is verified, or rejected with a reason."""
    if reason is None:
        heading = t("✅ <b>Your training was verified</b>; it counts now.")
        return html_join("\n", [heading, *details_lines(t, info, hours_per_day)])
    return html_join("\n", [
        t("❌ <b>Your training was not accepted</b>"),
        *details_lines(t, info, hours_per_day),
        t("Reason: {reason}", reason=reason),
        t("You can log it again, corrected, in 📚 Training."),
    ])


def corrected_text(t: Translator, info: RecordInfo, before: int, hours_per_day: int) -> Html:
    """What a member is told when a leader corrects the length of their record."""
    return html_join("\n", [
        t("✏️ <b>Your training record was corrected</b>"),
        *details_lines(t, info, hours_per_day),
        t("Length: {before} → {after}", before=duration(t, before, hours_per_day),
          after=duration(t, info.minutes, hours_per_day)),
    ])


def card_keyboard(
    t: Translator, info: RecordInfo, *, decide: bool, back: int | None = None
) -> InlineKeyboardMarkup:
    """Verify / reject / correct while it waits; the evidence; back to the queue."""
    rows: list[list[InlineKeyboardButton]] = []
    if decide and info.state is TrainingState.PENDING:
        rows.append([button(t("✅ Verify"), "tr", "ok", info.id),
                     button(t("❌ Reject"), "tr", "no", info.id)])
    if decide and info.state in (TrainingState.PENDING, TrainingState.VERIFIED):
        rows.append([button(t("✏️ Correct the length"), "tr", "fx", info.id)])
    if info.evidence:
        rows.append([button(
            t.as_plain_plural("📎 Evidence ({n} file)", "📎 Evidence ({n} files)",
                              len(info.evidence)),
            "tr", "ev", info.id,
        )])
    if back is not None:
        rows.append([button(t("‹ Waiting for verification"), "tr", "q", back, 0)])
    return keyboard(rows)


async def _viewer(
    session: AsyncSession, update: Update, context: BranchContext, record_id: int, what: str
) -> tuple[Actor, RecordInfo]:
    """The record behind a leader's button, after checking the presser leads its member."""
    actor = await current_actor(session, update, context)
    info = await record_info(session, record_id)
    if info is None:
        require(actor.is_admin or actor.leads_a_branch, update, what)
        raise Refused(STALE_BUTTON)
    allowed = actor.is_admin if info.org_id is None else can_manage_org(actor, info.org_id)
    require(allowed, update, what)
    return actor, info


async def _decider(
    session: AsyncSession, update: Update, context: BranchContext, record_id: int, what: str
) -> tuple[Actor, RecordInfo]:
    """As _viewer, and the presser may decide: never on their own record."""
    actor, info = await _viewer(session, update, context, record_id, what)
    if actor.person_id is not None and actor.person_id == info.person_id:
        raise Refused(OWN_RECORD)
    return actor, info


def can_decide(actor: Actor, info: RecordInfo) -> bool:
    if info.org_id is None:
        return actor.is_admin and actor.person_id != info.person_id
    return rules.can_verify(actor, info.org_id, info.person_id)


async def _verifiers(
    session: AsyncSession, org_id: int | None, owner: int, admins: Collection[int]
) -> list[tuple[int, str]]:
    """Who is asked to verify a member's record: the branch's leaders, else the level above,
    else the configured admins; never the member themselves."""
    found: list[tuple[int, str]] = []
    if org_id is not None:
        candidates = [org_id, *(await org_store.ancestor_ids(session, org_id))[:1]]
        for candidate in candidates:
            found = [
                (person.telegram_id, person.language)
                for person, _org in await people.leaders_of(session, candidate)
                if person.telegram_id != owner
            ]
            if found:
                return found
    languages = await people.languages_of(session, admins)
    return [(admin, languages.get(admin, "zh")) for admin in sorted(admins) if admin != owner]


# ---------------------------------------------------------------------------------------
# A member's year: /training
# ---------------------------------------------------------------------------------------


def _require_member(actor: Actor) -> None:
    if actor.is_member and actor.person_id is not None:
        return
    raise Refused(NOT_APPROVED if actor.is_pending else NOT_REGISTERED)


def year_text(
    t: Translator, mine: store.PersonYear, lines: Sequence[store.TrainingLine],
    policy: TrainingPolicy, today: date, note: Html = BLANK,
) -> Html:
    """Required, done (counted), a bar, pending, still to do, due by today, by kind, records."""
    hpd = policy.hours_per_day
    year = mine.year
    text = [note, BLANK] if note else []
    text.append(t("📚 <b>My training in {year}</b>", year=year))
    if mine.group is None:
        text.append(t("No yearly requirement applies to you (activists are not counted yet); "
                      "you can still log training."))
    else:
        group_label = TRAINING_GROUP_LABELS[mine.group]
        text.append(t("Requirement for {group}: {required} a year",
                      group=t(group_label), required=duration(t, mine.required, hpd)))
        if policy.counted_kinds[mine.group] != frozenset(TrainingKind):
            text.append(t("Counts toward it: {kinds}",
                          kinds=counted_kinds_text(t, policy, mine.group)))
        text.append(t("Done and counted: {done}", done=duration(t, mine.counted, hpd)))
        text.append(escape(f"{rules.progress_bar(mine.fraction, BAR_WIDTH)} "
                           f"{percent(mine.fraction)}"))
    waiting = sum(mine.pending_by_kind.values())
    if waiting:
        text.append(t("Waiting for verification: {pending}", pending=duration(t, waiting, hpd)))
    if mine.group is not None:
        progress = mine.progress
        if progress.met:
            text.append(t("✅ The requirement for {year} is met.", year=year))
        else:
            text.append(t("Still to do: {remaining}",
                          remaining=duration(t, progress.remaining, hpd)))
            if year == today.year:
                if progress.on_track:
                    text.append(t("Due by today (pro-rata): {due} — ✅ on track",
                                  due=due_duration(t, progress.target, hpd)))
                else:
                    text.append(t("Due by today (pro-rata): {due} — ⚠️ {gap} behind",
                                  due=due_duration(t, progress.target, hpd),
                                  gap=due_duration(t, progress.gap, hpd)))
    text += other_requirements(t, mine.standing, mine.group, policy, year=year,
                               this_year=year == today.year)
    text += [BLANK, t("<b>By kind</b> (verified)")]
    for kind in TrainingKind:
        done, pending = mine.done_by_kind.get(kind, 0), mine.pending_by_kind.get(kind, 0)
        if pending:
            text.append(t("· {kind}: {done} (+{pending} waiting)",
                          kind=training_kind_label(t, kind), done=duration(t, done, hpd),
                          pending=duration(t, pending, hpd)))
        else:
            text.append(t("· {kind}: {done}", kind=training_kind_label(t, kind),
                          done=duration(t, done, hpd)))
    text += [BLANK, t("<b>Records</b>")]
    if not lines:
        text.append(t("Nothing logged for {year} yet.", year=year))
    shown = list(lines)[-MAX_RECORD_LINES:]
    if len(shown) < len(lines):
        text.append(t("(only the latest {n} are shown)", n=len(shown)))
    for line in shown:
        text.append(record_line(t, line, hpd))
    text += [BLANK, t(LESSONS_COUNT)]
    return fit(text)


def record_line(t: Translator, line: store.TrainingLine, hours_per_day: int) -> Html:
    mark = LESSON_MARK if line.source == "lesson" else RECORD_MARKS[line.state]
    length = duration(t, line.minutes, hours_per_day)
    if line.total_minutes != line.minutes:
        length = t("{part} of {total}", part=length,
                   total=duration(t, line.total_minutes, hours_per_day))
    values = {"mark": mark, "dates": day_span(line.starts_on, line.ends_on),
              "kind": training_kind_label(t, line.kind), "title": line.title, "length": length}
    if line.source == "lesson":
        return t("{mark} {dates} · {kind} · {title} · {length} (attendance, counted "
                 "automatically)", **values)
    if line.state is TrainingState.PENDING:
        return t("{mark} {dates} · {kind} · {title} · {length} (waiting for verification)",
                 **values)
    entry = t("{mark} {dates} · {kind} · {title} · {length}", **values)
    if line.state is TrainingState.REJECTED:
        entry += "\n    " + t("Not accepted: {reason}", reason=line.reject_reason or "")
    return entry


def year_keyboard(
    t: Translator, year: int, today: date, lines: Sequence[store.TrainingLine], *, leads: bool
) -> InlineKeyboardMarkup:
    previous, current = rules.counting_years(today)
    rows = [[button(t("➕ Log a training"), "tr", "log", year)]]
    rows.append([
        button(("• " if y == year else "") + label, "tr", "y", y)
        for y, label in ((current, t("This year")), (previous, t("Last year")))
    ])
    pending = [line for line in lines
               if line.source == "record" and line.state is TrainingState.PENDING]
    for line in pending[:MAX_WITHDRAW_BUTTONS]:
        rows.append([button(t.as_plain("↩ Withdraw: {title}", title=short(line.title)),
                            "tr", "wd", line.id),
                     button(t("📎 Add a file"), "tr", "ea", line.id)])
    if leads:
        rows.append([button(t("🏢 Branch training"), "tr", "bpick", 0)])
    return keyboard(rows)


async def render_year(
    update: Update, context: BranchContext, year: int, *, note: Html = BLANK, new: bool = False
) -> None:
    """My year: what is done, pending and due, by kind, and every record."""
    tz = context.settings.tzinfo
    policy = context.settings.training_policy
    today = local_today(tz)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        _require_member(actor)
        assert actor.person_id is not None
        mine = await store.person_year(
            session, actor.person_id, year, tz=tz, policy=policy,
            on=today if year == today.year else None,
        )
        lines = await store.person_lines(session, actor.person_id, year, tz=tz)
    t = translator(actor.language)
    text = year_text(t, mine, lines, policy, today, note)
    markup = year_keyboard(t, year, today, lines, leads=actor.is_admin or actor.leads_a_branch)
    await show(update, text, reply_markup=markup, new=new)


async def show_training(update: Update, context: BranchContext) -> None:
    """/training: my year; an admin who is not a member gets the organizations' panel."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    if not actor.is_member and actor.is_admin:
        await open_panels(update, context, 0)
        return
    _require_member(actor)
    await render_year(update, context, local_today(context.settings.tzinfo).year, new=True)


def _counting_year(context: BranchContext, data: str | None, year: int) -> int:
    if year not in rules.counting_years(local_today(context.settings.tzinfo)):
        raise BadCallback(data)
    return year


async def show_year(update: Update, context: BranchContext) -> None:
    """tr:y:<year>: this year or last year only."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, year) = cb_args(data, "tr", str, int)
    await render_year(update, context, _counting_year(context, data, year))
    await answer(update)


async def withdraw_record(update: Update, context: BranchContext) -> None:
    """tr:wd:<record>: take back one of my own records while it waits for verification."""
    assert update.callback_query is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    today = local_today(context.settings.tzinfo)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        info = await record_info(session, record_id)
        if info is None:
            raise Refused(STALE_BUTTON)
        require(actor.person_id is not None and actor.person_id == info.person_id, update,
                "withdraw training")
        applied = await store.withdraw(session, record_id, by=actor.telegram_id)
    await answer(update)
    t = translator(actor.language)
    note = (t("↩ Withdrawn: {title}.", title=info.title) if applied
            else t("{title} is no longer waiting for verification.", title=info.title))
    years = rules.counting_years(today)
    year = info.ends_on.year if info.ends_on.year in years else today.year
    await render_year(update, context, year, note=note)


# ---------------------------------------------------------------------------------------
# Logging: a member for themselves, a leader for many ("training")
# ---------------------------------------------------------------------------------------


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _draft(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict) or draft.get("mode") not in ("self", "bulk"):
        raise Refused(STALE_BUTTON)
    return draft


def _is_bulk(draft: Mapping[str, Any]) -> bool:
    return draft.get("mode") == "bulk"


def _year(draft: Mapping[str, Any]) -> int | None:
    year = draft.get("year")
    return year if isinstance(year, int) else None


def _problem(
    draft: Mapping[str, Any], today: date, step: int, **changes: object
) -> TrainingProblem | None:
    """What the rules say about the steps answered so far, changes included; the steps not
    answered yet are filled with values that pass, so only `step`'s problems are returned."""
    values = {**draft, **changes}
    year = _year(values)
    first_year, _ = rules.counting_years(today)
    start = _date(values.get("start")) or today
    floor = date(year if year is not None else first_year, 1, 1)
    end = _date(values.get("end")) or max(start, floor)
    minutes = values.get("minutes")
    organizer = values.get("organizer")
    probe = TrainingDraft(
        title=str(values["title"]) if values.get("title") is not None else "x",
        kind=TrainingKind(values.get("kind") or TrainingKind.OTHER.value),
        starts_on=start,
        ends_on=end,
        minutes=minutes if isinstance(minutes, int) else 1,
        organizer=organizer if isinstance(organizer, str) else None,
    )
    problem = rules.validate_training(probe, today=today, year=year)
    return problem if problem in STEP_PROBLEMS[step] else None


def _training(draft: Mapping[str, Any]) -> TrainingDraft:
    start, end = _date(draft.get("start")), _date(draft.get("end"))
    if start is None or end is None or not isinstance(draft.get("minutes"), int):
        raise Refused(STALE_BUTTON)
    organizer = draft.get("organizer")
    return TrainingDraft(
        title=str(draft.get("title", "")),
        kind=TrainingKind(draft.get("kind") or TrainingKind.OTHER.value),
        starts_on=start,
        ends_on=end,
        minutes=int(draft["minutes"]),
        organizer=organizer if isinstance(organizer, str) else None,
    )


def _files(draft: Mapping[str, Any]) -> list[store.EvidenceFile]:
    return [
        store.EvidenceFile(
            telegram_file_id=str(f["id"]), telegram_file_unique_id=str(f["uid"]),
            mime_type=str(f["mime"]), size_bytes=f.get("size"), file_name=f.get("name"),
        )
        for f in draft.get("files", [])
        if isinstance(f, dict)
    ]


async def _step(
    session: AsyncSession, update: Update, context: BranchContext
) -> tuple[Actor, Translator, dict[str, Any]]:
    """The draft and the sender, who must still be allowed to log it."""
    draft = _draft(context)
    actor = await current_actor(session, update, context)
    if _is_bulk(draft):
        require(rules.can_log_for_others(actor, int(draft["org"])), update,
                "log training for members")
    else:
        require(actor.is_member and actor.person_id is not None
                and actor.person_id == draft.get("person"), update, "log training")
    return actor, translator(actor.language), draft


def _cancel_row(t: Translator) -> list[InlineKeyboardButton]:
    return [button(t("Cancel"), "x", "cancel")]


async def start_log(update: Update, context: BranchContext) -> int:
    """tr:log:<year>: a member logs a training of theirs that counts in <year>."""
    assert update.callback_query is not None and context.user_data is not None
    data = update.callback_query.data
    (_, year) = cb_args(data, "tr", str, int)
    year = _counting_year(context, data, year)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    _require_member(actor)
    await answer(update)
    context.user_data.pop(DECIDE, None)
    context.user_data[DRAFT] = {"mode": "self", "year": year, "person": actor.person_id}
    return await ask_kind(update, context, translator(actor.language))


async def ask_kind(update: Update, context: BranchContext, t: Translator) -> int:
    draft = _draft(context)
    if _is_bulk(draft):
        heading = t.plural(
            "Log a training for {n} member of {org}.", "Log a training for {n} members of {org}.",
            len(draft.get("people", [])), org=str(draft.get("org_name", "")),
        )
    else:
        heading = t("Log a training that counts in {year}.", year=draft["year"])
    rows = [[button(training_kind_label(t, kind), "tr", "k", kind.value)] for kind in TrainingKind]
    rows.append(_cancel_row(t))
    await send(
        update, heading + "\n" + t(LESSONS_COUNT) + "\n\n" + t("Which kind of training?"),
        reply_markup=keyboard(rows),
    )
    return L_KIND


async def choose_kind(update: Update, context: BranchContext) -> int:
    """tr:k:<kind>."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, value) = cb_args(data, "tr", str, str)
    try:
        kind = TrainingKind(value)
    except ValueError:
        raise BadCallback(data) from None
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    await answer(update)
    draft["kind"] = kind.value
    await show(update, t("Kind: {kind}", kind=training_kind_label(t, kind)))
    return await ask_title(update, t)


async def ask_title(update: Update, t: Translator) -> int:
    await send(
        update,
        t("What is the title of the training or course? For example: Special training on "
          "the spirit of the Party Congress"),
        reply_markup=keyboard([_cancel_row(t)]),
    )
    return L_TITLE


async def enter_title(update: Update, context: BranchContext) -> int:
    """The typed title."""
    assert update.message is not None
    today = local_today(context.settings.tzinfo)
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    title = strip_format_chars(update.message.text or "").strip()
    problem = _problem(draft, today, L_TITLE, title=title)
    if problem is not None:
        await send(update, problem_text(t, problem, draft, today))
        return L_TITLE
    draft["title"] = title
    if draft.get("fix") == "title":
        draft.pop("fix", None)
        return await ask_start(update, context, t)
    await send(
        update,
        t("Who organized it? Type the organizer (for example: the district Party school), "
          "or press Skip."),
        reply_markup=keyboard([[button(t("Skip"), "tr", "skip")], _cancel_row(t)]),
    )
    return L_ORGANIZER


async def enter_organizer(update: Update, context: BranchContext) -> int:
    """The typed organizer, or tr:skip."""
    today = local_today(context.settings.tzinfo)
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    if update.callback_query is not None:
        await answer(update)
        draft["organizer"] = None
        await show(update, t("Organizer: {organizer}", organizer=t("not given")))
        return await ask_start(update, context, t)
    assert update.message is not None
    organizer = strip_format_chars(update.message.text or "").strip()
    problem = _problem(draft, today, L_ORGANIZER, organizer=organizer)
    if problem is not None:
        await send(update, problem_text(t, problem, draft, today))
        return L_ORGANIZER
    draft["organizer"] = organizer
    return await ask_start(update, context, t)


def _example_day(draft: Mapping[str, Any], today: date) -> date:
    year = _year(draft)
    return today if year is None or year == today.year else date(year, 12, 1)


async def ask_start(update: Update, context: BranchContext, t: Translator) -> int:
    draft = _draft(context)
    today = local_today(context.settings.tzinfo)
    rows: list[list[InlineKeyboardButton]] = []
    year = _year(draft)
    if year is None or year == today.year:
        quick = [button(t("Today"), "tr", "day", 0)]
        if (today - timedelta(days=1)).year == today.year or year is None:
            quick.append(button(t("Yesterday"), "tr", "day", 1))
        rows.append(quick)
    rows.append(_cancel_row(t))
    await send(
        update,
        t("On which day did it start? Type the date as you would say it, for example "
          "{example}, 5 Mar or last Fri.", example=_example_day(draft, today).isoformat()),
        reply_markup=keyboard(rows),
    )
    return L_START


async def press_start_day(update: Update, context: BranchContext) -> int:
    """tr:day:<0|1>: today or yesterday as the first day."""
    assert update.callback_query is not None
    (_, back) = cb_args(update.callback_query.data, "tr", str, int)
    if back not in (0, 1):
        raise BadCallback(update.callback_query.data)
    start = local_today(context.settings.tzinfo) - timedelta(days=back)
    await answer(update)
    t = tr(update, context)
    await show(update, t("First day: {date}", date=start.isoformat()))
    return await enter_start(update, context, start)


async def enter_start(update: Update, context: BranchContext, start: date) -> int:
    """The first day: typed (read and echoed by START_STEP), or pressed."""
    today = local_today(context.settings.tzinfo)
    async with context.db.session() as session:
        actor, t, draft = await _step(session, update, context)
        problem = _problem(draft, today, L_START, start=start, end=None)
        if problem is None:
            targets = _targets(draft)
            holders = await store.already_logged(session, targets, str(draft["title"]), start)
        else:
            holders = []
    if problem is not None:
        await send(update, problem_text(t, problem, draft, today, changed=start))
        return L_START
    if holders and (not _is_bulk(draft) or set(holders) >= set(_targets(draft))):
        text = (
            t("All the chosen members already have {title} starting on {date} logged.",
              title=str(draft["title"]), date=start.isoformat())
            if _is_bulk(draft)
            else t("You have already logged {title} starting on {date}.",
                   title=str(draft["title"]), date=start.isoformat())
        )
        await send(
            update,
            text + "\n" + t("If this is another course, type its first day again or change "
                            "the title; otherwise press Cancel."),
            reply_markup=keyboard([[button(t("✏️ Change the title"), "tr", "rt")],
                                   _cancel_row(t)]),
        )
        return L_START
    draft["start"] = start.isoformat()
    draft["dups"] = holders
    draft.pop("end", None)
    logger.debug("user %s: training starts %s", actor.telegram_id, start)
    return await ask_end(update, t, start)


def _targets(draft: Mapping[str, Any]) -> list[int]:
    if _is_bulk(draft):
        return [int(p) for p in draft.get("people", [])]
    return [int(draft["person"])]


async def retype_title(update: Update, context: BranchContext) -> int:
    """tr:rt: the course was already logged under this title; type another title."""
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    await answer(update)
    draft["fix"] = "title"
    return await ask_title(update, t)


async def ask_end(update: Update, t: Translator, start: date) -> int:
    await send(
        update,
        t("On which day did it end? Type the date as you would say it, or press Same day."),
        reply_markup=keyboard(
            [[button(t.as_plain("Same day ({date})", date=start.isoformat()), "tr", "same")],
             _cancel_row(t)]
        ),
    )
    return L_END


async def press_same_day(update: Update, context: BranchContext) -> int:
    """tr:same: it ended the day it started."""
    start = _date(_draft(context).get("start"))
    if start is None:
        raise Refused(STALE_BUTTON)
    await answer(update)
    t = tr(update, context)
    await show(update, t("Last day: {date}", date=start.isoformat()))
    return await enter_end(update, context, start)


async def enter_end(update: Update, context: BranchContext, end: date) -> int:
    """The last day: typed (read and echoed by END_STEP), or tr:same."""
    today = local_today(context.settings.tzinfo)
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    if _date(draft.get("start")) is None:
        raise Refused(STALE_BUTTON)
    problem = _problem(draft, today, L_END, end=end)
    if problem is not None:
        await send(update, problem_text(t, problem, {**draft, "end": end.isoformat()}, today,
                                        changed=end))
        if FIXED_AT[problem] == L_START:
            return await ask_start(update, context, t)
        return L_END
    draft["end"] = end.isoformat()
    draft["unit"] = DurationUnit.HOURS.value
    return await ask_amount(update, context, t)


START_STEP = DateStep("training_start", L_START, moment=False, prefer="past", done=enter_start,
                     quick=False)
END_STEP = DateStep("training_end", L_END, moment=False, prefer="past", done=enter_end,
                   quick=False)


def _span_days(draft: Mapping[str, Any]) -> int:
    start, end = _date(draft.get("start")), _date(draft.get("end"))
    if start is None or end is None:
        raise Refused(STALE_BUTTON)
    return (end - start).days + 1


async def ask_amount(update: Update, context: BranchContext, t: Translator) -> int:
    draft = _draft(context)
    hpd = context.settings.training_policy.hours_per_day
    span = _span_days(draft)
    days = draft.get("unit") == DurationUnit.DAYS.value
    question = (
        t("How many days did it last? Type a number, for example 2 or 0.5 (a day counts "
          "{hours} hours).", hours=hpd)
        if days
        else t("How many hours did it last? Type a number, for example 6 or 1.5 (a day counts "
               "{hours} hours).", hours=hpd)
    )
    rows = [
        [button(t.as_plain_plural("{n} day = {hours} h", "{n} days = {hours} h", span,
                         hours=span * hpd), "tr", "span")],
        [button(t("Type hours instead"), "tr", "unit", "h") if days
         else button(t("Type days instead"), "tr", "unit", "d")],
        _cancel_row(t),
    ]
    await send(update, question, reply_markup=keyboard(rows))
    return L_AMOUNT


async def enter_amount(update: Update, context: BranchContext) -> int:
    """The typed length, or tr:span (every day of the span, a full day each)."""
    today = local_today(context.settings.tzinfo)
    policy = context.settings.training_policy
    hpd = policy.hours_per_day
    query = update.callback_query
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    if query is not None:
        await answer(update)
        minutes: int | TrainingProblem | None = _span_days(draft) * hpd * 60
    else:
        assert update.message is not None
        unit = DurationUnit(draft.get("unit") or DurationUnit.HOURS.value)
        minutes = rules.parse_length(update.message.text, unit, hpd)
    if minutes is None:
        await send(update, t("Please type a number, for example 6 or 1.5."))
        return L_AMOUNT
    problem = minutes if isinstance(minutes, TrainingProblem) else _problem(
        draft, today, L_AMOUNT, minutes=minutes
    )
    if problem is not None:
        await send(update, problem_text(t, problem, draft, today))
        return L_AMOUNT
    assert isinstance(minutes, int)
    draft["minutes"] = minutes
    if query is not None:
        await show(update, t("Length: {length}", length=duration(t, minutes, hpd)))
    if draft.get("fix") == "amount":
        draft.pop("fix", None)
        return await ask_summary(update, context)
    return await ask_evidence(update, context, t)


async def switch_unit(update: Update, context: BranchContext) -> int:
    """tr:unit:<h|d>: the typed number is hours, or days."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, value) = cb_args(data, "tr", str, str)
    if value not in ("h", "d"):
        raise BadCallback(data)
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    await answer(update)
    draft["unit"] = (DurationUnit.DAYS if value == "d" else DurationUnit.HOURS).value
    await drop_buttons(update)
    return await ask_amount(update, context, t)


def _evidence_markup(t: Translator, count: int) -> InlineKeyboardMarkup:
    label = t("Skip") if not count else t.plural("Done ({n} file)", "Done ({n} files)", count)
    return keyboard([[button(label, "tr", "evd")], _cancel_row(t)])


async def ask_evidence(update: Update, context: BranchContext, t: Translator) -> int:
    draft = _draft(context)
    limit = context.settings.training_policy.evidence_max_bytes
    await send(
        update,
        t("Attach evidence: send a photo of the certificate or a PDF (at most {mb} MB each, up "
          "to {n} files). Press Skip if there is none.", mb=_megabytes(limit), n=MAX_FILES),
        reply_markup=_evidence_markup(t, len(draft.get("files", []))),
    )
    return L_EVIDENCE


def _megabytes(size: int) -> str:
    value = (Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return format(value, "f").rstrip("0").rstrip(".")


def evidence_of(message: Message) -> store.EvidenceFile | None:
    """A photo (its largest size) or a document, as Telegram describes it; None for anything
    else (video, voice, sticker...). Nothing is downloaded."""
    if message.photo:
        size = message.photo[-1]
        return store.EvidenceFile(
            size.file_id, size.file_unique_id, "image/jpeg", size.file_size, None
        )
    document = message.document
    if document is not None:
        name = document.file_name or "file"
        mime = document.mime_type or mimetypes.guess_type(name)[0] or ""
        return store.EvidenceFile(
            document.file_id, document.file_unique_id, mime, document.file_size, name
        )
    return None


async def add_evidence(update: Update, context: BranchContext) -> int:
    """A photo or a file: checked by the type and size Telegram reports, then kept."""
    assert update.message is not None
    policy = context.settings.training_policy
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    files: list[dict[str, Any]] = draft.setdefault("files", [])
    if len(files) >= MAX_FILES:
        await send(update, t("At most {n} files per record. Press Done.", n=MAX_FILES),
                   reply_markup=_evidence_markup(t, len(files)))
        return L_EVIDENCE
    file = evidence_of(update.message)
    problem = (
        rules.EvidenceProblem.NOT_IMAGE_OR_PDF
        if file is None
        else rules.validate_evidence(file.mime_type, file.size_bytes,
                                     max_bytes=policy.evidence_max_bytes)
    )
    if problem is not None or file is None:
        message = EVIDENCE_TEXTS[problem or rules.EvidenceProblem.NOT_IMAGE_OR_PDF]
        size = file.size_bytes if file is not None and file.size_bytes else 0
        await send(update, t(message, size=_megabytes(size),
                             limit=_megabytes(policy.evidence_max_bytes)),
                   reply_markup=_evidence_markup(t, len(files)))
        return L_EVIDENCE
    files.append({
        "id": file.telegram_file_id, "uid": file.telegram_file_unique_id,
        "mime": rules.canonical_mime(file.mime_type), "size": file.size_bytes,
        "name": file.file_name,
    })
    await send(
        update,
        t("📎 Received: {name}. Send another, or press Done.",
          name=file.file_name or t("photo")),
        reply_markup=_evidence_markup(t, len(files)),
    )
    return L_EVIDENCE


async def evidence_expected(update: Update, context: BranchContext) -> int:
    """Text while evidence is expected: say what is expected."""
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    await send(update, t("Please send a photo or a PDF, or press the button below."),
               reply_markup=_evidence_markup(t, len(draft.get("files", []))))
    return L_EVIDENCE


async def evidence_done(update: Update, context: BranchContext) -> int:
    """tr:evd: no (more) evidence; the summary."""
    async with context.db.session() as session:
        await _step(session, update, context)
    await answer(update)
    await drop_buttons(update)
    return await ask_summary(update, context)


async def ask_summary(update: Update, context: BranchContext) -> int:
    """Everything entered (and, for many, who) before it is logged."""
    hpd = context.settings.training_policy.hours_per_day
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
        names: dict[int, str] = {}
        if _is_bulk(draft):
            names = {
                m.person_id: person_name(t, m.person)
                for m in await people.members_of(session, int(draft["org"]),
                                                 (MembershipState.ACTIVE,))
            }
    training = _training(draft)
    days = (training.ends_on - training.starts_on).days + 1
    lines = [
        t("<b>Please check the training:</b>"),
        t("Title: {title}", title=training.title),
        t("Organizer: {organizer}", organizer=training.organizer or t("not given")),
        t("Kind: {kind}", kind=training_kind_label(t, training.kind)),
        t.plural("Dates: {dates} ({n} day)", "Dates: {dates} ({n} days)", days,
                 dates=day_span(training.starts_on, training.ends_on)),
        t("Length: {length}", length=duration(t, training.minutes, hpd)),
    ]
    split = rules.split_minutes_by_year(training.starts_on, training.ends_on, training.minutes)
    if len(split) > 1:
        lines.append(t("Counted per year: {split}", split=html_join(" · ", (
            html_format("{year}: {length}", year=year, length=duration(t, minutes, hpd))
            for year, minutes in split.items()
        ))))
    files = draft.get("files", [])
    lines.append(t.plural("Evidence: {n} file", "Evidence: {n} files", len(files)))
    if _is_bulk(draft):
        dups = set(draft.get("dups", []))
        chosen = [pid for pid in _targets(draft) if pid in names]
        new = [names[pid] for pid in chosen if pid not in dups]
        separator = t(LIST_SEPARATOR)
        lines.append(t.plural("For {n} member: {names}", "For {n} members: {names}", len(new),
                              names=separator.join(new)))
        if dups:
            lines.append(t("Already logged, skipped: {names}",
                           names=separator.join(names[p] for p in chosen if p in dups)))
        rows = [
            [button(t("✅ Log and verify"), "tr", "gov")],
            [button(t("Log, verify later"), "tr", "go")],
            _cancel_row(t),
        ]
    else:
        lines.append(t("A leader of your branch verifies it; then it counts."))
        rows = [[button(t("✅ Submit"), "tr", "go")], _cancel_row(t)]
    await send(update, html_join("\n", lines), reply_markup=keyboard(rows))
    return L_CONFIRM


async def _reask(update: Update, context: BranchContext, t: Translator, step: int) -> int:
    """After a problem found at the end: ask the step that fixes it again."""
    draft = _draft(context)
    if step == L_TITLE:
        draft["fix"] = "title"
        return await ask_title(update, t)
    if step == L_ORGANIZER:
        await send(update, t("Who organized it? Type the organizer (for example: the district "
                             "Party school), or press Skip."),
                   reply_markup=keyboard([[button(t("Skip"), "tr", "skip")], _cancel_row(t)]))
        return L_ORGANIZER
    if step == L_AMOUNT:
        draft["fix"] = "amount"
        return await ask_amount(update, context, t)
    start = _date(draft.get("start"))
    if step == L_END and start is not None:
        return await ask_end(update, t, start)
    return await ask_start(update, context, t)


async def submit(update: Update, context: BranchContext) -> int:
    """tr:go / tr:gov: log it (for many: verified at once with tr:gov) and tell who needs to
    know."""
    assert update.callback_query is not None and context.user_data is not None
    data = update.callback_query.data
    verify = data == "tr:gov"
    tz = context.settings.tzinfo
    policy = context.settings.training_policy
    today = local_today(tz)
    async with context.db.session() as session:
        actor, t, draft = await _step(session, update, context)
        if verify and not _is_bulk(draft):
            raise BadCallback(data)
        training = _training(draft)
        problem = rules.validate_training(training, today=today, year=_year(draft))
        outcome: _Mine | _Many | None = None
        if problem is None:
            try:
                if _is_bulk(draft):
                    outcome = await _log_many(session, actor, draft, training, verify, today,
                                              policy)
                else:
                    outcome = await _log_mine(session, context, actor, draft, training, today,
                                              policy)
            except store.DuplicateTraining:
                outcome = None
            except store.TrainingError as error:
                raise Refused(ERROR_TEXTS.get(error.code, STALE_BUTTON)) from None
    await answer(update)
    if problem is not None:
        await send(update, problem_text(t, problem, draft, today))
        return await _reask(update, context, t, FIXED_AT[problem])
    await drop_buttons(update)
    context.user_data.pop(DRAFT, None)
    if outcome is None:
        message = ERROR_TEXTS["duplicate"]
        await send(update, t(message))
        return ConversationHandler.END
    if isinstance(outcome, _Many):
        await _after_many(update, context, t, actor, outcome)
    else:
        await _after_mine(update, context, t, outcome)
    return ConversationHandler.END


@dataclass(frozen=True)
class _Mine:
    info: RecordInfo
    verifiers: list[tuple[int, str]]
    year: int
    repeats: AttendedLesson | None = None  # a 党课 attended this record repeats (a hint)


@dataclass(frozen=True)
class _Many:
    org_name: str
    logged: list[tuple[int, str, TrainingState]]  # (telegram id, language, state) per record
    skipped: int
    info: RecordInfo  # one of the records, for the text told to everyone
    leader: str


async def _log_mine(
    session: AsyncSession, context: BranchContext, actor: Actor, draft: Mapping[str, Any],
    training: TrainingDraft, today: date, policy: TrainingPolicy,
) -> _Mine:
    assert actor.person_id is not None
    record = await store.log_training(
        session, actor.person_id, training, by=actor.telegram_id, today=today,
        evidence=_files(draft), policy=policy,
    )
    info = await record_info(session, record.id)
    assert info is not None
    verifiers = await _verifiers(session, info.org_id, actor.telegram_id, context.settings.admins)
    logger.info("user %s logged training record %s", pseudonym(actor.telegram_id), record.id)
    repeats = await attended_lesson(session, actor.person_id, training, context.settings.tzinfo)
    return _Mine(info, verifiers, int(draft["year"]), repeats)


async def _after_mine(
    update: Update, context: BranchContext, t: Translator, mine: _Mine
) -> None:
    hpd = context.settings.training_policy.hours_per_day
    told = 0
    for telegram_id, language in mine.verifiers:
        told += await deliver(
            context, telegram_id, verify_request_text(translator(language), mine.info, hpd),
            reply_markup=card_keyboard(translator(language), mine.info, decide=True),
        )
    note = t("✅ Logged: {title}, {length}. It counts once a leader of your branch verifies it.",
             title=mine.info.title, length=duration(t, mine.info.minutes, hpd))
    if not told:
        note += "\n" + t("Nobody could be told yet; please tell your secretary yourself.")
    if mine.repeats is not None:
        note += "\n" + overlap_note(t, mine.repeats, context.settings.tzinfo)
    await render_year(update, context, mine.year, note=note, new=True)


async def _log_many(
    session: AsyncSession, actor: Actor, draft: Mapping[str, Any], training: TrainingDraft,
    verify: bool, today: date, policy: TrainingPolicy,
) -> _Many:
    org_id = int(draft["org"])
    members = {
        m.person_id: m
        for m in await people.members_of(session, org_id, (MembershipState.ACTIVE,))
    }
    targets = [pid for pid in _targets(draft) if pid in members]
    if not targets:
        raise Refused(ERROR_TEXTS["no_members"])
    holders = await store.already_logged(session, targets, training.title, training.starts_on)
    if set(holders) >= set(targets):
        raise store.DuplicateTraining(holders)
    result = await store.log_for_many(
        session, targets, training, by=actor.telegram_id, today=today, verify=verify,
        skip_duplicates=True, evidence=_files(draft), policy=policy,
    )
    info = await record_info(session, result.records[0].id)
    assert info is not None
    leader = await people.person_by_telegram_id(session, actor.telegram_id)
    by_person = {m.person_id: m.person for m in members.values()}
    logger.info("user %s logged training batch %s for %d people", pseudonym(actor.telegram_id),
                result.batch_id, len(result.records))
    return _Many(
        org_name=str(draft.get("org_name", "")),
        logged=[
            (by_person[r.person_id].telegram_id, by_person[r.person_id].language, r.state)
            for r in result.records
        ],
        skipped=len(result.skipped),
        info=info,
        leader=(leader.real_name if leader is not None and leader.real_name else ""),
    )


async def _after_many(
    update: Update, context: BranchContext, t: Translator, actor: Actor, many: _Many
) -> None:
    hpd = context.settings.training_policy.hours_per_day
    year = many.info.ends_on.year
    counted = year in rules.counting_years(local_today(context.settings.tzinfo))
    messages = []
    for telegram_id, language, state in many.logged:
        if telegram_id == actor.telegram_id:
            continue
        t = translator(language)
        markup = keyboard([[button(t(MY_TRAINING), "tr", "y", year)]]) if counted else None
        messages.append(
            (telegram_id, logged_for_you_text(t, many.info, hpd, many.leader, state), markup)
        )
    t = translator(actor.language)
    told = await deliver_many(context, messages)
    verified = sum(1 for _tid, _lang, state in many.logged if state is TrainingState.VERIFIED)
    text = [
        t.plural("✅ Logged for {n} member of {org}.", "✅ Logged for {n} members of {org}.",
                 len(many.logged), org=many.org_name),
        t.plural("{n} record is verified.", "{n} records are verified.", verified),
    ]
    own = [state for tid, _lang, state in many.logged if tid == actor.telegram_id]
    if own and own[0] is TrainingState.PENDING and verified:
        text.append(t("Your own record waits for another leader or the level above."))
    if many.skipped:
        text.append(t.plural("{n} member already had it and was skipped.",
                             "{n} members already had it and were skipped.", many.skipped))
    text.append(t.plural("{n} person was told.", "{n} people were told.", told))
    await send(update, html_join("\n", text))


# Picking the members of a branch (state L_PICK)


async def start_bulk(update: Update, context: BranchContext) -> int:
    """tr:bulk:<org>: a leader logs one training for members of <org>; pick them first."""
    assert update.callback_query is not None and context.user_data is not None
    (_, org_id) = cb_args(update.callback_query.data, "tr", str, int)
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "log training for members")
        require(rules.can_log_for_others(actor, org_id), update, "log training for members")
        org = await org_store.get_party_org(session, org_id)
        if org is None or org.kind not in MEMBER_KINDS:
            raise Refused(STALE_BUTTON)
        members = await people.members_of(session, org_id, (MembershipState.ACTIVE,))
    await answer(update)
    t = translator(actor.language)
    if not members:
        await send(update, t("{org} has no active members yet.", org=org.name))
        return ConversationHandler.END
    context.user_data.pop(DECIDE, None)
    context.user_data[DRAFT] = {
        "mode": "bulk", "year": None, "org": org.id, "org_name": org.name, "people": [],
        "page": 0,
    }
    await render_picker(update, context, new=True)
    return L_PICK


async def render_picker(update: Update, context: BranchContext, *, new: bool = False) -> None:
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
        members = await people.members_of(session, int(draft["org"]), (MembershipState.ACTIVE,))
    chosen = set(draft.get("people", []))
    items = [
        button(("☑ " if m.person_id in chosen else "☐ ") + person_name(t, m.person) + " · "
               + t(ROLE_LABELS[m.role]), "tr", "pk", m.person_id)
        for m in members
    ]
    extra = [
        [button(t("Select all"), "tr", "pa"), button(t("Clear"), "tr", "pn")],
        [button(t.as_plain_plural("Next › ({n} chosen)", "Next › ({n} chosen)", len(chosen)),
                "tr", "pd")],
        _cancel_row(t),
    ]
    text = t("Who attended? Tick the members of {org} to log one training for.",
             org=str(draft.get("org_name", "")))
    markup = paged(t, items, int(draft.get("page", 0)), ("tr", "pp"), extra)
    await show(update, text, reply_markup=markup, new=new)


async def pick_member(update: Update, context: BranchContext) -> int:
    """tr:pk:<person> / tr:pp:<page> / tr:pa / tr:pn: tick, turn the page, all, none."""
    assert update.callback_query is not None
    data = update.callback_query.data or ""
    action = data.split(":")[1] if ":" in data else ""
    async with context.db.session() as session:
        _actor, _t, draft = await _step(session, update, context)
        members = [
            m.person_id
            for m in await people.members_of(session, int(draft["org"]),
                                             (MembershipState.ACTIVE,))
        ]
    chosen: list[int] = [p for p in draft.get("people", []) if p in members]
    if action == "pk":
        (_, person_id) = cb_args(data, "tr", str, int)
        if person_id not in members:
            raise Refused(STALE_BUTTON)
        chosen = [p for p in chosen if p != person_id] if person_id in chosen else [
            *chosen, person_id
        ]
    elif action == "pp":
        (_, page) = cb_args(data, "tr", str, int)
        draft["page"] = page
    elif action == "pa":
        cb_args(data, "tr", str)
        chosen = list(members)
    elif action == "pn":
        cb_args(data, "tr", str)
        chosen = []
    else:
        raise BadCallback(data)
    draft["people"] = chosen
    await answer(update)
    await render_picker(update, context)
    return L_PICK


async def pick_done(update: Update, context: BranchContext) -> int:
    """tr:pd: the members are chosen; then the kind."""
    async with context.db.session() as session:
        _actor, t, draft = await _step(session, update, context)
    if not draft.get("people"):
        raise Refused(ERROR_TEXTS["no_members"])
    await answer(update)
    await drop_buttons(update)
    return await ask_kind(update, context, t)


# ---------------------------------------------------------------------------------------
# Leaders: the panel, the queue, a record's card, verify / reject / correct
# ---------------------------------------------------------------------------------------


PANEL_PICKER = OrgPicker(
    N_("Training of which organization?"), ("tr", "br"), ("tr", "bpick"),
    member_kinds_only=False,
)


async def open_panels(update: Update, context: BranchContext, page: int) -> None:
    """The organizations the leader runs: one goes straight to its panel."""
    await open_picker(
        update, context, PANEL_PICKER, purpose="training panel",
        nothing=N_("There are no branches yet."),
        on_one=lambda org_id: render_panel(update, context, org_id), page=page,
    )


async def choose_panels(update: Update, context: BranchContext) -> None:
    """tr:bpick:<page>."""
    assert update.callback_query is not None
    (_, page) = cb_args(update.callback_query.data, "tr", str, int)
    await open_panels(update, context, page)
    await answer(update)


async def _scope(
    session: AsyncSession, update: Update, actor: Actor, scope: int, what: str
) -> set[int] | None:
    """The organizations of a scope: one (with its subtree), or 0 for all the actor leads
    (None: everything, for an admin)."""
    if scope == 0:
        return None if actor.is_admin else set(actor.managed_org_ids)
    require(can_manage_org(actor, scope), update, what)
    if await org_store.get_party_org(session, scope) is None:
        raise Refused(STALE_BUTTON)
    return await org_store.descendant_ids(session, {scope})


async def _org(
    session: AsyncSession, update: Update, context: BranchContext, org_id: int, what: str
) -> tuple[Actor, PartyOrganization]:
    actor = await leader_actor(session, update, context, what)
    require(can_manage_org(actor, org_id), update, what)
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    return actor, org


async def render_panel(update: Update, context: BranchContext, org_id: int) -> None:
    """An organization's training at a glance, and what a leader can do about it."""
    tz = context.settings.tzinfo
    policy = context.settings.training_policy
    today = local_today(tz)
    async with context.db.session() as session:
        actor, org = await _org(session, update, context, org_id, "training panel")
        org_ids = await org_store.descendant_ids(session, {org_id})
        waiting = await store.pending_records(session, org_ids, limit=QUEUE_LIMIT)
        late = await store.behind(session, org_ids, today, tz=tz, policy=policy)
        report = await store.secretaries_on_track(session, org_id, today, tz=tz, policy=policy)
        several = actor.is_admin or len(
            await managed_orgs(session, actor, member_kinds_only=False)
        ) > 1
    t = translator(actor.language)
    pending = f"{len(waiting)}+" if len(waiting) >= QUEUE_LIMIT else str(len(waiting))
    lines = [
        t("📚 <b>Training · {org}</b> ({year})", org=org.name, year=today.year),
        t("Waiting for verification: {n}", n=pending),
        t("Below the pro-rata target today: {n}", n=len(late)),
        t("Secretaries on track: {on_track} of {total}", on_track=report.on_track,
          total=report.secretaries),
        t("A leader owes {leader} and a member {member} a year by default.",
          leader=duration(t, policy.required_minutes[TrainingGroup.LEADER],
                          policy.hours_per_day),
          member=duration(t, policy.required_minutes[TrainingGroup.MEMBER],
                          policy.hours_per_day)),
    ]
    previous, current = rules.counting_years(today)
    rows = [
        [button(t.as_plain("✅ Verify ({n})", n=pending), "tr", "q", org_id, 0)],
        [button(t.as_plain("⚠️ Who is behind ({n})", n=len(late)), "tr", "bh", org_id, 0)],
        [button(t("📊 Secretaries on track"), "tr", "ov", org_id, current)],
        [button(t.as_plain("📤 Export {year}", year=current), "tr", "x", org_id, current),
         button(t.as_plain("📤 Export {year}", year=previous), "tr", "x", org_id, previous)],
    ]
    if org.kind in MEMBER_KINDS:
        rows.insert(1, [button(t("👥 Log for members"), "tr", "bulk", org_id)])
    if actor.is_admin:
        rows.append([button(t("🎯 Yearly requirement"), "tr", "rq", org_id)])
    if several:
        rows.append([button(t("‹ Organizations"), "tr", "bpick", 0)])
    await show(update, html_join("\n", lines), reply_markup=keyboard(rows))


async def show_panel(update: Update, context: BranchContext) -> None:
    """tr:br:<org>."""
    assert update.callback_query is not None
    (_, org_id) = cb_args(update.callback_query.data, "tr", str, int)
    await render_panel(update, context, org_id)
    await answer(update)


async def render_queue(update: Update, context: BranchContext, scope: int, page: int) -> None:
    """Records waiting for verification in the scope, oldest first."""
    hpd = context.settings.training_policy.hours_per_day
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "training queue")
        org_ids = await _scope(session, update, actor, scope, "training queue")
        waiting = await store.pending_records(session, org_ids, limit=QUEUE_LIMIT)
    t = translator(actor.language)
    items = [
        button(f"{line.name} · {short(line.record.title)} · "
               f"{hours_figure(line.record.minutes)} h", "tr", "rc", line.record.id)
        for line in waiting
    ]
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
    extra = [[button(t("‹ Branch training"), "tr", "br", scope)]] if scope else []
    await show(update, html_join("\n", text),
               reply_markup=non_empty(paged(t, items, page, ("tr", "q", scope), extra)))


async def show_queue(update: Update, context: BranchContext) -> None:
    """tr:q:<scope>:<page>."""
    assert update.callback_query is not None
    (_, scope, page) = cb_args(update.callback_query.data, "tr", str, int, int)
    await render_queue(update, context, scope, page)
    await answer(update)


async def verify_command(update: Update, context: BranchContext) -> None:
    """/verify: everything the leader may verify."""
    await render_queue(update, context, 0, 0)


async def render_card(
    update: Update, context: BranchContext, record_id: int, note: Html = BLANK, *,
    new: bool = False,
) -> None:
    hpd = context.settings.training_policy.hours_per_day
    async with context.db.session() as session:
        actor, info = await _viewer(session, update, context, record_id, "training card")
    t = translator(actor.language)
    text = card_text(t, info, hpd)
    decide = can_decide(actor, info)
    if not decide and info.person_id == actor.person_id:
        text += "\n" + t(OWN_RECORD)
    if note:
        text = note + "\n\n" + text
    markup = card_keyboard(t, info, decide=decide, back=info.org_id)
    await show(update, text, reply_markup=markup, new=new)


async def show_card(update: Update, context: BranchContext) -> int:
    """tr:rc:<record>: one record for its member's leaders (also leaves a typed step)."""
    assert update.callback_query is not None and context.user_data is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    await render_card(update, context, record_id)
    await answer(update)
    context.user_data.pop(DECIDE, None)
    return ConversationHandler.END


async def verify_record(update: Update, context: BranchContext) -> None:
    """tr:ok:<record>: verified once; the member is told."""
    assert update.callback_query is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    hpd = context.settings.training_policy.hours_per_day
    async with context.db.session() as session:
        actor, info = await _decider(session, update, context, record_id, "verify training")
        require(can_decide(actor, info), update, "verify training")
        applied = await store.decide(session, record_id, approve=True, by=actor.telegram_id)
        fresh = await record_info(session, record_id)
    assert fresh is not None
    await answer(update)
    t = translator(actor.language)
    if not applied:
        await render_card(update, context, record_id,
                          t("This record was already decided or withdrawn."))
        return
    logger.info("user %s verified training record %s", pseudonym(actor.telegram_id), record_id)
    await deliver(context, info.telegram_id, decided_text(translator(info.language), fresh, hpd))
    await render_card(update, context, record_id, t("✅ Verified."))


async def ask_reject_reason(update: Update, context: BranchContext) -> int:
    """tr:no:<record>: the reason is typed next; the member will see it."""
    assert update.callback_query is not None and context.user_data is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    async with context.db.session() as session:
        actor, info = await _decider(session, update, context, record_id, "reject training")
        require(can_decide(actor, info), update, "reject training")
    t = translator(actor.language)
    if info.state is not TrainingState.PENDING:
        raise Refused(ERROR_TEXTS["not_pending"])
    await answer(update)
    context.user_data.pop(DRAFT, None)
    context.user_data[DECIDE] = {"id": record_id}
    await send(
        update,
        t("Why is {title} of {name} not accepted? Type the reason; {name} will see it and can "
          "log it again corrected.", title=info.title, name=info.name),
        reply_markup=keyboard([[button(t("‹ Back"), "tr", "rc", record_id)]]),
    )
    return D_REASON


async def enter_reject_reason(update: Update, context: BranchContext) -> int:
    """The typed reason: rejected once, and the member told."""
    assert update.message is not None and context.user_data is not None
    record_id = draft_id(context, DECIDE)
    if record_id is None:
        return ConversationHandler.END
    hpd = context.settings.training_policy.hours_per_day
    t = tr(update, context)
    reason = clean_text(update.message.text, max_length=MAX_REASON)
    if isinstance(reason, Invalid):
        await send(update, invalid_text(t, reason))
        return D_REASON
    async with context.db.session() as session:
        actor, info = await _decider(session, update, context, record_id, "reject training")
        require(can_decide(actor, info), update, "reject training")
        applied = await store.decide(
            session, record_id, approve=False, by=actor.telegram_id, reason=reason
        )
        fresh = await record_info(session, record_id)
    assert fresh is not None
    context.user_data.pop(DECIDE, None)
    t = translator(actor.language)
    if not applied:
        await render_card(update, context, record_id,
                          t("This record was already decided or withdrawn."), new=True)
        return ConversationHandler.END
    logger.info("user %s rejected training record %s", pseudonym(actor.telegram_id), record_id)
    await deliver(
        context, info.telegram_id, decided_text(translator(info.language), fresh, hpd, reason)
    )
    await render_card(update, context, record_id, t("❌ Not accepted; {name} was told.",
                                                    name=info.name), new=True)
    return ConversationHandler.END


async def ask_fixed_length(update: Update, context: BranchContext) -> int:
    """tr:fx:<record>: the correct length is typed next (the change is audited)."""
    assert update.callback_query is not None and context.user_data is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    hpd = context.settings.training_policy.hours_per_day
    async with context.db.session() as session:
        actor, info = await _decider(session, update, context, record_id, "correct training")
        require(can_decide(actor, info), update, "correct training")
    t = translator(actor.language)
    if info.state not in (TrainingState.PENDING, TrainingState.VERIFIED):
        raise Refused(ERROR_TEXTS["not_editable"])
    await answer(update)
    context.user_data.pop(DRAFT, None)
    context.user_data[DECIDE] = {"id": record_id}
    await send(
        update,
        t("How long was {title} of {name}? Now {length}. Type the hours, for example 4 or 1.5, "
          "or days like 2 days.", title=info.title, name=info.name,
          length=duration(t, info.minutes, hpd)),
        reply_markup=keyboard([[button(t("‹ Back"), "tr", "rc", record_id)]]),
    )
    return D_HOURS


async def enter_fixed_length(update: Update, context: BranchContext) -> int:
    """The typed length: the record is corrected (audited) and its member told."""
    assert update.message is not None and context.user_data is not None
    record_id = draft_id(context, DECIDE)
    if record_id is None:
        return ConversationHandler.END
    tz = context.settings.tzinfo
    hpd = context.settings.training_policy.hours_per_day
    today = local_today(tz)
    t = tr(update, context)
    minutes = rules.parse_length(update.message.text, DurationUnit.HOURS, hpd)
    if minutes is None:
        await send(update, t("Please type a number, for example 6 or 1.5."))
        return D_HOURS
    async with context.db.session() as session:
        actor, info = await _decider(session, update, context, record_id, "correct training")
        require(can_decide(actor, info), update, "correct training")
        t = translator(actor.language)
        draft = {"start": info.starts_on.isoformat(), "end": info.ends_on.isoformat(),
                 "year": None}
        problem = minutes if isinstance(minutes, TrainingProblem) else None
        if problem is None:
            assert isinstance(minutes, int)
            try:
                await store.edit_training(
                    session, record_id,
                    TrainingDraft(title=info.title, kind=info.kind, starts_on=info.starts_on,
                                  ends_on=info.ends_on, minutes=minutes,
                                  organizer=info.organizer),
                    by=actor.telegram_id, today=today, reason="length corrected by a leader",
                )
            except store.TrainingError as error:
                try:
                    problem = TrainingProblem(error.code)
                except ValueError:
                    raise Refused(ERROR_TEXTS.get(error.code, STALE_BUTTON)) from None
        fresh = await record_info(session, record_id) if problem is None else None
    if problem is not None:
        await send(update, problem_text(t, problem, draft, today))
        return D_HOURS
    assert fresh is not None
    context.user_data.pop(DECIDE, None)
    logger.info("user %s corrected training record %s", pseudonym(actor.telegram_id), record_id)
    await deliver(context, info.telegram_id,
                  corrected_text(translator(info.language), fresh, info.minutes, hpd))
    await render_card(
        update, context, record_id,
        t("✏️ Corrected: {before} → {after}.", before=duration(t, info.minutes, hpd),
          after=duration(t, fresh.minutes, hpd)),
        new=True,
    )
    return ConversationHandler.END


async def send_evidence(update: Update, context: BranchContext) -> None:
    """tr:ev:<record>: the record's photos and files, for its member and their leaders."""
    assert update.callback_query is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        info = await record_info(session, record_id)
        if info is None:
            raise Refused(STALE_BUTTON)
        own = actor.person_id is not None and actor.person_id == info.person_id
        leads = actor.is_admin if info.org_id is None else can_manage_org(actor, info.org_id)
        require(own or leads, update, "training evidence")
    await answer(update)
    t = translator(actor.language)
    chat = reply_chat(update)
    caption = t("Evidence of {title} ({name})", title=info.title, name=info.name)
    for file_id, mime, name in info.evidence:
        try:
            if name is None and mime.startswith("image/"):
                await chat.send_photo(file_id, caption=caption)
            else:
                await chat.send_document(file_id, caption=caption)
        except TelegramError as exc:
            logger.warning("could not send evidence of record %s: %s", record_id, exc)
            await send(update, t("Sorry, a file could not be sent: {name}.",
                                 name=name or t("photo")))


# ---------------------------------------------------------------------------------------
# Who is behind, secretaries on track, the export
# ---------------------------------------------------------------------------------------


def behind_lines(
    t: Translator, rows: Sequence[store.BehindRow], page: int, hours_per_day: int,
    *, with_org: bool,
) -> tuple[list[Html], int]:
    pages = max(1, -(-len(rows) // BEHIND_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = []
    start = page * BEHIND_PER_PAGE
    for number, row in enumerate(rows[start : start + BEHIND_PER_PAGE], start=start + 1):
        name = row.name + (f" ({row.org_name})" if with_org else "")
        lines.append(t(
            "{number}. {name} · {role}: {done} of {due} due, {gap} short",
            number=number, name=name, role=t(ROLE_LABELS[row.role]),
            done=duration(t, row.counted, hours_per_day),
            due=due_duration(t, row.target, hours_per_day),
            gap=due_duration(t, row.gap, hours_per_day),
        ) + (study_part(t, row, hours_per_day) or ""))
    return lines, pages


async def render_behind(update: Update, context: BranchContext, scope: int, page: int) -> None:
    """Members and committee members below the pro-rata target today, biggest gap first."""
    tz = context.settings.tzinfo
    policy = context.settings.training_policy
    today = local_today(tz)
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "training behind")
        org_ids = await _scope(session, update, actor, scope, "training behind")
        rows = await store.behind(session, org_ids, today, tz=tz, policy=policy)
    t = translator(actor.language)
    elapsed, total = rules.elapsed_days(today, today.year)
    lines, pages = behind_lines(t, rows, page, policy.hours_per_day,
                                with_org=len({row.org_id for row in rows}) > 1)
    text = [
        t("⚠️ <b>Below the pro-rata training target on {date}</b>", date=today.isoformat()),
        t("Due by today is the yearly requirement × {share} of the year gone; biggest gap "
          "first.", share=percent(elapsed / total)),
        t("Below the target: {n}", n=len(rows)),
        BLANK,
    ]
    if not rows:
        text.append(t("Everyone is on track."))
    text += lines
    nav: list[InlineKeyboardButton] = []
    page = min(max(page, 0), pages - 1)
    if page > 0:
        nav.append(button(t("‹ Previous"), "tr", "bh", scope, page - 1))
    if pages > 1:
        nav.append(button(f"{page + 1}/{pages}", "tr", "bh", scope, page))
    if page < pages - 1:
        nav.append(button(t("Next ›"), "tr", "bh", scope, page + 1))
    rows_markup = [nav]
    if scope:
        rows_markup.append([button(t("‹ Branch training"), "tr", "br", scope)])
    await show(update, fit(text), reply_markup=non_empty(keyboard(rows_markup)))


async def show_behind(update: Update, context: BranchContext) -> None:
    """tr:bh:<scope>:<page>."""
    assert update.callback_query is not None
    (_, scope, page) = cb_args(update.callback_query.data, "tr", str, int, int)
    await render_behind(update, context, scope, page)
    await answer(update)


async def behind_command(update: Update, context: BranchContext) -> None:
    """/behind: everyone below the target in what the leader runs."""
    await render_behind(update, context, 0, 0)


async def show_on_track(update: Update, context: BranchContext) -> None:
    """tr:ov:<org>:<year>: secretaries whose counted training reaches the pro-rata target."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, org_id, year) = cb_args(data, "tr", str, int, int)
    year = _counting_year(context, data, year)
    tz = context.settings.tzinfo
    policy = context.settings.training_policy
    today = local_today(tz)
    on = today if year == today.year else date(year, 12, 31)
    async with context.db.session() as session:
        actor, org = await _org(session, update, context, org_id, "secretaries on track")
        report = await store.secretaries_on_track(session, org_id, on, tz=tz, policy=policy)
    await answer(update)
    t = translator(actor.language)
    hpd = policy.hours_per_day
    text = [
        t("📊 <b>Secretaries on track · {org}</b> ({year})", org=org.name, year=year),
        t("A secretary owes {required} of {kinds} a year (unless an organization sets "
          "otherwise); on track means at least the pro-rata share by {date}.",
          required=duration(t, policy.required_minutes[TrainingGroup.LEADER], hpd),
          kinds=counted_kinds_text(t, policy, TrainingGroup.LEADER), date=on.isoformat()),
        *[line for line in [leaders_also_owe(t, policy)] if line is not None],
        t("On track: {on_track} of {total} secretaries ({share})", on_track=report.on_track,
          total=report.secretaries, share=percent(report.share)),
        BLANK,
    ]
    if not report.rows:
        text.append(t("No secretaries yet."))
    for row in report.rows:
        mark = "✅" if row.on_track == row.secretaries else "⚠️"
        text.append(t("{mark} {org}: {on_track} of {total}", mark=mark, org=row.org_name,
                      on_track=row.on_track, total=row.secretaries))
    previous, current = rules.counting_years(today)
    rows = [
        [button(("• " if y == year else "") + label, "tr", "ov", org_id, y)
         for y, label in ((current, t("This year")), (previous, t("Last year")))],
        [button(t("‹ Branch training"), "tr", "br", org_id)],
    ]
    await show(update, fit(text), reply_markup=keyboard(rows))


async def export_year(update: Update, context: BranchContext) -> None:
    """tr:x:<org>:<year>: the year's record per member and per course, as .xlsx."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, org_id, year) = cb_args(data, "tr", str, int, int)
    year = _counting_year(context, data, year)
    tz = context.settings.tzinfo
    policy = context.settings.training_policy
    today = local_today(tz)
    async with context.db.session() as session:
        actor, org = await _org(session, update, context, org_id, "training export")
        org_ids = await org_store.descendant_ids(session, {org_id})
        exported = await store.export_data(
            session, org_ids, year, org_name=org.name, tz=tz, policy=policy,
            on=today if year == today.year else None,
        )
    await answer(update)
    t = translator(actor.language)
    chat = reply_chat(update)
    try:
        await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:
        logger.info("chat action failed: %s", exc)
    texts = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}
    workbook = await asyncio.to_thread(
        build_workbook, exported, texts, training_kind_labels(t), training_group_labels(t)
    )
    await chat.send_document(
        InputFile(io.BytesIO(workbook), filename=f"training-{org_id}-{year}.xlsx"),
        caption=t("Training record of {org}, {year}: {members} members, {courses} courses.",
                  org=org.name, year=year, members=len(exported.members),
                  courses=len(exported.courses)),
    )


# ---------------------------------------------------------------------------------------
# A member adds evidence to a pending record of theirs ("training", state E_FILE)
# ---------------------------------------------------------------------------------------

LATE_EVIDENCE_CLOSED = N_(
    "Files can be added only while a record waits for verification. A verified record is "
    "changed by a leader of your branch; a record not accepted is logged again, corrected."
)


async def _own_open_record(
    session: AsyncSession, update: Update, context: BranchContext, record_id: int
) -> tuple[Actor, RecordInfo]:
    """The presser's own record, still waiting for verification."""
    actor = await current_actor(session, update, context)
    info = await record_info(session, record_id)
    if info is None:
        raise Refused(STALE_BUTTON)
    require(actor.person_id is not None and actor.person_id == info.person_id, update,
            "add training evidence")
    if info.state is not TrainingState.PENDING:
        raise Refused(LATE_EVIDENCE_CLOSED)
    return actor, info


def _late_evidence_markup(t: Translator) -> InlineKeyboardMarkup:
    return keyboard([[button(t("Done"), "tr", "ead")]])


async def start_late_evidence(update: Update, context: BranchContext) -> int:
    """tr:ea:<record>: files for one of my records while it waits for verification."""
    assert update.callback_query is not None and context.user_data is not None
    (_, record_id) = cb_args(update.callback_query.data, "tr", str, int)
    limit = context.settings.training_policy.evidence_max_bytes
    async with context.db.session() as session:
        actor, info = await _own_open_record(session, update, context, record_id)
    await answer(update)
    t = translator(actor.language)
    if len(info.evidence) >= MAX_FILES:
        await send(update, t("{title} already has {n} files, the most a record can have.",
                             title=info.title, n=MAX_FILES))
        return ConversationHandler.END
    context.user_data.pop(DRAFT, None)
    context.user_data.pop(DECIDE, None)
    context.user_data[EVIDENCE] = {"id": record_id}
    await send(
        update,
        t("Send a photo of the certificate or a PDF for {title} (at most {mb} MB each; it has "
          "{n} file(s) now, up to {max}).", title=info.title, mb=_megabytes(limit),
          n=len(info.evidence), max=MAX_FILES),
        reply_markup=_late_evidence_markup(t),
    )
    return E_FILE


async def add_late_evidence(update: Update, context: BranchContext) -> int:
    """A photo or PDF for the record: checked as Telegram reports it, kept (audited)."""
    assert update.message is not None
    record_id = draft_id(context, EVIDENCE)
    if record_id is None:
        return ConversationHandler.END
    policy = context.settings.training_policy
    file = evidence_of(update.message)
    problem = (
        rules.EvidenceProblem.NOT_IMAGE_OR_PDF
        if file is None
        else rules.validate_evidence(file.mime_type, file.size_bytes,
                                     max_bytes=policy.evidence_max_bytes)
    )
    async with context.db.session() as session:
        actor, info = await _own_open_record(session, update, context, record_id)
        t = translator(actor.language)
        full = len(info.evidence) >= MAX_FILES
        if problem is None and file is not None and not full:
            await store.add_evidence(session, record_id, file, by=actor.telegram_id,
                                     policy=policy)
    if full:
        await send(update, t("At most {n} files per record. Press Done.", n=MAX_FILES),
                   reply_markup=_late_evidence_markup(t))
        return E_FILE
    if problem is not None or file is None:
        message = EVIDENCE_TEXTS[problem or rules.EvidenceProblem.NOT_IMAGE_OR_PDF]
        size = file.size_bytes if file is not None and file.size_bytes else 0
        await send(update, t(message, size=_megabytes(size),
                             limit=_megabytes(policy.evidence_max_bytes)),
                   reply_markup=_late_evidence_markup(t))
        return E_FILE
    logger.info("user %s added evidence to training record %s", pseudonym(actor.telegram_id),
                record_id)
    await send(
        update,
        t("📎 Added to {title}: {name}. Send another, or press Done.", title=info.title,
          name=file.file_name or t("photo")),
        reply_markup=_late_evidence_markup(t),
    )
    return E_FILE


async def late_evidence_expected(update: Update, context: BranchContext) -> int:
    """Text while files are expected: say what is expected."""
    t = tr(update, context)
    await send(update, t("Please send a photo or a PDF, or press the button below."),
               reply_markup=_late_evidence_markup(t))
    return E_FILE


async def finish_late_evidence(update: Update, context: BranchContext) -> int:
    """tr:ead: no more files; back to my year."""
    assert context.user_data is not None
    context.user_data.pop(EVIDENCE, None)
    await answer(update)
    await drop_buttons(update)
    await render_year(update, context, local_today(context.settings.tzinfo).year, new=True)
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# Admins: an organization's yearly requirement ("training", states R_HOURS, R_CONFIRM)
# ---------------------------------------------------------------------------------------

GROUP_CODES = {group.value: group for group in TrainingGroup}


def _group_arg(data: str | None, value: str) -> TrainingGroup:
    group = GROUP_CODES.get(value)
    if group is None:
        raise BadCallback(data)
    return group


async def _requirement_org(
    session: AsyncSession, update: Update, context: BranchContext, org_id: int
) -> tuple[Actor, PartyOrganization]:
    """Only the upper level (configured admins) sets requirements."""
    actor = await current_actor(session, update, context)
    require(actor.is_admin, update, "training requirement")
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    return actor, org


def source_text(t: Translator, source: store.RequirementSource, org_id: int) -> Html:
    if source.org_id is None:
        return t("default of this deployment")
    if source.org_id == org_id:
        return t("set here")
    return t("inherited from {org}", org=source.org_name or "")


async def render_requirement(
    update: Update, context: BranchContext, org_id: int, note: Html = BLANK, *, new: bool = False
) -> None:
    """What each group owes a year in <org>, where that is set, and buttons to change it."""
    policy = context.settings.training_policy
    hpd = policy.hours_per_day
    async with context.db.session() as session:
        actor, org = await _requirement_org(session, update, context, org_id)
        sources = await store.requirement_sources(session, org_id, policy=policy)
    t = translator(actor.language)
    lines = [note, BLANK] if note else []
    lines.append(t("🎯 <b>Yearly training requirement · {org}</b>", org=org.name))
    rows: list[list[InlineKeyboardButton]] = []
    for group in TrainingGroup:
        source = sources[group]
        label = t(TRAINING_GROUP_LABELS[group])
        lines.append(t("{group}: {length} ({source})", group=label,
                       length=duration(t, source.minutes, hpd),
                       source=source_text(t, source, org_id)))
        row = [button(t.as_plain("✏️ Set: {group}", group=label), "tr", "rs", org_id, group.value)]
        if source.org_id == org_id:
            row.append(button(t.as_plain("↩ Clear: {group}", group=label), "tr", "rx", org_id,
                              group.value))
        rows.append(row)
    lines.append(t("A value set here holds for every organization below it that sets none."))
    rows.append([button(t("‹ Branch training"), "tr", "br", org_id)])
    await show(update, html_join("\n", lines), reply_markup=keyboard(rows), new=new)


async def show_requirement(update: Update, context: BranchContext) -> int:
    """tr:rq:<org> (also leaves a typed requirement)."""
    assert update.callback_query is not None and context.user_data is not None
    (_, org_id) = cb_args(update.callback_query.data, "tr", str, int)
    await render_requirement(update, context, org_id)
    await answer(update)
    context.user_data.pop(REQUIREMENT, None)
    return ConversationHandler.END


async def ask_requirement(update: Update, context: BranchContext) -> int:
    """tr:rs:<org>:<group>: the yearly hours (or days) are typed next."""
    assert update.callback_query is not None and context.user_data is not None
    data = update.callback_query.data
    (_, org_id, value) = cb_args(data, "tr", str, int, str)
    group = _group_arg(data, value)
    policy = context.settings.training_policy
    hpd = policy.hours_per_day
    async with context.db.session() as session:
        actor, org = await _requirement_org(session, update, context, org_id)
        sources = await store.requirement_sources(session, org_id, policy=policy)
    await answer(update)
    t = translator(actor.language)
    context.user_data.pop(DRAFT, None)
    context.user_data.pop(DECIDE, None)
    context.user_data[REQUIREMENT] = {"org": org_id, "group": group.value}
    await send(
        update,
        t("How much training must {group} of {org} do a year? Now {length}. Type hours, for "
          "example 24, or days like 3 days (a day counts {hours} hours).",
          group=t(TRAINING_GROUP_LABELS[group]), org=org.name,
          length=duration(t, sources[group].minutes, hpd), hours=hpd),
        reply_markup=keyboard([[button(t("‹ Back"), "tr", "rq", org_id)]]),
    )
    return R_HOURS


def _requirement_draft(context: BranchContext) -> tuple[int, TrainingGroup, dict[str, Any]]:
    assert context.user_data is not None
    draft = context.user_data.get(REQUIREMENT)
    if (not isinstance(draft, dict) or not isinstance(draft.get("org"), int)
            or draft.get("group") not in GROUP_CODES):
        raise Refused(STALE_BUTTON)
    return int(draft["org"]), GROUP_CODES[draft["group"]], draft


async def enter_requirement(update: Update, context: BranchContext) -> int:
    """The typed yearly length: checked, then confirmed."""
    assert update.message is not None
    org_id, group, draft = _requirement_draft(context)
    policy = context.settings.training_policy
    hpd = policy.hours_per_day
    async with context.db.session() as session:
        actor, org = await _requirement_org(session, update, context, org_id)
        sources = await store.requirement_sources(session, org_id, policy=policy)
    t = translator(actor.language)
    minutes = rules.parse_length(update.message.text, DurationUnit.HOURS, hpd)
    if minutes is None:
        await send(update, t("Please type a number, for example 24 or 3 days."))
        return R_HOURS
    if minutes is TrainingProblem.NOT_POSITIVE or minutes == 0:
        await send(update, t("The requirement must be more than zero. Please type the hours "
                             "again, for example 24."))
        return R_HOURS
    if isinstance(minutes, TrainingProblem) or minutes > store.MAX_REQUIRED_MINUTES:
        await send(update, t("That is more than {max} a year; please check the number (hours "
                             "a year, not minutes) and type it again.",
                             max=duration(t, store.MAX_REQUIRED_MINUTES, hpd)))
        return R_HOURS
    draft["minutes"] = minutes
    await send(
        update,
        t("Set the yearly requirement of {group} in {org} (and below, where nothing else is "
          "set): {before} → {after}?", group=t(TRAINING_GROUP_LABELS[group]), org=org.name,
          before=duration(t, sources[group].minutes, hpd), after=duration(t, minutes, hpd)),
        reply_markup=keyboard([[button(t("✅ Confirm"), "tr", "rok")],
                               [button(t("‹ Back"), "tr", "rq", org_id)]]),
    )
    return R_CONFIRM


async def confirm_requirement(update: Update, context: BranchContext) -> int:
    """tr:rok: store the typed requirement (audited)."""
    assert context.user_data is not None
    org_id, group, draft = _requirement_draft(context)
    minutes = draft.get("minutes")
    if not isinstance(minutes, int):
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor, _org = await _requirement_org(session, update, context, org_id)
        try:
            await store.set_requirement(session, org_id, group, minutes, by=actor.telegram_id)
        except store.TrainingError as error:
            raise Refused(ERROR_TEXTS.get(error.code, STALE_BUTTON)) from None
    await answer(update)
    await drop_buttons(update)
    context.user_data.pop(REQUIREMENT, None)
    logger.info("admin %s set the %s requirement of org %s to %s min", pseudonym(actor.telegram_id),
                group.value, org_id, minutes)
    t = translator(actor.language)
    await render_requirement(update, context, org_id, t("✅ Saved."), new=True)
    return ConversationHandler.END


async def ask_clear_requirement(update: Update, context: BranchContext) -> None:
    """tr:rx:<org>:<group>: confirm before the override is removed."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, org_id, value) = cb_args(data, "tr", str, int, str)
    group = _group_arg(data, value)
    async with context.db.session() as session:
        actor, org = await _requirement_org(session, update, context, org_id)
    await answer(update)
    t = translator(actor.language)
    await show(
        update,
        t("Remove the yearly requirement of {group} set in {org}? It then follows the level "
          "above (or the deployment default).", group=t(TRAINING_GROUP_LABELS[group]),
          org=org.name),
        reply_markup=keyboard([[button(t("↩ Yes, remove it"), "tr", "rxy", org_id, group.value)],
                               [button(t("‹ Back"), "tr", "rq", org_id)]]),
    )


async def clear_requirement(update: Update, context: BranchContext) -> None:
    """tr:rxy:<org>:<group>: remove the override (audited)."""
    assert update.callback_query is not None
    data = update.callback_query.data
    (_, org_id, value) = cb_args(data, "tr", str, int, str)
    group = _group_arg(data, value)
    async with context.db.session() as session:
        actor, _org = await _requirement_org(session, update, context, org_id)
        changed = await store.set_requirement(session, org_id, group, None, by=actor.telegram_id)
    await answer(update)
    t = translator(actor.language)
    await render_requirement(update, context, org_id,
                             t("↩ Removed.") if changed else t("Nothing was set here."))


# ---------------------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------------------


def register(app: Application) -> None:
    """The training conversation, /training, /verify, /behind and the buttons."""
    # One conversation for every typed step, so that starting one flow (an entry point,
    # allow_reentry) always leaves another: a reason typed for a rejection can never land
    # in a half-finished log, nor a title in a rejection.
    conversation = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(start_log, pattern=cb_pattern("tr:log")),
            CallbackQueryHandler(start_bulk, pattern=cb_pattern("tr:bulk")),
            CallbackQueryHandler(ask_reject_reason, pattern=cb_pattern("tr:no")),
            CallbackQueryHandler(ask_fixed_length, pattern=cb_pattern("tr:fx")),
            CallbackQueryHandler(start_late_evidence, pattern=cb_pattern("tr:ea")),
            CallbackQueryHandler(ask_requirement, pattern=cb_pattern("tr:rs")),
        ],
        states={
            L_PICK: [
                CallbackQueryHandler(pick_member, pattern=r"^tr:(pk|pp):\d+$"),
                CallbackQueryHandler(pick_member, pattern=r"^tr:(pa|pn)$"),
                CallbackQueryHandler(pick_done, pattern=r"^tr:pd$"),
            ],
            L_KIND: [CallbackQueryHandler(choose_kind, pattern=cb_pattern("tr:k"))],
            L_TITLE: [MessageHandler(TEXT_INPUT, enter_title)],
            L_ORGANIZER: [
                MessageHandler(TEXT_INPUT, enter_organizer),
                CallbackQueryHandler(enter_organizer, pattern=r"^tr:skip$"),
            ],
            L_START: [
                *START_STEP.handlers(TEXT_INPUT),
                CallbackQueryHandler(press_start_day, pattern=cb_pattern("tr:day")),
                CallbackQueryHandler(retype_title, pattern=r"^tr:rt$"),
            ],
            L_END: [
                *END_STEP.handlers(TEXT_INPUT),
                CallbackQueryHandler(press_same_day, pattern=r"^tr:same$"),
            ],
            L_AMOUNT: [
                MessageHandler(TEXT_INPUT, enter_amount),
                CallbackQueryHandler(enter_amount, pattern=r"^tr:span$"),
                CallbackQueryHandler(switch_unit, pattern=cb_pattern("tr:unit")),
            ],
            L_EVIDENCE: [
                MessageHandler(filters.ATTACHMENT, add_evidence),
                MessageHandler(TEXT_INPUT, evidence_expected),
                CallbackQueryHandler(evidence_done, pattern=r"^tr:evd$"),
            ],
            L_CONFIRM: [CallbackQueryHandler(submit, pattern=r"^tr:(go|gov)$")],
            D_REASON: [MessageHandler(TEXT_INPUT, enter_reject_reason)],
            D_HOURS: [MessageHandler(TEXT_INPUT, enter_fixed_length)],
            R_HOURS: [MessageHandler(TEXT_INPUT, enter_requirement)],
            R_CONFIRM: [CallbackQueryHandler(confirm_requirement, pattern=r"^tr:rok$")],
            E_FILE: [
                MessageHandler(filters.ATTACHMENT, add_late_evidence),
                MessageHandler(TEXT_INPUT, late_evidence_expected),
                CallbackQueryHandler(finish_late_evidence, pattern=r"^tr:ead$"),
            ],
        },
        fallbacks=[CallbackQueryHandler(show_card, pattern=cb_pattern("tr:rc")),
                   CallbackQueryHandler(show_requirement, pattern=cb_pattern("tr:rq")),
                   *step_fallbacks()],
        name="training",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CommandHandler("training", show_training))
    app.add_handler(CommandHandler("verify", verify_command))
    app.add_handler(CommandHandler("behind", behind_command))
    callbacks = {
        "tr:y": show_year,
        "tr:wd": withdraw_record,
        "tr:bpick": choose_panels,
        "tr:br": show_panel,
        "tr:q": show_queue,
        "tr:rc": show_card,
        "tr:ok": verify_record,
        "tr:ev": send_evidence,
        "tr:bh": show_behind,
        "tr:ov": show_on_track,
        "tr:x": export_year,
        "tr:rq": show_requirement,
        "tr:rx": ask_clear_requirement,
        "tr:rxy": clear_requirement,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    COMMAND_CALLBACKS.update(training=show_training, verify=verify_command,
                             behind=behind_command)

