"""/dashboard: a one-time sign-in link to the web dashboard (admins, secretaries, deputies).

The link works once, for 10 minutes, and only signs in the person it was sent to (the token
is tied to their Telegram id and stored as a digest). No callback data.
"""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Update
from telegram.ext import Application, CommandHandler

from handlers.kit.chat import current_actor, require, send
from handlers.kit.context import BranchContext
from handlers.kit.i18n import translator
from handlers.menu import COMMAND_CALLBACKS
from storage import overview as overview_store
from storage import web_sessions

logger = logging.getLogger(__name__)


async def send_dashboard_link(update: Update, context: BranchContext) -> None:
    """/dashboard: make a sign-in link for the sender and send it to them only."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        require(overview_store.scope_of(actor) is not None, update, "dashboard")
        token = await web_sessions.create_sign_in(session, actor.telegram_id, now=context.now())
    t = translator(actor.language)
    url = f"{context.settings.dashboard_url}/login/{token}"
    minutes = int(web_sessions.SIGN_IN_TTL.total_seconds() // 60)
    await send(
        update,
        t("🖥 Your sign-in link to the dashboard:\n{url}\n\nIt works once, for {minutes} "
          "minutes, and only for you: do not forward it.", url=url, minutes=minutes),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


def register(app: Application) -> None:
    """/dashboard."""
    app.add_handler(CommandHandler("dashboard", send_dashboard_link))
    COMMAND_CALLBACKS.update(dashboard=send_dashboard_link)
