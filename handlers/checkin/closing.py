"""Closing a meeting: the minutes, photos and documents, then the counts to confirm; the
record is frozen and the absent are asked to catch up (补学). The close itself
(`close_with_minutes`) serves this flow and the minutes form (bot/web/forms/minutes.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message
from telegram.ext import filters

from handlers.checkin import record_views, views
from handlers.checkin.leading import live_meeting, notices_to, refuse_if_not_started, send_after
from handlers.checkin.roster import record_reply
from handlers.kit.actions import LEADERS, Act, Checker
from handlers.kit.buttons import AttendanceId, MeetingId
from handlers.kit.chat import STALE_BUTTON, Outgoing, Refused
from handlers.kit.flows import Confirm, Custom, Done, Entry, Flow, Form, Next, Problem, Rows
from handlers.kit.i18n import N_, Html, Translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import form_button
from handlers.meetings.views import MINUTES_FORM_PATH
from rules import meetings as rules
from rules.permissions import Actor
from rules.validation import Invalid
from rules.vocabulary import AttendanceStatus
from storage import meetings as store
from storage.models import Meeting

logger = logging.getLogger(__name__)

ATTACHMENTS = filters.PHOTO | filters.Document.ALL
CAUGHT_UP_TOLD = "absent members asked to catch up"
CLOSED = N_("🔒 Closed. The record is frozen.")
AWAITING_SPAN = timedelta(days=366)  # how far back a meeting without minutes is offered


class CloseForm(Form):
    meeting: MeetingId
    minutes: str | None = None
    files: int = 0
    prompt: Literal["noted", "attached", "waiting"] = "noted"  # what the last message was


async def meeting_of(act: Act, form: CloseForm) -> Meeting:
    """The meeting being closed (the guard loaded it: no query)."""
    meeting = await act.session.get(Meeting, form.meeting)
    assert meeting is not None
    return meeting


async def start(act: Act, press: views.CloseMeeting) -> CloseForm | Done:
    """Begin closing; a meeting that has not started is postponed or cancelled instead."""
    meeting = await live_meeting(act, press.meeting)
    now = act.now()
    if now < meeting.starts_at:
        return Done(*record_views.not_started(act.t, act.settings.tzinfo, meeting, now))
    return CloseForm(meeting=press.meeting)


async def intro(act: Act, form: CloseForm) -> Html:
    meeting = await meeting_of(act, form)
    return act.t("Closing {meeting}.", meeting=views.title(act.t, act.settings.tzinfo, meeting))


async def render_minutes(act: Act, form: CloseForm) -> tuple[Html, Rows]:
    return act.t("Type the minutes: what was discussed and decided (at most {limit} "
                 "characters).", limit=views.MAX_MINUTES), minutes_form_rows(
                     act.t, act.settings.forms_url, form.meeting)


def minutes_form_rows(t: Translator, base_url: str | None, meeting: MeetingId) -> Rows:
    """"📝 Record minutes in a form" (a Mini App), if the bot has a public URL."""
    form = form_button(t, base_url, MINUTES_FORM_PATH, N_("📝 Record minutes in a form"),
                       meeting=meeting)
    return [] if form is None else [[form]]


async def read_minutes(act: Act, form: Form, text: str) -> str | Invalid:
    """The typed minutes (here and when corrected after closing)."""
    return views.clean_minutes(text)


async def minutes_first(act: Act, form: CloseForm, message: Message) -> Problem:
    """A photo or document before the minutes."""
    return Problem(N_("Please type the minutes first; photos and documents come next."))


async def render_files(act: Act, form: CloseForm) -> tuple[Html, Rows]:
    return record_views.attachments(act.t, form.meeting, form.files, form.prompt)


async def attach(act: Act, form: CloseForm, message: Message) -> Next:
    """A photo (its largest size) or a document for the minutes."""
    if message.photo:
        file_id, kind, file_name = message.photo[-1].file_id, "photo", None
    else:
        assert message.document is not None  # the filter lets photos and documents in only
        file_id, kind = message.document.file_id, "document"
        file_name = message.document.file_name
    await store.add_file(
        act.session, await meeting_of(act, form), telegram_file_id=file_id, kind=kind,
        file_name=views.shorten(file_name, 200) if file_name else None, by=act.actor.telegram_id,
    )
    return Next({"files": form.files + 1, "prompt": "attached"}, stay=True)


async def files_or_done(act: Act, form: CloseForm, text: str) -> Next:
    return Next({"prompt": "waiting"}, stay=True)


async def done(act: Act, form: CloseForm, press: views.CloseDone) -> Next:
    if press.meeting != form.meeting:
        raise Refused(STALE_BUTTON)
    return Next({})


async def summary(act: Act, form: CloseForm) -> Html:
    meeting = await meeting_of(act, form)
    refuse_if_not_started(meeting, act.now())
    rows = await store.roster(act.session, meeting.id)
    return record_views.confirm_close(act.t, act.settings.tzinfo, meeting, rows, form.files)


@dataclass(frozen=True)
class Closed:
    """A meeting closed with its minutes: the frozen counts and the absent's catch-up notices."""

    meeting: Meeting
    counts: rules.LedgerCounts
    notices: list[Outgoing]


async def close_with_minutes(who: Checker, meeting_id: MeetingId, minutes: str, tz: ZoneInfo,
                             now: datetime) -> Closed:
    """Close a meeting the actor runs with its minutes, from the chat or the form: checked as a
    forged press would be, the record frozen and counted, the absent's 补学 notices written."""
    meeting = await live_meeting(who, meeting_id)
    if isinstance(views.clean_minutes(minutes), Invalid):
        who.refuse(STALE_BUTTON)  # the caller cleans them; these were not
    try:
        counts = await store.close(who.session, meeting, minutes=minutes,
                                   by=who.actor.telegram_id, now=now, tz=tz)
    except store.MeetingError as error:
        refuse_if_not_started(meeting, now)
        raise Refused(views.REFUSALS["closed"]) from error
    # close() updates the loaded lines; the roster reads them back from the session.
    absent = [(attendance, person) for attendance, person
              in await store.roster(who.session, meeting.id)
              if attendance.status is AttendanceStatus.ABSENT]
    logger.info("user %s closed meeting %s: %s", pseudonym(who.actor.telegram_id), meeting.id,
                counts)
    notices = notices_to(absent, lambda t, line: record_views.catch_up(
        t, tz, meeting, AttendanceId(line.id)))
    return Closed(meeting, counts, notices)


async def awaiting_minutes(session: AsyncSession, actor: Actor, now: datetime) -> list[Meeting]:
    """The meetings the actor runs that have begun and are not closed yet (oldest first)."""
    orgs = None if actor.is_admin else actor.managed_org_ids
    if orgs is not None and not orgs:
        return []
    return await store.live_meetings(session, orgs, now - AWAITING_SPAN, now)


async def freeze(act: Act, form: CloseForm) -> Html:
    """Close, freeze the record, ask the absent to catch up."""
    if not form.minutes:
        raise Refused(STALE_BUTTON)  # the minutes are required; this flow lost them
    closed = await close_with_minutes(act, form.meeting, form.minutes, act.settings.tzinfo,
                                      act.now())
    act.follow(await record_reply(act, closed.meeting))
    send_after(act, closed.meeting.id, closed.notices, CAUGHT_UP_TOLD)
    return act.t(CLOSED)


CLOSE_MEETING = Flow(
    name="meeting_close",
    prefix="ck",
    form=CloseForm,
    entry=Entry(views.CloseMeeting, LEADERS, start, intro),
    guard=lambda act, form: live_meeting(act, form.meeting),
    back=False,
    steps=(
        Custom(key="minutes", render=render_minutes, read=read_minutes,
               messages=((ATTACHMENTS, minutes_first),)),
        Custom(key="files", render=render_files, presses=((views.CloseDone, done),),
               messages=((ATTACHMENTS, attach),), read=files_or_done),
        Confirm(key="freeze", summary=summary, label=record_views.CLOSE_AND_FREEZE,
                finish=freeze),
    ),
)
