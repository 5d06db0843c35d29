"""Thought reports (思想汇报): an activist, a candidate or a probationary member hands one in from
their own /development, typed or as a file (a photo or a PDF; the file store keeps a copy).
Their contacts and the branch's leaders are told through the outbox, each in their language,
and read it from the person's card; nobody else sees it."""

from __future__ import annotations

from typing import Any

from telegram import Message
from telegram.ext import filters

from handlers.access.development import access_guided, access_thought_report, own_development
from handlers.development import views
from handlers.development.pages import KNOWN, own_reply
from handlers.kit.actions import Act, Reply
from handlers.kit.buttons import PersonId
from handlers.kit.chat import Outgoing
from handlers.kit.files import KeptFile, megabytes, send_kept_files
from handlers.kit.flows import Confirm, Custom, Entry, Flow, Form, Next
from handlers.kit.i18n import N_, Html, escape, html_join, translator
from handlers.kit.ui import keyboard, paged_rows
from handlers.training import evidence_of
from rules import training as training_rules
from rules.validation import Invalid, clean_text
from storage import development, people
from storage.development import MAX_THOUGHT_REPORT
from storage.models import DevelopmentRecord, Person, ThoughtReport

SNIPPET = 40  # characters of a typed report shown in the list
NOT_A_FILE = N_("Please send a photo or a PDF (at most {limit} MB), or type the report.")


class ReportForm(Form):
    text: str | None = None
    file_id: str | None = None
    file_name: str | None = None


async def own_record(act: Act) -> DevelopmentRecord:
    """The actor's development under way, at a stage that hands in thought reports."""
    record = await own_development(act)
    act.check(record is not None and record.stage in views.GUIDED_STAGES)
    assert record is not None
    return record


async def start(act: Act, press: views.SendReport) -> ReportForm | Reply:
    record = await own_development(act)
    if record is None or record.stage not in views.GUIDED_STAGES:
        return await own_reply(act)
    return ReportForm()


async def guard(act: Act, form: ReportForm) -> None:
    await own_record(act)


def _limit(act: Act) -> int:
    return act.settings.training_policy.evidence_max_bytes


async def render(act: Act, form: ReportForm) -> tuple[Html, list[list[Any]]]:
    return act.t("📝 Type your thought report (at most {count} characters), or send it as a "
                 "file: a photo or a PDF of at most {mb} MB. Your contacts and the branch "
                 "secretary read it; nobody else.", count=MAX_THOUGHT_REPORT,
                 mb=megabytes(_limit(act))), []


async def typed(act: Act, form: ReportForm, text: str) -> Next | Invalid:
    value = clean_text(text, max_length=MAX_THOUGHT_REPORT, multiline=True)
    if isinstance(value, Invalid):
        return value
    return Next({"text": value, "file_id": None, "file_name": None})


async def sent_file(act: Act, form: ReportForm, message: Message) -> Next:
    file = evidence_of(message)
    if file is None or training_rules.validate_evidence(
            file.mime_type, file.size_bytes, max_bytes=_limit(act)) is not None:
        act.say(act.t(NOT_A_FILE, limit=megabytes(_limit(act))))
        return Next({}, stay=True)
    return Next({"file_id": file.telegram_file_id, "file_name": file.file_name, "text": None})


async def summary(act: Act, form: ReportForm) -> Html:
    t = act.t
    what = (t("File: {name}", name=form.file_name or t("photo")) if form.file_id
            else escape(snippet(form.text or "", 300)))
    return html_join("\n\n", [t("Send this thought report to your contacts and the branch "
                                "secretary?"), what])


def snippet(text: str, limit: int = SNIPPET) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def save(act: Act, form: ReportForm) -> Reply:
    record = await own_record(act)
    await development.add_thought_report(
        act.session, record, text=form.text, file_id=form.file_id,
        file_name=form.file_name if form.file_id else None, now=act.now())
    await tell_readers(act, record)
    return await own_reply(act, act.t("✅ Your thought report was handed in."))


async def tell_readers(act: Act, record: DevelopmentRecord) -> None:
    """The person's contacts and the branch's leaders are told (through the outbox)."""
    person = await act.session.get(Person, record.person_id)
    name = person.real_name if person is not None else ""
    readers: dict[int, Person] = {}
    for contact in await development.contacts_of(act.session, record.id):
        found = await act.session.get(Person, contact.person_id)
        if found is not None:
            readers[found.id] = found
    for leader, _ in await people.leaders_of(act.session, record.party_organization_id):
        readers[leader.id] = leader
    messages: list[Outgoing] = []
    for reader in readers.values():
        if reader.telegram_id == act.actor.telegram_id:
            continue
        t = translator(reader.language or "zh")
        messages.append((reader.telegram_id,
                         t("📝 {name} handed in a thought report.", name=name or ""),
                         keyboard([[views.ThoughtReports(PersonId(record.person_id)).button(
                             t("📝 Read it"))]])))
    act.deliver(messages)


REPORT = Flow(
    name="development_report",
    prefix="fdvr",
    form=ReportForm,
    entry=Entry(views.SendReport, KNOWN, start),
    guard=guard,
    steps=(
        Custom(key="report", render=render, read=typed,
               messages=((filters.ATTACHMENT, sent_file),)),
        Confirm(key="confirm", summary=summary, label=N_("📤 Send it"), finish=save),
    ),
)


# -- reading them: the person's contacts and the branch's leaders -----------------------------


def report_label(act: Act, report: ThoughtReport) -> str:
    day = act.local(report.submitted_at).date().isoformat()
    if report.file_id:
        return f"{day} · 📎 {report.file_name or act.t('photo')}"
    return f"{day} · {snippet(report.text or '')}"


async def show_reports(act: Act, press: views.ThoughtReports) -> Reply:
    record, _ = await access_guided(act, press.person)
    person = await act.session.get(Person, record.person_id)
    reports = await development.thought_reports(act.session, record.id)
    t = act.t
    text = (t("📝 <b>Thought reports of {name}</b> ({count}), newest first. Open one to read "
              "it.", name=person.real_name if person else "", count=len(reports))
            if reports else t("📝 {name} has handed in no thought report yet.",
                              name=person.real_name if person else ""))
    items = [views.OpenReport(r.id).button(report_label(act, r)) for r in reports]
    rows = paged_rows(t, items, press.page, lambda n: views.ThoughtReports(press.person, n),
                      [[views.Guided(press.person).button(t("‹ Back to the card"))]])
    return Reply(text, keyboard(rows))


async def open_report(act: Act, press: views.OpenReport) -> Reply | None:
    """A typed report in a new message; a file sent (the kept copy where Telegram lost it)."""
    report, record = await access_thought_report(act, press.report)
    person = await act.session.get(Person, record.person_id)
    t = act.t
    head = t("📝 Thought report of {name}, handed in {date}",
             name=person.real_name if person else "",
             date=act.local(report.submitted_at).strftime("%Y-%m-%d %H:%M"))
    if report.file_id is None:
        return Reply(html_join("\n\n", [head, escape(report.text or "")]), new=True)
    update, context = act.update, act.context
    file = KeptFile(report.file_id, report.file_name, report.file_name is None)
    act.after(lambda: send_kept_files(context, update, t, [file], head))
    return None
