"""The files the ledger sends: the .xlsx workbook, the monthly chart, a meeting's .ics
(RFC 5545).

They are built in a worker thread after the update's session is closed."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, date

from telegram import InputFile, Update
from telegram.constants import ChatAction

from handlers.access.meetings import access_seen_meeting
from handlers.kit import charts as chart
from handlers.kit.actions import Act
from handlers.kit.buttons import MeetingId
from handlers.kit.charts import chart_label
from handlers.kit.chat import Refused, answer, current_actor, reply_chat, send
from handlers.kit.context import BranchContext
from handlers.kit.files import busy, send_png
from handlers.kit.i18n import N_, Translator, plain_text, translator
from handlers.kit.ui import percent
from handlers.labels import meeting_kind_labels
from handlers.ledger.views import CHART_OVERALL, CHART_TITLE, CHART_YLABEL
from handlers.ledger.workbook import WORKBOOK_TEXTS, build_workbook
from rules.vocabulary import MeetingState
from storage import ledger as store

logger = logging.getLogger(__name__)


async def send_ledger(update: Update, t: Translator, org_id: int, ledger: store.LedgerData,
                      today: date) -> None:
    """The workbook, then the chart (both built off the event loop)."""
    await busy(update, ChatAction.UPLOAD_DOCUMENT)
    texts = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}
    workbook = await asyncio.to_thread(build_workbook, ledger, texts, meeting_kind_labels(t))
    period = ledger.period
    await reply_chat(update).send_document(
        InputFile(io.BytesIO(workbook), filename=f"ledger-{org_id}-{period.label}.xlsx"),
        caption=t.plural("Ledger of {org}, {period}: {n} closed meeting.",
                         "Ledger of {org}, {period}: {n} closed meetings.",
                         len(ledger.meetings), org=ledger.org_name, period=period.label),
    )
    if not ledger.meetings:
        await send(update, t("No meetings were closed in this period, so there is no chart."))
        return
    # Attendance rate per month; English labels when no Chinese font is installed.
    points = store.monthly_rates(ledger, today)
    present = sum(m.present for m in ledger.meetings)
    expected = sum(m.expected for m in ledger.meetings)
    overall = present / expected if expected else None
    font = await asyncio.to_thread(chart.cjk_font)
    org_name = ledger.org_name if font is not None or ledger.org_name.isascii() else ""
    title = chart_label(t, font, CHART_TITLE) + (f" · {org_name}" if org_name else "")
    title += f" · {period.label}"
    caption = t("Attendance rate per month, {period}: {rate} overall ({present} of {expected}).",
                period=period.label, rate=percent(overall), present=present, expected=expected)
    await send_png(update, t, lambda: asyncio.to_thread(
        chart.chart_png, points, title=title, ylabel=chart_label(t, font, CHART_YLABEL),
        overall=overall, overall_label=chart_label(t, font, CHART_OVERALL) + f" {percent(overall)}",
        font=font,
    ), "attendance.png", caption)


async def send_ics(update: Update, context: BranchContext, meeting_id: int) -> None:
    """Send one meeting as an .ics file to someone on its list or a leader of its branch.

    Called by handlers/meetings.py for its "Add to calendar" button; answers the button press
    itself (a second answer by the caller is harmless). Refusals are raised as Refused.
    """
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        act = Act(update, context, session, actor, translator(actor.language), "calendar")
        meeting = await access_seen_meeting(act, MeetingId(meeting_id))
        if meeting.state is MeetingState.CANCELLED:
            raise Refused(N_("This meeting was cancelled; there is nothing to add."))
        t = act.t
        summary = f"{plain_text(meeting_kind_labels(t)[meeting.kind])}: {meeting.topic}"
        details = []
        if meeting.host:
            details.append(t.as_plain("Host: {name}", name=meeting.host))
        if meeting.lecturer:
            details.append(t.as_plain("Lecturer: {name}", name=meeting.lecturer))
        if meeting.party_group is not None:
            details.append(t.as_plain("Party group: {name}", name=meeting.party_group.name))
        details.append(meeting.party_organization.name)
    # One VEVENT with a stable UID, times in UTC: importing it again updates the entry.
    from icalendar import Calendar, Event  # imported when a file is built

    calendar, event = Calendar(), Event()
    calendar.add("prodid", "-//branchbot//meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    for key, value in {
        "uid": f"meeting-{meeting.id}@branchbot", "dtstamp": context.now().astimezone(UTC),
        "dtstart": meeting.starts_at.astimezone(UTC), "dtend": meeting.ends_at.astimezone(UTC),
        "summary": summary, "location": meeting.place or meeting.online_url,
        "description": "\n".join(details), "url": meeting.online_url,
    }.items():
        if value:
            event.add(key, value)
    calendar.add_component(event)
    data = bytes(calendar.to_ical())
    await reply_chat(update).send_document(
        InputFile(io.BytesIO(data), filename=f"meeting-{meeting.id}.ics"),
        caption=t("Open this file to add the meeting to your calendar."),
    )
    await answer(update)
