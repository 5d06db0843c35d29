"""Changing a meeting's fixed expected list (应到): add or remove someone, with a reason.

Until check-in opens the list follows the branch by itself (storage/expected_lists.py); from
then on a leader changes it here, and each change is logged with who and why.

Callback data (every press is checked again on the server; ids are never trusted):

    ml:edit:<meeting>:<page>          leader: who is on the list (➖) and who could be added (➕)
    ml:rm:<attendance>                ... take this line off: the reason is typed next
    ml:add:<meeting>:<membership>     ... put this member on: the reason is typed next
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ConversationHandler, MessageHandler

from handlers.checkin import (
    REFUSALS,
    leader_attendance,
    leader_meeting,
    meeting_title,
    own_cancel_handlers,
    render_roster,
)
from handlers.kit.chat import STALE_BUTTON, Refused, answer, send, show
from handlers.kit.context import BranchContext
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import N_, Html, Translator, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import button, cb_args, cb_pattern, keyboard, paged, person_name
from handlers.registration import TEXT_INPUT
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import MeetingState, MembershipState
from storage import expected_lists
from storage import meetings as store
from storage.models import Meeting, Membership, Person, utcnow

logger = logging.getLogger(__name__)

LIST_REASON = 70  # conversation "meeting_list_edit": the reason is typed
DRAFT = "ml_edit"  # {"op": "add" | "rm", "mid": meeting, "ms": membership, "aid": attendance}

ERRORS = {
    "list_follows": N_(
        "Until check-in opens, the list follows the branch's members by itself: nothing to "
        "change by hand."
    ),
    "already_on_list": N_("{name} is already on the list."),
    "not_in_branch": N_("{name} is not a member of this meeting's branch."),
    "not_live": REFUSALS["cancelled"],
}


def _draft(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict):
        raise Refused(STALE_BUTTON)
    return draft


def _refuse_unless_fixed(meeting: Meeting) -> None:
    if meeting.state is MeetingState.CANCELLED:
        raise Refused(REFUSALS["cancelled"])
    if expected_lists.list_follows(meeting, utcnow()):
        raise Refused(ERRORS["list_follows"])


async def show_list_edit(update: Update, context: BranchContext) -> None:
    """ml:edit:<meeting>:<page>: one button per person, on the list or not yet."""
    meeting_id, page = cb_args(update.callback_query.data if update.callback_query else None,
                               "ml", str, int, int)[1:]
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "edit list")
        _refuse_unless_fixed(meeting)
        t = translator(actor.language)
        rows = await store.roster(session, meeting.id)
        on_list = {a.membership_id for a, _p in rows}
        others = (
            await session.execute(
                select(Membership.id, Person)
                .join(Person, Person.id == Membership.person_id)
                .where(Membership.party_organization_id == meeting.party_organization_id,
                       Membership.state == MembershipState.ACTIVE)
                .order_by(Person.real_name, Membership.id)
            )
        ).all()
        title = meeting_title(context, t, meeting)
    items = [button(t.as_plain("➖ {name}", name=person_name(t, p)), "ml", "rm", a.id)
             for a, p in rows]
    items += [button(t.as_plain("➕ {name}", name=person_name(t, p)), "ml", "add", meeting.id, mid)
              for mid, p in others if mid not in on_list]
    text = html_join("\n", [
        t("Change the list of {meeting}.", meeting=title),
        t("➖ takes someone off the list, ➕ puts a member of the branch on it. You are asked "
          "why; the change is logged with your name."),
    ])
    await answer(update)
    await show(update, text, reply_markup=paged(
        t, items, page, ("ml", "edit", meeting.id),
        [[button(t("‹ Roster"), "ck", "roster", meeting.id)]],
    ))


async def _ask_reason(update: Update, t: Translator, question: Html, meeting_id: int) -> int:
    await answer(update)
    await show(update, question, reply_markup=keyboard(
        [[button(t("Cancel"), "x", "cancel")], [button(t("‹ Roster"), "ck", "roster", meeting_id)]]
    ))
    return LIST_REASON


async def ask_remove(update: Update, context: BranchContext) -> int:
    """ml:rm:<attendance>: why is this person taken off the list?"""
    assert context.user_data is not None and update.callback_query is not None
    (attendance_id,) = cb_args(update.callback_query.data, "ml", str, int)[1:]
    async with context.db.session() as session:
        actor, line = await leader_attendance(session, update, context, attendance_id,
                                              "edit list")
        _refuse_unless_fixed(line.meeting)
        t = translator(actor.language)
        name = person_name(t, line.membership.person)
        title = meeting_title(context, t, line.meeting)
    context.user_data[DRAFT] = {"op": "rm", "aid": line.id, "mid": line.meeting_id}
    return await _ask_reason(update, t, t(
        "Take {name} off the list of {meeting}? Type the reason.", name=name, meeting=title,
    ), line.meeting_id)


async def ask_add(update: Update, context: BranchContext) -> int:
    """ml:add:<meeting>:<membership>: why is this member put on the list?"""
    assert context.user_data is not None and update.callback_query is not None
    meeting_id, membership_id = cb_args(update.callback_query.data, "ml", str, int, int)[1:]
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, meeting_id, "edit list")
        _refuse_unless_fixed(meeting)
        t = translator(actor.language)
        membership = await session.get(Membership, membership_id)
        if membership is None or membership.party_organization_id != (
            meeting.party_organization_id
        ):
            raise Refused(STALE_BUTTON)
        person = await session.get(Person, membership.person_id)
        name = person_name(t, person)
        title = meeting_title(context, t, meeting)
    context.user_data[DRAFT] = {"op": "add", "mid": meeting.id, "ms": membership_id}
    return await _ask_reason(update, t, t(
        "Put {name} on the list of {meeting}? Type the reason.", name=name, meeting=title,
    ), meeting.id)


async def enter_reason(update: Update, context: BranchContext) -> int:
    """The typed reason: the change is made and logged with who and why."""
    assert update.message is not None and context.user_data is not None
    draft = _draft(context)
    now = utcnow()
    tz = context.settings.tzinfo
    async with context.db.session() as session:
        actor, meeting = await leader_meeting(session, update, context, int(draft["mid"]),
                                              "edit list")
        t = translator(actor.language)
        reason = clean_text(update.message.text, max_length=MAX_REASON)
        if isinstance(reason, Invalid):
            await send(update, invalid_text(t, reason))
            return LIST_REASON
        name = "?"
        try:
            if draft["op"] == "rm":
                _actor, line = await leader_attendance(session, update, context,
                                                       int(draft["aid"]), "edit list")
                name = person_name(t, line.membership.person)
                await expected_lists.remove_line(session, line, by=actor.telegram_id,
                                                 reason=reason, now=now, tz=tz)
                note = t("➖ {name} is off the list. The change and its reason are logged.",
                         name=name)
            else:
                membership = await session.get(Membership, int(draft["ms"]))
                if membership is None:
                    raise Refused(STALE_BUTTON)
                name = person_name(t, await session.get(Person, membership.person_id))
                await expected_lists.add_line(session, meeting, membership,
                                              by=actor.telegram_id, reason=reason, now=now,
                                              tz=tz)
                note = t("➕ {name} is on the list. The change and its reason are logged.",
                         name=name)
        except store.MeetingError as error:  # raised before anything is written
            context.user_data.pop(DRAFT, None)
            await send(update, t(ERRORS.get(error.code, STALE_BUTTON), name=name))
            return ConversationHandler.END
    context.user_data.pop(DRAFT, None)
    logger.info("user %s changed the list of meeting %s (%s)", pseudonym(actor.telegram_id),
                meeting.id, draft["op"])
    await render_roster(update, context, meeting.id, 0, note, new_message=True)
    return ConversationHandler.END


def register(app: Application) -> None:
    """The list editor; its conversation waits for the reason."""
    app.add_handler(ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_remove, pattern=cb_pattern("ml:rm")),
                      CallbackQueryHandler(ask_add, pattern=cb_pattern("ml:add"))],
        states={LIST_REASON: [MessageHandler(TEXT_INPUT, enter_reason)]},
        fallbacks=own_cancel_handlers(),
        name="meeting_list_edit",
        persistent=True,
        allow_reentry=True,
    ))
    app.add_handler(CallbackQueryHandler(show_list_edit, pattern=cb_pattern("ml:edit")))
