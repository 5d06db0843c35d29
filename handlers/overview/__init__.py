"""/overview: the oversight picture for admins: coverage, meeting compliance, renewals,
overdue reporting duties, secretaries' training, and a chart (issue 7). The numbers come from
storage/overview/, which the web dashboard shows as well."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction

from handlers.kit.actions import ADMINS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.i18n import N_, Translator
from handlers.ledger.exports import busy, send_png
from handlers.overview.views import overview_png, overview_text, periods_text
from storage import overview as store

__all__ = ["ACTIONS", "overview_png", "periods_text"]


async def send_chart(update: Update, t: Translator, view: store.Overview) -> None:
    """The chart after the numbers."""
    await busy(update, ChatAction.UPLOAD_PHOTO)
    await send_png(update, t, lambda: overview_png(t, view), "overview.png",
                   t("Overview {quarter}: coverage, meetings, training and terms.",
                     quarter=view.quarter.label))


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
