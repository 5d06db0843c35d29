"""What several topics share: a meeting as plain values, telling everyone on its list, a
question that is its text only, and removing the buttons of a pressed message."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import TelegramError

from handlers.kit.actions import Act
from handlers.kit.chat import ReplyMarkup, deliver_many, send
from handlers.kit.i18n import Html, Translator, translator
from handlers.meetings.views import MeetingInfo
from rules.vocabulary import AttendanceStatus
from storage import meetings as store
from storage.models import Meeting, PartyGroup, PartyOrganization

logger = logging.getLogger(__name__)
Message = tuple[int, Html, ReplyMarkup | None]


async def meeting_info(session: AsyncSession, meeting: Meeting) -> MeetingInfo:
    org = await session.get(PartyOrganization, meeting.party_organization_id)
    group = (
        await session.get(PartyGroup, meeting.party_group_id) if meeting.party_group_id else None
    )
    return MeetingInfo(
        id=meeting.id,
        org_id=meeting.party_organization_id,
        org_name=org.name if org else "?",
        group_name=group.name if group else None,
        kind=meeting.kind,
        state=meeting.state,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        online_url=meeting.online_url,
        located=meeting.latitude is not None and meeting.longitude is not None,
        topic=meeting.topic,
        host=meeting.host,
        recorder=meeting.recorder,
        lecturer=meeting.lecturer,
        cancelled_reason=meeting.cancelled_reason,
    )


async def list_messages(
    act: Act, meeting_id: int,
    write: Callable[[Translator, AttendanceStatus], tuple[Html, ReplyMarkup | None]],
    *, skip: int | None = None,
) -> list[Message]:
    """A message to everyone on a meeting's list (guests too) in their language, but `skip`."""
    return [
        (person.telegram_id, *write(translator(person.language), attendance.status))
        for attendance, person in await store.roster(act.session, meeting_id)
        if person.telegram_id != skip
    ]


def asking(message: str, **values: Any) -> Callable[[Act, Any], Awaitable[Html]]:
    """A question that is its text only (a message id and its values)."""

    async def ask(act: Act, form: Any) -> Html:
        return act.t(message, **values)

    return ask


def told_text(t: Translator, told: int) -> Html:
    return t.plural("{n} person was told.", "{n} people were told.", told)


def tell_then(
    act: Act, messages: Sequence[Message], report: Callable[[int], tuple[Html, ReplyMarkup | None]],
    *, drop: bool = False,
) -> None:
    """After the reply: deliver the messages, then tell the presser `report(how many arrived)`
    (with `drop`, the pressed message loses its buttons first)."""
    update, context = act.update, act.context

    async def tell() -> None:
        told = await deliver_many(context, messages)
        if drop:
            await drop_buttons(update)
        text, markup = report(told)
        await send(update, text, reply_markup=markup)

    act.after(tell)


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the message whose button was pressed, keeping its text."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        logger.info("could not remove the buttons: %s", exc)
