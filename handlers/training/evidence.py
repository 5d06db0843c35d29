"""Evidence of a training: photos and PDFs as Telegram describes them (never downloaded; a file
is kept as Telegram's file id), files added to a record while it waits for verification, and a
record's files sent to its member or their leaders."""

from __future__ import annotations

import logging
import mimetypes

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import filters

from handlers.access.training import (
    RecordInfo,
    access_evidence,
    access_open_record,
    access_own_record,
)
from handlers.kit.actions import ANYONE, Act, Reply
from handlers.kit.buttons import TrainingId
from handlers.kit.chat import reply_chat, send
from handlers.kit.flows import Custom, Entry, Flow, Form, Next
from handlers.kit.i18n import N_, Html, Translator
from handlers.kit.pseudonyms import pseudonym
from handlers.menu import TEXT_INPUT
from handlers.training.views import (
    MAX_FILES,
    AddFiles,
    FilesDone,
    Heard,
    Rows,
    SendEvidence,
    heard_text,
    megabytes,
)
from handlers.training.year import year_reply
from rules import training as rules
from rules.training import EvidenceProblem
from storage import training as store

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


def checked_file(message: Message, count: int, max_bytes: int) -> store.EvidenceFile | Heard:
    """The file a message carries, or why it is not taken (a record holds MAX_FILES)."""
    if count >= MAX_FILES:
        return Heard(kind="full")
    file = evidence_of(message)
    problem = (EvidenceProblem.NOT_IMAGE_OR_PDF if file is None
               else rules.validate_evidence(file.mime_type, file.size_bytes, max_bytes=max_bytes))
    if problem is not None or file is None:
        return Heard(kind="refused", problem=problem or EvidenceProblem.NOT_IMAGE_OR_PDF,
                     size=file.size_bytes if file is not None and file.size_bytes else 0)
    return file


async def not_a_file(act: Act, form: Form, message: Message) -> Next:
    """Text while evidence is expected: say what is expected."""
    return Next({"heard": Heard(kind="expected")}, stay=True)


# Files added later to a record of mine while it waits for verification


class FilesForm(Form):
    record: TrainingId
    heard: Heard | None = None


async def start_files(act: Act, press: AddFiles) -> FilesForm:
    info = await access_open_record(act, press.record)
    if len(info.evidence) >= MAX_FILES:
        act.refuse(N_("{title} already has {n} files, the most a record can have."),
                   title=info.title, n=MAX_FILES)
    return FilesForm(record=press.record)


async def render_files(act: Act, form: FilesForm) -> tuple[Html, Rows]:
    t, limit = act.t, act.settings.training_policy.evidence_max_bytes
    info = await access_own_record(act, form.record)
    text = (heard_text(t, form.heard, limit, info.title) if form.heard is not None
            else t("Send a photo of the certificate or a PDF for {title} (at most {mb} MB each; "
                   "it has {n} file(s) now, up to {max}).", title=info.title,
                   mb=megabytes(limit), n=len(info.evidence), max=MAX_FILES))
    return text, [[FilesDone().button(t("Done"))]]


async def add_file(act: Act, form: FilesForm, message: Message) -> Next:
    """A photo or PDF for the record: checked as Telegram reports it, kept (audited)."""
    policy = act.settings.training_policy
    info = await access_open_record(act, form.record)
    file = checked_file(message, len(info.evidence), policy.evidence_max_bytes)
    if isinstance(file, Heard):
        return Next({"heard": file}, stay=True)
    await store.add_evidence(act.session, form.record, file, by=act.actor.telegram_id,
                             policy=policy)
    logger.info("user %s added evidence to training record %s",
                pseudonym(act.actor.telegram_id), form.record)
    return Next({"heard": Heard(kind="added", name=file.file_name)}, stay=True)


async def files_done(act: Act, form: FilesForm, press: FilesDone) -> Reply:
    """No more files: back to my year."""
    return await year_reply(act, act.today().year)


FILES = Flow(
    name="training_files",
    prefix="tr",
    form=FilesForm,
    entry=Entry(AddFiles, ANYONE, start_files),
    guard=lambda act, form: access_own_record(act, form.record),
    back=False,
    steps=(
        Custom(key="files", render=render_files, presses=((FilesDone, files_done),),
               messages=((filters.ATTACHMENT, add_file), (TEXT_INPUT, not_a_file))),
    ),
)


# A record's files, for its member and their leaders


async def send_evidence(act: Act, press: SendEvidence) -> None:
    """The record's photos and files, sent after the session."""
    info = await access_evidence(act, press.record)
    update, t = act.update, act.t
    act.after(lambda: send_files(update, t, info))


async def send_files(update: Update, t: Translator, info: RecordInfo) -> None:
    chat = reply_chat(update)
    caption = t("Evidence of {title} ({name})", title=info.title, name=info.name)
    for file_id, mime, name in info.evidence:
        try:
            if name is None and mime.startswith("image/"):
                await chat.send_photo(file_id, caption=caption)
            else:
                await chat.send_document(file_id, caption=caption)
        except TelegramError as exc:
            logger.warning("could not send evidence of record %s: %s", info.id, exc)
            await send(update, t("Sorry, a file could not be sent: {name}.",
                                 name=name or t("photo")))
