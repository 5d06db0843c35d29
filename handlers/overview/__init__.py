"""/overview: the oversight picture for admins: coverage, meeting compliance, renewals,
overdue reporting duties, secretaries' training, and a chart (issue 7). The numbers come from
storage/overview/, which the web dashboard shows as well."""

from __future__ import annotations

import io
import logging

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from handlers.kit.actions import ADMINS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.chat import reply_chat, send
from handlers.kit.i18n import N_, Translator
from handlers.overview.views import overview_png, overview_text, periods_text
from storage import overview as store

logger = logging.getLogger(__name__)

__all__ = ["ACTIONS", "overview_png", "periods_text"]


async def send_chart(update: Update, t: Translator, view: store.Overview) -> None:
    """The chart after the numbers; a chart that fails must not hide them."""
    chat = reply_chat(update)
    try:
        await chat.send_action(ChatAction.UPLOAD_PHOTO)
    except TelegramError as exc:
        logger.info("chat action failed: %s", exc)
    try:
        png = await overview_png(t, view)
    except Exception:
        logger.exception("could not draw the overview chart")
        await send(update, t("Sorry, the chart could not be drawn this time."))
        return
    await chat.send_photo(
        InputFile(io.BytesIO(png), filename="overview.png"),
        caption=t("Overview {quarter}: coverage, meetings, training and terms.",
                  quarter=view.quarter.label),
    )


async def show_overview(act: Act, _: CommandArgs) -> Reply:
    """/overview: the admin's oversight numbers, then the chart."""
    settings = act.settings
    scope = store.scope_of(act.actor)
    assert scope is not None
    view = await store.overview(
        act.session, scope, today=act.today(), tz=settings.tzinfo,
        requirements=settings.requirements, policy=settings.training_policy,
        inquorate_counts=settings.inquorate_committee_counts,
    )
    update, t = act.update, act.t
    act.after(lambda: send_chart(update, t, view))
    return Reply(overview_text(t, view), new=True)


ACTIONS = (
    Action(Command("overview", label=N_("🔭 Overview"), description=N_(
        "Coverage, compliance, renewals, duties and training below me (admins)")),
           ADMINS, show_overview),
)
FLOWS = ()
