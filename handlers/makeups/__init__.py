"""/makeups: catch-ups (补学) members confirmed themselves, for their leaders to accept.

Only an accepted catch-up counts as organizational life for the drift warnings.
"""

from __future__ import annotations

from handlers.access.attendance import access_led_attendance
from handlers.kit.actions import LEADERS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.i18n import N_
from handlers.makeups.views import AcceptMakeup, awaiting_makeups
from storage import makeups as store


async def list_makeups(act: Act, _: CommandArgs | AcceptMakeup) -> Reply:
    """/makeups: the self-confirmed catch-ups of the branches the actor leads."""
    scope = None if act.actor.is_admin else act.actor.managed_org_ids
    items = await store.awaiting(act.session, scope)
    return awaiting_makeups(act.t, act.settings.tzinfo, items)


async def accept_makeup(act: Act, press: AcceptMakeup) -> Reply:
    """A leader of the member's branch accepts the catch-up, then sees the rest."""
    await access_led_attendance(act, press.attendance)
    if not await store.accept(act.session, press.attendance, by=act.actor.telegram_id,
                              now=act.now()):
        act.say(act.t("That catch-up was already accepted."))
    return await list_makeups(act, press)


ACTIONS = (
    Action(Command("makeups",
                   description=N_("Catch-ups (补学) members confirmed, waiting for acceptance")),
           LEADERS, list_makeups),
    Action(AcceptMakeup, LEADERS, accept_makeup),
)
