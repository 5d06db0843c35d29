"""Marking a deadline done: the document handed in (a photo or a PDF, checked by what
Telegram reports; the file store keeps a copy), or none; once confirmed its reminders stop."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, Message
from telegram.ext import filters

from handlers.access.duties import access_occurrence
from handlers.duties import browse, views
from handlers.kit.actions import LEADERS, Act
from handlers.kit.buttons import DutyId, OrgId
from handlers.kit.files import megabytes
from handlers.kit.flows import Confirm, Custom, Entry, Flow, Form, Next
from handlers.kit.i18n import Html, html_join
from handlers.kit.pseudonyms import pseudonym
from handlers.labels import duty_title
from handlers.training import EVIDENCE_TEXTS, evidence_of
from rules import training as training_rules
from rules.duties import DutyOccurrence
from storage import duties as store
from storage.models import Duty, PartyOrganization

logger = logging.getLogger(__name__)


class MarkForm(Form):
    duty: DutyId
    org: OrgId
    occurrence: str
    file_id: str | None = None
    file_name: str | None = None


async def guard(act: Act, form: MarkForm) -> tuple[PartyOrganization, Duty, DutyOccurrence]:
    """The presser runs the organization, and the duty has that occurrence for it."""
    return await access_occurrence(act, form.duty, form.org, form.occurrence)


def _limit(act: Act) -> int:
    return act.settings.training_policy.evidence_max_bytes


async def ask_file(act: Act, form: MarkForm
                   ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    org, duty, occurrence = await guard(act, form)
    t = act.t
    text = t("{title} ({occurrence}) for {org}: send the document handed in (a photo or a PDF, "
             "at most {mb} MB), or press Done without a document.",
             title=duty_title(t, duty.code, duty.title), occurrence=occurrence.key,
             org=org.name, mb=megabytes(_limit(act)))
    return text, [[views.NoDocument().button(t("Done without a document"))]]


async def without_file(act: Act, form: MarkForm, press: views.NoDocument) -> Next:
    return Next({"file_id": None, "file_name": None})


async def take_file(act: Act, form: MarkForm, message: Message) -> Next:
    """A photo or a PDF within the size limit; anything else is refused and asked again."""
    file = evidence_of(message)
    problem = (training_rules.EvidenceProblem.NOT_IMAGE_OR_PDF if file is None
               else training_rules.validate_evidence(file.mime_type, file.size_bytes,
                                                     max_bytes=_limit(act)))
    if problem is not None or file is None:
        size = file.size_bytes if file is not None and file.size_bytes else 0
        message_id = EVIDENCE_TEXTS[problem or training_rules.EvidenceProblem.NOT_IMAGE_OR_PDF]
        act.say(act.t(message_id, size=megabytes(size), limit=megabytes(_limit(act))))
        return Next({}, stay=True)
    return Next({"file_id": file.telegram_file_id, "file_name": file.file_name})  # None: a photo


async def text_instead(act: Act, form: MarkForm, text: str) -> Next:
    act.say(act.t("Please send a photo or a PDF, or press the button below."))
    return Next({}, stay=True)


async def summary(act: Act, form: MarkForm) -> Html:
    org, duty, occurrence = await guard(act, form)
    t = act.t
    return html_join("\n", [
        t("Mark {title} ({occurrence}) for {org} done?",
          title=duty_title(t, duty.code, duty.title), occurrence=occurrence.key, org=org.name),
        t("Document: {name}", name=form.file_name or t("photo")) if form.file_id
        else t("Without a document."),
        t("Its reminders stop."),
    ])


async def save(act: Act, form: MarkForm) -> Html:
    """Recorded once; its reminders are cancelled. The deadlines follow."""
    org, duty, occurrence = await guard(act, form)
    applied = await store.complete(
        act.session, duty, org.id, occurrence.key, by=act.actor.telegram_id,
        file_id=form.file_id, file_name=form.file_name if form.file_id else None,
    )
    logger.info("user %s marked duty %s %s done for org %s", pseudonym(act.actor.telegram_id),
                duty.id, occurrence.key, org.id)
    act.follow(await browse.org_reply(act, org))
    t = act.t
    return (t("✅ Marked done: {title} ({occurrence}).",
              title=duty_title(t, duty.code, duty.title), occurrence=occurrence.key)
            if applied else t("It was already marked done."))


MARK_DONE = Flow(
    name="duty_done",
    prefix="du",
    form=MarkForm,
    entry=Entry(views.MarkDone, LEADERS),
    guard=guard,
    steps=(
        Custom(key="file", render=ask_file, presses=((views.NoDocument, without_file),),
               messages=((filters.ATTACHMENT, take_file),), read=text_instead),
        Confirm(key="ok", summary=summary, label=views.CONFIRM, finish=save),
    ),
    exits=browse.EXITS,
)
