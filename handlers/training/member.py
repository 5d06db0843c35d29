"""A member's training: their year (what is required, done, pending and due, by kind, every
record), withdrawing a record that still waits for verification, and evidence: photos and PDFs
as Telegram describes them (never downloaded; a file is kept as Telegram's file id), files added
to a record while it waits for verification, and a record's files sent to its member or their
leaders."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from datetime import date

from telegram import Message
from telegram.ext import filters

from handlers.access.training import access_evidence, access_open_record, access_own_record
from handlers.kit.actions import ANYONE, Act, CommandArgs, Reply
from handlers.kit.buttons import TrainingId
from handlers.kit.files import KeptFile, megabytes, send_kept_files
from handlers.kit.flows import Custom, Entry, Flow, Form, Next
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import fit, keyboard
from handlers.labels import TRAINING_GROUP_LABELS, training_kind_label
from handlers.menu import TEXT_INPUT
from handlers.training import views
from handlers.training.leaders import choose_panels
from handlers.training.views import Rows
from rules import training as rules
from rules.training import EvidenceProblem, TrainingPolicy
from rules.vocabulary import TrainingKind, TrainingState
from storage import training as store

MAX_RECORD_LINES = 60
MAX_WITHDRAW_BUTTONS = 5
BAR_WIDTH = 10
RECORD_MARKS = {
    TrainingState.PENDING: "⏳",
    TrainingState.VERIFIED: "✅",
    TrainingState.REJECTED: "❌",
    TrainingState.WITHDRAWN: "↩",
}
LESSON_MARK = "📖"


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
        text.append(t("Requirement for {group}: {required} a year",
                      group=t(TRAINING_GROUP_LABELS[mine.group]),
                      required=views.duration(t, mine.required, hpd)))
        if policy.counted_kinds[mine.group] != frozenset(TrainingKind):
            text.append(t("Counts toward it: {kinds}",
                          kinds=views.counted_kinds_text(t, policy, mine.group)))
        text.append(t("Done and counted: {done}", done=views.duration(t, mine.counted, hpd)))
        text.append(escape(f"{rules.progress_bar(mine.fraction, BAR_WIDTH)} "
                           f"{views.percent(mine.fraction)}"))
    waiting = sum(mine.pending_by_kind.values())
    if waiting:
        text.append(t("Waiting for verification: {pending}",
                      pending=views.duration(t, waiting, hpd)))
    if mine.group is not None:
        text += progress_lines(t, mine.progress, hpd, year=year, this_year=year == today.year)
    text += views.other_requirements(t, mine.standing, mine.group, policy, year=year,
                                     this_year=year == today.year)
    text += [BLANK, t("<b>By kind</b> (verified)")]
    for kind in TrainingKind:
        pending = mine.pending_by_kind.get(kind, 0)
        values = {"kind": training_kind_label(t, kind), "pending": views.duration(t, pending, hpd),
                  "done": views.duration(t, mine.done_by_kind.get(kind, 0), hpd)}
        text.append(t("· {kind}: {done} (+{pending} waiting)", **values) if pending
                    else t("· {kind}: {done}", **values))
    text += [BLANK, t("<b>Records</b>")]
    if not lines:
        text.append(t("Nothing logged for {year} yet.", year=year))
    shown = list(lines)[-MAX_RECORD_LINES:]
    if len(shown) < len(lines):
        text.append(t("(only the latest {n} are shown)", n=len(shown)))
    text += [record_line(t, line, hpd) for line in shown]
    text += [BLANK, t(views.LESSONS_COUNT)]
    return fit(text)


def progress_lines(
    t: Translator, progress: rules.Progress, hpd: int, *, year: int, this_year: bool
) -> list[Html]:
    """Met, or what is still to do and (this year) whether it is on track."""
    if progress.met:
        return [t("✅ The requirement for {year} is met.", year=year)]
    lines = [t("Still to do: {remaining}", remaining=views.duration(t, progress.remaining, hpd))]
    if this_year and progress.on_track:
        lines.append(t("Due by today (pro-rata): {due} — ✅ on track",
                       due=views.due_duration(t, progress.target, hpd)))
    elif this_year:
        lines.append(t("Due by today (pro-rata): {due} — ⚠️ {gap} behind",
                       due=views.due_duration(t, progress.target, hpd),
                       gap=views.due_duration(t, progress.gap, hpd)))
    return lines


def record_line(t: Translator, line: store.TrainingLine, hours_per_day: int) -> Html:
    mark = LESSON_MARK if line.source == "lesson" else RECORD_MARKS[line.state]
    length = views.duration(t, line.minutes, hours_per_day)
    if line.total_minutes != line.minutes:
        length = t("{part} of {total}", part=length,
                   total=views.duration(t, line.total_minutes, hours_per_day))
    values = {"mark": mark, "dates": views.day_span(line.starts_on, line.ends_on),
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
    t: Translator, year: int, today: date, lines: Sequence[store.TrainingLine], *, leads: bool,
    forms: str | None = None,
) -> Rows:
    form = views.form_button(t, forms, year)
    rows = [[views.LogTraining(year).button(t("➕ Log a training")), *([form] if form else [])],
            views.year_row(t, today, year, views.ShowYear)]
    pending = [line for line in lines
               if line.source == "record" and line.state is TrainingState.PENDING]
    for line in pending[:MAX_WITHDRAW_BUTTONS]:
        withdraw = t.as_plain("↩ Withdraw: {title}", title=views.short(line.title))
        rows.append([views.Withdraw(TrainingId(line.id)).button(withdraw),
                     views.AddFiles(TrainingId(line.id)).button(t("📎 Add a file"))])
    if leads:
        rows.append([views.ChoosePanel(0).button(t("🏢 Branch training"))])
    return rows


def require_member(act: Act) -> int:
    """The actor's person id: training is for approved members."""
    if not act.actor.is_member or act.actor.person_id is None:
        act.refuse(views.NOT_APPROVED if act.actor.is_pending else views.NOT_REGISTERED)
    return act.actor.person_id


async def year_reply(act: Act, year: int, note: Html = BLANK, *, new: bool = False) -> Reply:
    """My year: what is done, pending and due, by kind, and every record."""
    person = require_member(act)
    tz, policy, today = act.settings.tzinfo, act.settings.training_policy, act.today()
    mine = await store.person_year(act.session, person, year, tz=tz, policy=policy,
                                   on=today if year == today.year else None)
    lines = await store.person_lines(act.session, person, year, tz=tz)
    leads = act.actor.is_admin or act.actor.leads_a_branch
    return Reply(year_text(act.t, mine, lines, policy, today, note),
                 keyboard(year_keyboard(act.t, year, today, lines, leads=leads,
                                       forms=act.settings.forms_url)), new=new)


async def show_training(act: Act, _args: CommandArgs) -> Reply | None:
    """/training: my year; an admin who is not a member gets the organizations' panel."""
    if not act.actor.is_member and act.actor.is_admin:
        return await choose_panels(act, views.ChoosePanel(0))
    return await year_reply(act, act.today().year, new=True)


async def show_year(act: Act, press: views.ShowYear) -> Reply:
    return await year_reply(act, views.counting_year(act.today(), press.year))


async def withdraw_record(act: Act, press: views.Withdraw) -> Reply:
    """Take back one of my own records while it waits for verification."""
    info = await access_own_record(act, press.record)
    applied = await store.withdraw(act.session, press.record, by=act.actor.telegram_id)
    t = act.t
    note = (t("↩ Withdrawn: {title}.", title=info.title) if applied
            else t("{title} is no longer waiting for verification.", title=info.title))
    years = rules.counting_years(act.today())
    return await year_reply(act, info.ends_on.year if info.ends_on.year in years
                            else act.today().year, note)


# Evidence


logger = logging.getLogger(__name__)

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


def checked_file(message: Message, count: int, max_bytes: int) -> store.EvidenceFile | views.Heard:
    """The file a message carries, or why it is not taken (a record holds MAX_FILES)."""
    if count >= views.MAX_FILES:
        return views.Heard(kind="full")
    file = evidence_of(message)
    problem = (EvidenceProblem.NOT_IMAGE_OR_PDF if file is None
               else rules.validate_evidence(file.mime_type, file.size_bytes, max_bytes=max_bytes))
    if problem is not None or file is None:
        return views.Heard(kind="refused", problem=problem or EvidenceProblem.NOT_IMAGE_OR_PDF,
                           size=file.size_bytes if file is not None and file.size_bytes else 0)
    return file


async def not_a_file(act: Act, form: Form, message: Message) -> Next:
    """Text while evidence is expected: say what is expected."""
    return Next({"heard": views.Heard(kind="expected")}, stay=True)


# Files added later to a record of mine while it waits for verification


class FilesForm(Form):
    record: TrainingId
    heard: views.Heard | None = None


async def start_files(act: Act, press: views.AddFiles) -> FilesForm:
    info = await access_open_record(act, press.record)
    if len(info.evidence) >= views.MAX_FILES:
        act.refuse(N_("{title} already has {n} files, the most a record can have."),
                   title=info.title, n=views.MAX_FILES)
    return FilesForm(record=press.record)


async def render_files(act: Act, form: FilesForm) -> tuple[Html, Rows]:
    t, limit = act.t, act.settings.training_policy.evidence_max_bytes
    info = await access_own_record(act, form.record)
    text = (views.heard_text(t, form.heard, limit, info.title) if form.heard is not None
            else t("Send a photo of the certificate or a PDF for {title} (at most {mb} MB each; "
                   "it has {n} file(s) now, up to {max}).", title=info.title,
                   mb=megabytes(limit), n=len(info.evidence), max=views.MAX_FILES))
    return text, [[views.FilesDone().button(t("Done"))]]


async def add_file(act: Act, form: FilesForm, message: Message) -> Next:
    """A photo or PDF for the record: checked as Telegram reports it, kept (audited)."""
    policy = act.settings.training_policy
    info = await access_open_record(act, form.record)
    file = checked_file(message, len(info.evidence), policy.evidence_max_bytes)
    if isinstance(file, views.Heard):
        return Next({"heard": file}, stay=True)
    await store.add_evidence(act.session, form.record, file, by=act.actor.telegram_id,
                             policy=policy)
    logger.info("user %s added evidence to training record %s",
                pseudonym(act.actor.telegram_id), form.record)
    return Next({"heard": views.Heard(kind="added", name=file.file_name)}, stay=True)


async def files_done(act: Act, form: FilesForm, press: views.FilesDone) -> Reply:
    """No more files: back to my year."""
    return await year_reply(act, act.today().year)


FILES = Flow(
    name="training_files", prefix="tr", form=FilesForm, back=False,
    entry=Entry(views.AddFiles, ANYONE, start_files),
    guard=lambda act, form: access_own_record(act, form.record),
    steps=(
        Custom(key="files", render=render_files, presses=((views.FilesDone, files_done),),
               messages=((filters.ATTACHMENT, add_file), (TEXT_INPUT, not_a_file))),
    ),
)


# A record's files, for its member and their leaders


async def send_evidence(act: Act, press: views.SendEvidence) -> None:
    """The record's photos and files, sent after the session."""
    info = await access_evidence(act, press.record)
    update, context, t = act.update, act.context, act.t
    caption = t("Evidence of {title} ({name})", title=info.title, name=info.name)
    files = [KeptFile(file_id, name, name is None and mime.startswith("image/"))
             for file_id, mime, name in info.evidence]
    act.after(lambda: send_kept_files(context, update, t, files, caption))
