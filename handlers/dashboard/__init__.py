"""/dashboard: a one-time sign-in link to the web dashboard (admins, secretaries, deputies).

The link works once, for 10 minutes, and only signs in the person it was sent to (the token
is tied to their Telegram id and stored as a digest).
"""

from __future__ import annotations

from handlers.kit.actions import Act, Action, Audience, Command, CommandArgs, Reply
from handlers.kit.i18n import N_
from storage import overview as overview_store
from storage import web_sessions

# Whoever oversees something: admins, and the leaders of an organization.
OVERSEERS = Audience("overseers", lambda actor: overview_store.scope_of(actor) is not None)


async def send_dashboard_link(act: Act, _: CommandArgs) -> Reply:
    """A sign-in link for the sender, sent to them only, without a preview (which would fetch
    it, and use it up)."""
    token = await web_sessions.create_sign_in(act.session, act.actor.telegram_id, now=act.now())
    minutes = int(web_sessions.SIGN_IN_TTL.total_seconds() // 60)
    url = f"{act.settings.dashboard_url}/login/{token}"
    return Reply(act.t("🖥 Your sign-in link to the dashboard:\n{url}\n\nIt works once, for "
                       "{minutes} minutes, and only for you: do not forward it.", url=url,
                       minutes=minutes), new=True)


ACTIONS = (
    Action(Command("dashboard", description=N_("Sign-in link to the web dashboard")), OVERSEERS,
           send_dashboard_link),
)
FLOWS = ()
