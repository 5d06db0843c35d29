"""The roster (marking by hand, 代签; picking a correction), the frozen record, catching up;
and both rendered for other features (handlers/meeting_lists, handlers/past_meetings)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from handlers.access.checkin import access_own_line
from handlers.access.meetings import access_led_meeting, access_led_meeting_line
from handlers.checkin import record_views, views
from handlers.checkin.leading import refuse_if_not_closed, refused_checkin
from handlers.kit.actions import Act, Reply, render
from handlers.kit.buttons import MeetingId
from handlers.kit.chat import current_actor
from handlers.kit.context import BranchContext
from handlers.kit.files import KeptFile, send_kept_files
from handlers.kit.i18n import Html, Translator, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import person_name
from rules.vocabulary import CheckinMethod
from storage import meetings as store
from storage import people
from storage.models import Attendance, Meeting

logger = logging.getLogger(__name__)
# What check_in writes with an UPDATE that leaves a loaded line as it was.
CHECKIN_COLUMNS = ("status", "checked_in_at", "method", "marked_by")


async def reload_line(act: Act, line: Attendance) -> None:
    """Read a line back after a check-in stored it."""
    await act.session.refresh(line, CHECKIN_COLUMNS)


async def names_by_telegram_id(act: Act, ids: set[int]) -> dict[int, str]:
    """Names of the leaders who marked or corrected lines (few distinct people)."""
    names: dict[int, str] = {}
    for telegram_id in ids:
        person = await people.person_by_telegram_id(act.session, telegram_id)
        names[telegram_id] = person_name(act.t, person) if person else str(telegram_id)
    return names


async def roster_reply(act: Act, meeting: Meeting, page: int = 0, note: Html | None = None, *,
                       showing: int | None = None, new: bool = False) -> Reply:
    """A page of the roster (the page `showing` a line, if given)."""
    rows = await store.roster(act.session, meeting.id)
    names = await names_by_telegram_id(act, {a.marked_by for a, _p in rows
                                             if a.marked_by is not None})
    if showing is not None:
        page = views.page_showing(rows, showing)
    return views.roster(act.t, act.settings.tzinfo, meeting, rows, names, page, act.now(), note,
                        new=new)


async def record_reply(act: Act, meeting: Meeting, note: Html | None = None, *,
                       new: bool = True) -> Reply:
    return await record_message(act.session, act.t, act.settings.tzinfo, meeting, note, new=new)


async def record_message(session: AsyncSession, t: Translator, tz: ZoneInfo, meeting: Meeting,
                         note: Html | None = None, *, new: bool = True) -> Reply:
    """The frozen record with its buttons (for the chat, or sent after a form closed it)."""
    refuse_if_not_closed(meeting)
    rows = await store.roster(session, meeting.id)
    files = await store.files_of(session, meeting.id)
    closer = "?"
    if meeting.closed_by is not None:
        person = await people.person_by_telegram_id(session, meeting.closed_by)
        closer = person_name(t, person) if person else str(meeting.closed_by)
    return record_views.record(t, tz, meeting, rows, len(files), closer, note, new=new)


async def show_roster(act: Act, press: views.ShowRoster | views.RosterPage) -> Reply:
    page = press.page if isinstance(press, views.RosterPage) else 0
    return await roster_reply(act, await access_led_meeting(act, press.meeting), page)


async def mark_present(act: Act, press: views.MarkPresent) -> Reply:
    """A leader marks someone present by hand (代签)."""
    attendance = await access_led_meeting_line(act, press.attendance)
    meeting, t = attendance.meeting, act.t
    name = person_name(t, attendance.membership.person)
    result = await store.check_in(
        act.session, meeting, attendance.membership_id, method=CheckinMethod.MANUAL,
        now=act.now(), by=act.actor.telegram_id, line=attendance,
    )
    if result.outcome == "refused":
        raise refused_checkin(act, meeting, result)
    await reload_line(act, attendance)
    logger.info("user %s marked attendance %s present by hand: %s",
                pseudonym(act.actor.telegram_id), attendance.id, result.outcome)
    note = (t("{name} was already checked in — nothing changed.", name=name)
            if result.outcome == "already" else t("✅ {name} marked present by hand.", name=name))
    return await roster_reply(act, meeting, note=note, showing=attendance.id)


async def choose_fix(act: Act, press: views.ChooseFix) -> Reply:
    """Which status a line of a closed record should have."""
    attendance = await access_led_meeting_line(act, press.attendance)
    refuse_if_not_closed(attendance.meeting)
    return views.fix_choices(act.t, act.settings.tzinfo, attendance)


async def show_record(act: Act, press: views.ShowRecord) -> Reply:
    return await record_reply(act, await access_led_meeting(act, press.meeting), new=False)


async def show_attachments(act: Act, press: views.ShowAttachments) -> None:
    """The minutes' photos and documents, sent after the session (kept copies if Telegram lost
    any)."""
    meeting = await access_led_meeting(act, press.meeting)
    files = [KeptFile(f.telegram_file_id, f.file_name, f.kind == "photo")
             for f in await store.files_of(act.session, meeting.id)]
    update, context, t = act.update, act.context, act.t
    caption = t("Attached to the minutes of {meeting}",
                meeting=views.title(t, act.settings.tzinfo, meeting))
    act.after(lambda: send_kept_files(context, update, t, files, caption))


async def confirm_makeup(act: Act, press: views.ConfirmMakeup) -> Reply:
    """The absent member confirms the catch-up, once."""
    attendance = await access_own_line(act, press.attendance)
    done = await store.confirm_makeup(act.session, attendance, act.now())
    if done:
        logger.info("user %s caught up on meeting %s", pseudonym(act.actor.telegram_id),
                    attendance.meeting_id)
    return Reply(record_views.makeup_answer(act.t, act.settings.tzinfo, attendance.meeting, done,
                                     attendance.makeup_done_at))


async def render_led(update: Update, context: BranchContext, meeting_id: int, what: str,
                     reply_of: Callable[[Act, Meeting], Awaitable[Reply]]) -> None:
    """A reply about a meeting the presser runs, for a feature outside the kit's actions."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        act = Act(update, context, session, actor, translator(actor.language), what)
        reply = await reply_of(act, await access_led_meeting(act, MeetingId(meeting_id)))
    await render(update, reply)


async def render_roster(update: Update, context: BranchContext, meeting_id: int, page: int,
                        note: Html | None = None, *, new_message: bool = False) -> None:
    """One page of the roster (a new message, or the pressed one edited)."""
    await render_led(update, context, meeting_id, "roster", lambda act, meeting: roster_reply(
        act, meeting, page, note, new=new_message))


async def send_record(update: Update, context: BranchContext, meeting_id: int) -> None:
    """The frozen record of a closed meeting in a new message, with the roster and minutes
    buttons."""
    await render_led(update, context, meeting_id, "record", record_reply)
