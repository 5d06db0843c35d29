"""Buttons, lengths and a record's card for training (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.access.training import OWN_RECORD, RecordInfo
from handlers.kit.buttons import ButtonData, OrgId, PersonId, TrainingId
from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.flows import Rows
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_format, html_join
from handlers.kit.ui import PAGE_SIZE, keyboard
from handlers.labels import LIST_SEPARATOR, TRAINING_STATE_LABELS, training_kind_label
from rules import training as rules
from rules.training import TrainingPolicy
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
    """Tick every member."""


class PickNone(ButtonData, prefix="tr:pn"):
    """Untick everyone."""


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
    "unknown_person": STALE_BUTTON,
    "not_found": STALE_BUTTON,
}
TYPE_A_NUMBER = N_("Please type a number, for example 6 or 1.5.")
BUTTON_TITLE = 28  # characters of a title shown on a button


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


def megabytes(size: int) -> str:
    value = (Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return format(value, "f").rstrip("0").rstrip(".")


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


def paged(
    t: Translator, items: Sequence[InlineKeyboardButton], page: int,
    turn: Callable[[int], ButtonData],
) -> Rows:
    """One button a row, PAGE_SIZE a page, and ‹ › buttons pressing `turn(page)`."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = [[item] for item in items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    nav = nav_row(t, page, pages, turn)
    return [*rows, nav] if nav else rows


def nav_row(
    t: Translator, page: int, pages: int, turn: Callable[[int], ButtonData]
) -> list[InlineKeyboardButton]:
    """‹ page/pages › (nothing for a single page); `page` is within the pages."""
    if pages <= 1:
        return []
    nav = [turn(page - 1).button(t("‹ Previous"))] if page > 0 else []
    nav.append(turn(page).button(f"{page + 1}/{pages}"))
    if page < pages - 1:
        nav.append(turn(page + 1).button(t("Next ›")))
    return nav


def length_lines(
    t: Translator, title: str, organizer: str | None, kind: TrainingKind, starts_on: date,
    ends_on: date, minutes: int, split: Sequence[tuple[int, int]], hours_per_day: int,
) -> list[Html]:
    """Title, organizer, kind, dates, length and (across New Year) the share of each year."""
    days = (ends_on - starts_on).days + 1
    lines = [
        t("Title: {title}", title=title),
        t("Organizer: {organizer}", organizer=organizer or t("not given")),
        t("Kind: {kind}", kind=training_kind_label(t, kind)),
        t.plural("Dates: {dates} ({n} day)", "Dates: {dates} ({n} days)", days,
                 dates=day_span(starts_on, ends_on)),
        t("Length: {length}", length=duration(t, minutes, hours_per_day)),
    ]
    if len(split) > 1:
        lines.append(t("Counted per year: {split}", split=html_join(" · ", (
            html_format("{year}: {length}", year=year, length=duration(t, part, hours_per_day))
            for year, part in split
        ))))
    return lines


def details_lines(t: Translator, info: RecordInfo, hours_per_day: int) -> list[Html]:
    return length_lines(t, info.title, info.organizer, info.kind, info.starts_on, info.ends_on,
                        info.minutes, info.years, hours_per_day)


def card_text(t: Translator, info: RecordInfo, hours_per_day: int, heading: Html = BLANK) -> Html:
    """A record for a leader: whose, what, how long, evidence, state."""
    lines = [heading] if heading else [t("📚 <b>Training record</b>")]
    who = t("Member: {name}", name=info.name)
    if info.org_name:
        who += " · " + info.org_name
    lines.append(who)
    lines += details_lines(t, info, hours_per_day)
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
