"""What other features call with (update, context): the meeting and line behind a leader's
press, a meeting's title, the roster and the record (handlers/meeting_lists.py,
handlers/past_meetings/)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from handlers.access.meetings import access_led_meeting, access_led_meeting_line
from handlers.checkin import views
from handlers.checkin.roster import record_reply, roster_reply
from handlers.kit.actions import Act, render
from handlers.kit.buttons import AttendanceId, MeetingId
from handlers.kit.chat import current_actor
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Html, Translator, translator
from handlers.menu import cancel_handlers
from rules.permissions import Actor
from storage.models import Attendance, Meeting


async def act_of(session: AsyncSession, update: Update, context: BranchContext,
                 what: str) -> Act:
    actor = await current_actor(session, update, context)
    return Act(update, context, session, actor, translator(actor.language), what)


async def leader_meeting(session: AsyncSession, update: Update, context: BranchContext,
                         meeting_id: int, what: str) -> tuple[Actor, Meeting]:
    """The meeting behind a leader's button, after checking the presser runs its branch."""
    act = await act_of(session, update, context, what)
    return act.actor, await access_led_meeting(act, MeetingId(meeting_id))


async def leader_attendance(session: AsyncSession, update: Update, context: BranchContext,
                            attendance_id: int, what: str) -> tuple[Actor, Attendance]:
    """The attendance line behind a leader's button, after the same check on its meeting."""
    act = await act_of(session, update, context, what)
    return act.actor, await access_led_meeting_line(act, AttendanceId(attendance_id))


def local(context: BranchContext, value: datetime) -> datetime:
    return value.astimezone(context.settings.tzinfo)


def meeting_title(context: BranchContext, t: Translator, meeting: Meeting) -> Html:
    """Kind, topic and start, as HTML."""
    return views.title(t, context.settings.tzinfo, meeting)


async def render_roster(update: Update, context: BranchContext, meeting_id: int, page: int,
                        note: Html | None = None, *, new_message: bool = False) -> None:
    """One page of the roster (a new message, or the pressed one edited)."""
    async with context.db.session() as session:
        act = await act_of(session, update, context, "roster")
        reply = await roster_reply(act, await access_led_meeting(act, MeetingId(meeting_id)), page,
                                   note, new=new_message)
    await render(update, reply)


async def send_record(update: Update, context: BranchContext, meeting_id: int,
                      note: Html | None = None, *, edit: bool = False) -> None:
    """The frozen record of a closed meeting, with the roster and minutes buttons."""
    async with context.db.session() as session:
        act = await act_of(session, update, context, "record")
        reply = await record_reply(act, await access_led_meeting(act, MeetingId(meeting_id)), note)
    await render(update, replace(reply, new=not edit))


def own_cancel_handlers() -> list[Any]:
    """The fallbacks of a conversation about a meeting."""
    return cancel_handlers()
