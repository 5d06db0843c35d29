"""Buttons, lengths, a record's card and where people stand, for training (pure: no Telegram
calls, no database)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.access.training import OWN_RECORD, RecordInfo
from handlers.kit.buttons import BadCallback, ButtonData, OrgId, PersonId, TrainingId
from handlers.kit.chat import NOT_ALLOWED
from handlers.kit.files import megabytes
from handlers.kit.flows import Rows
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_format, html_join
from handlers.kit.ui import figure, keyboard
from handlers.kit.ui import form_button as kit_form_button
from handlers.labels import LIST_SEPARATOR, TRAINING_STATE_LABELS, training_kind_label
from rules import training as rules
from rules.training import EvidenceProblem, Progress, TrainingDraft, TrainingPolicy
from rules.vocabulary import TrainingGroup, TrainingKind, TrainingState

# A member's year and records


class ShowYear(ButtonData, prefix="tr:y"):
    """My training year (this year or last year only)."""

    year: int


class LogTraining(ButtonData, prefix="tr:log"):
    """Log a training of mine counted in `year`."""

    year: int


class Withdraw(ButtonData, prefix="tr:wd"):
    """Withdraw a pending record of my own."""

    record: TrainingId


class AddFiles(ButtonData, prefix="tr:ea"):
    """Add evidence to my own pending record."""

    record: TrainingId


class FilesDone(ButtonData, prefix="tr:ead"):
    """No more evidence for that record."""


# Logging a training (the steps of the flow)


class PickMember(ButtonData, prefix="tr:pk"):
    person: PersonId


class PickPage(ButtonData, prefix="tr:pp"):
    page: int


class PickAll(ButtonData, prefix="tr:pa"):
    """Tick every member (or, `ticked` off, untick everyone)."""

    ticked: bool


class PickDone(ButtonData, prefix="tr:pd"):
    """The members are chosen; then the kind."""


class SkipOrganizer(ButtonData, prefix="tr:skip"):
    """No organizer."""


class StartDay(ButtonData, prefix="tr:day"):
    """Today (or yesterday) as the first day."""

    yesterday: bool


class RetypeTitle(ButtonData, prefix="tr:rt"):
    """The course was already logged under this title: type another."""


class SameDay(ButtonData, prefix="tr:same"):
    """It ended the day it started."""


class WholeSpan(ButtonData, prefix="tr:span"):
    """Every day of the span, a full day each."""


class SwitchUnit(ButtonData, prefix="tr:unit"):
    """The typed number is hours, or days."""

    unit: Literal["h", "d"]


class EvidenceDone(ButtonData, prefix="tr:evd"):
    """No (more) evidence: the summary."""


class Submit(ButtonData, prefix="tr:go"):
    """Log it (for many: verify later)."""


class SubmitVerified(ButtonData, prefix="tr:gov"):
    """Log it for many, verified at once."""


# Leaders: the panel, the queue, a record


class ChoosePanel(ButtonData, prefix="tr:bpick"):
    """The organizations whose training a leader can see."""

    page: int


class ShowPanel(ButtonData, prefix="tr:br"):
    org: OrgId


class LogForMembers(ButtonData, prefix="tr:bulk"):
    """Log one training for many members of `org`."""

    org: OrgId


class ShowQueue(ButtonData, prefix="tr:q"):
    """Records waiting for verification in an organization and below (0: all I lead)."""

    scope: OrgId
    page: int


class ShowRecord(ButtonData, prefix="tr:rc"):
    record: TrainingId


class VerifyRecord(ButtonData, prefix="tr:ok"):
    record: TrainingId


class RejectRecord(ButtonData, prefix="tr:no"):
    """Reject: the reason is typed next."""

    record: TrainingId


class CorrectLength(ButtonData, prefix="tr:fx"):
    """Correct the length: typed next."""

    record: TrainingId


class SendEvidence(ButtonData, prefix="tr:ev"):
    """The record's files, for its member or their leaders."""

    record: TrainingId


class ShowBehind(ButtonData, prefix="tr:bh"):
    """Who is below the pro-rata target today (scope as in ShowQueue)."""

    scope: OrgId
    page: int


class ShowOnTrack(ButtonData, prefix="tr:ov"):
    """Secretaries on track, per organization below `org`."""

    org: OrgId
    year: int


class ExportYear(ButtonData, prefix="tr:x"):
    """The year's training record as .xlsx."""

    org: OrgId
    year: int


# Admins: the yearly requirement


class ShowRequirement(ButtonData, prefix="tr:rq"):
    org: OrgId


class SetRequirement(ButtonData, prefix="tr:rs"):
    """Set it for a group: the hours are typed next."""

    org: OrgId
    group: TrainingGroup


class ConfirmRequirement(ButtonData, prefix="tr:rok"):
    """Store the typed requirement."""


class ClearRequirement(ButtonData, prefix="tr:rx"):
    """Ask before an override is cleared."""

    org: OrgId
    group: TrainingGroup


class ClearedRequirement(ButtonData, prefix="tr:rxy"):
    """Clear it: confirmed."""

    org: OrgId
    group: TrainingGroup


MY_TRAINING = N_("📚 My training")
TRAINING_FORM_PATH = "/app/training"  # served by bot/web/forms/training.py


def form_button(t: Translator, base_url: str | None, year: int) -> InlineKeyboardButton | None:
    """The log form (a Mini App) for this year, when the bot has a public (https) address."""
    return kit_form_button(t, base_url, TRAINING_FORM_PATH, N_("📝 Log with a form"), year=year)


def many_form_button(t: Translator, base_url: str | None, org: int
                     ) -> InlineKeyboardButton | None:
    """The form logging one training for many members of `org` (its leaders), as the chat's."""
    return kit_form_button(t, base_url, TRAINING_FORM_PATH, N_("📝 Log for members with a form"),
                           org=org)



NOT_REGISTERED = N_("Training is for registered members. Register with /start.")
NOT_APPROVED = N_(
    "Your registration is waiting for approval; you can log training once you are approved."
)
LESSONS_COUNT = N_(
    "ℹ️ Party lessons you attend in this bot count automatically (from your check-in), "
    "so do not log them again."
)
ERROR_TEXTS = {
    "duplicate": N_("This training is already logged (same title and first day)."),
    "not_editable": N_("This record can no longer be changed."),
    "not_pending": N_("This record is no longer waiting for verification."),
    "own_record": OWN_RECORD,
    "not_owner": NOT_ALLOWED,
    "reason_needed": N_("Please type the reason."),
    "reason_too_long": N_("That reason is too long (at most {limit} characters)."),
    "no_members": N_("Choose at least one member."),
}  # any other code (unknown_person, not_found): STALE_BUTTON
TYPE_A_NUMBER = N_("Please type a number, for example 6 or 1.5.")
BUTTON_TITLE = 28  # characters of a title shown on a button


def hours_figure(minutes: int) -> str:
    """Minutes as a number of hours: 90 -> 1.5, 1440 -> 24, 100 -> 1.67."""
    return figure(Decimal(minutes) / 60, "0.01")


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


def counting_year(today: date, year: int) -> int:
    """This year or last year; any other came from no button of ours."""
    if year not in rules.counting_years(today):
        raise BadCallback(str(year))
    return year


def year_row(t: Translator, today: date, year: int,
             to: Callable[[int], ButtonData]) -> list[InlineKeyboardButton]:
    """This year and last year, the one shown marked."""
    previous, current = rules.counting_years(today)
    return [to(y).button(("• " if y == year else "") + label)
            for y, label in ((current, t("This year")), (previous, t("Last year")))]


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


def length_lines(t: Translator, training: TrainingDraft | RecordInfo,
                 split: Sequence[tuple[int, int]], hours_per_day: int) -> list[Html]:
    """Title, organizer, kind, dates, length and (across New Year) the share of each year."""
    days = (training.ends_on - training.starts_on).days + 1
    lines = [
        t("Title: {title}", title=training.title),
        t("Organizer: {organizer}", organizer=training.organizer or t("not given")),
        t("Kind: {kind}", kind=training_kind_label(t, training.kind)),
        t.plural("Dates: {dates} ({n} day)", "Dates: {dates} ({n} days)", days,
                 dates=day_span(training.starts_on, training.ends_on)),
        t("Length: {length}", length=duration(t, training.minutes, hours_per_day)),
    ]
    if len(split) > 1:
        lines.append(t("Counted per year: {split}", split=html_join(" · ", (
            html_format("{year}: {length}", year=year, length=duration(t, part, hours_per_day))
            for year, part in split
        ))))
    return lines


def card_text(t: Translator, info: RecordInfo, hours_per_day: int, heading: Html = BLANK) -> Html:
    """A record for a leader: whose, what, how long, evidence, state."""
    lines = [heading or t("📚 <b>Training record</b>"), t("Member: {name}", name=info.name)
             + (" · " + info.org_name if info.org_name else "")]
    lines += length_lines(t, info, info.years, hours_per_day)
    lines.append(t.plural("Evidence: {n} file", "Evidence: {n} files", len(info.evidence)))
    lines.append(t("State: {state}", state=t(TRAINING_STATE_LABELS[info.state])))
    if info.state is TrainingState.REJECTED and info.reject_reason:
        lines.append(t("Reason: {reason}", reason=info.reject_reason))
    return html_join("\n", lines)


def card_keyboard(
    t: Translator, info: RecordInfo, *, decide: bool, back: int | None = None
) -> InlineKeyboardMarkup:
    """Verify / reject / correct while it waits; the evidence; back to the queue."""
    rows: Rows = []
    if decide and info.state is TrainingState.PENDING:
        rows.append([VerifyRecord(info.id).button(t("✅ Verify")),
                     RejectRecord(info.id).button(t("❌ Reject"))])
    if decide and info.state in (TrainingState.PENDING, TrainingState.VERIFIED):
        rows.append([CorrectLength(info.id).button(t("✏️ Correct the length"))])
    if info.evidence:
        rows.append([SendEvidence(info.id).button(t.as_plain_plural(
            "📎 Evidence ({n} file)", "📎 Evidence ({n} files)", len(info.evidence)))])
    if back is not None:
        rows.append([ShowQueue(OrgId(back), 0).button(t("‹ Waiting for verification"))])
    return keyboard(rows)


def member_note(t: Translator, info: RecordInfo, hours_per_day: int, heading: Html,
                *more: Html) -> Html:
    """What a member is told about their record: a heading, the details, and what follows."""
    return html_join("\n", [heading, *length_lines(t, info, info.years, hours_per_day), *more])


# Where people stand against the yearly requirements (issue 14: the members' yearly study
# binds a leader too)


def other_requirements(t: Translator, standing: Mapping[TrainingGroup, Progress],
                       own: TrainingGroup | None, policy: TrainingPolicy, *, year: int,
                       this_year: bool) -> list[Html]:
    """The requirements binding a person besides their own group's (a leader: the study)."""
    hpd = policy.hours_per_day
    lines: list[Html] = []
    for key, progress in standing.items():
        if key == own:
            continue
        lines.append(t("Also owed, like every member: {required} a year of {kinds}; done and "
                       "counted: {done}",
                       required=duration(t, progress.required, hpd),
                       kinds=counted_kinds_text(t, policy, key),
                       done=duration(t, progress.counted, hpd)))
        if progress.met:
            lines.append(t("✅ This requirement for {year} is met too.", year=year))
        elif this_year and not progress.on_track:
            lines.append(t("⚠️ Still to do: {remaining}; {gap} behind the pro-rata share",
                           remaining=duration(t, progress.remaining, hpd),
                           gap=due_duration(t, progress.gap, hpd)))
        else:
            lines.append(t("Still to do: {remaining}",
                           remaining=duration(t, progress.remaining, hpd)))
    return lines


# Evidence: what a photo or file sent while evidence is expected is answered

MAX_FILES = 5  # evidence files per record
EVIDENCE_TEXTS = {
    EvidenceProblem.NOT_IMAGE_OR_PDF: N_(
        "That is not a photo or a PDF. Please send a photo of the certificate (JPEG, PNG or "
        "WebP) or a PDF file."
    ),
    EvidenceProblem.TOO_LARGE: N_(
        "That file is {size} MB; at most {limit} MB is accepted. Please send a smaller photo "
        "or PDF."
    ),
    EvidenceProblem.EMPTY: N_("That file is empty. Please send the photo or PDF again."),
}


class Heard(BaseModel):
    """What the last message sent while evidence is expected was: the step answers it."""

    kind: Literal["received", "added", "full", "refused", "expected"]
    name: str | None = None
    problem: EvidenceProblem | None = None
    size: int = 0


def heard_text(t: Translator, heard: Heard, max_bytes: int, title: str = "") -> Html:
    """The answer to a file (or text) sent while evidence is expected."""
    if heard.kind == "full":
        return t("At most {n} files per record. Press Done.", n=MAX_FILES)
    if heard.kind == "refused":
        return t(EVIDENCE_TEXTS[heard.problem or EvidenceProblem.NOT_IMAGE_OR_PDF],
                 size=megabytes(heard.size), limit=megabytes(max_bytes))
    if heard.kind == "expected":
        return t("Please send a photo or a PDF, or press the button below.")
    name = heard.name or t("photo")
    if heard.kind == "added":
        return t("📎 Added to {title}: {name}. Send another, or press Done.", title=title,
                 name=name)
    return t("📎 Received: {name}. Send another, or press Done.", name=name)
