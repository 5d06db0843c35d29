"""/makeups: catch-ups (补学) members confirmed themselves, for their leaders to accept.

Callback data (checked again on the server):

    mk:ok:<attendance>    accept one catch-up

Only an accepted catch-up counts as organizational life for the drift warnings.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from handlers.checkin import local
from handlers.common import STALE_BUTTON, Refused, answer, require, send, show
from handlers.kit.context import BranchContext
from handlers.kit.i18n import Html, Translator, html_join, translator
from handlers.labels import MEETING_KIND_LABELS
from handlers.members import leader_actor
from handlers.ui import button, cb_args, cb_pattern, keyboard
from rules.permissions import can_manage_org
from storage import makeups as store
from storage.makeups import AwaitingMakeup
from storage.models import utcnow

logger = logging.getLogger(__name__)


def _line(context: BranchContext, t: Translator, item: AwaitingMakeup) -> Html:
    return t(
        "• {name}: {kind} «{topic}» of {when}, caught up on {done}",
        name=item.name, kind=t(MEETING_KIND_LABELS[item.kind]), topic=item.topic,
        when=local(context, item.starts_at).strftime("%Y-%m-%d"),
        done=local(context, item.done_at).strftime("%Y-%m-%d"),
    )


async def _listing(update: Update, context: BranchContext, *, new: bool) -> None:
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "makeups")
        scope = None if actor.is_admin else actor.managed_org_ids
        items = await store.awaiting(session, scope)
    t = translator(actor.language)
    if not items:
        await show(update, t("No catch-ups are waiting for you to accept."), new=new)
        return
    text = html_join("\n", [
        t("<b>Catch-ups (补学) members confirmed</b>: accept those that were done; only an "
          "accepted one counts as organizational life."),
        *[_line(context, t, item) for item in items],
    ])
    buttons = [[button(t.as_plain("✅ Accept: {name}, {when}", name=item.name,
                                  when=local(context, item.starts_at).strftime("%m-%d")),
                       "mk", "ok", item.attendance_id)] for item in items]
    await show(update, text, new=new, reply_markup=keyboard(buttons))


async def list_makeups(update: Update, context: BranchContext) -> None:
    """/makeups: the self-confirmed catch-ups of the branches the sender leads."""
    await _listing(update, context, new=True)


async def accept_makeup(update: Update, context: BranchContext) -> None:
    """mk:ok:<attendance>: a leader of the member's branch accepts the catch-up."""
    _ok, attendance_id = cb_args(
        update.callback_query.data if update.callback_query else None, "mk", str, int
    )
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "makeups")
        org_id = await store.org_of(session, attendance_id)
        if org_id is None:
            raise Refused(STALE_BUTTON)
        require(can_manage_org(actor, org_id), update, "accept makeup")
        done = await store.accept(session, attendance_id, by=actor.telegram_id, now=utcnow())
    t = translator(actor.language)
    await answer(update)
    if not done:
        await send(update, t("That catch-up was already accepted."))
    await _listing(update, context, new=False)


def register(app: Application) -> None:
    """/makeups and its button."""
    app.add_handler(CommandHandler("makeups", list_makeups))
    app.add_handler(CallbackQueryHandler(accept_makeup, pattern=cb_pattern("mk:ok")))
