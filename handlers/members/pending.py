"""/pending: the registrations waiting in the organizations a leader runs, each with its
approve and reject buttons (the decisions are the registration feature's)."""

from __future__ import annotations

from functools import partial

from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.chat import send
from handlers.members.views import MAX_PENDING_SHOWN
from handlers.registration import approval_keyboard, approval_text
from rules.permissions import can_see_phone
from storage import people, transfers


async def list_pending(act: Act, _: CommandArgs) -> Reply:
    """The count first, then one message per registration (at most MAX_PENDING_SHOWN)."""
    t, actor, update = act.t, act.actor, act.update
    scope = None if actor.is_admin else set(actor.managed_org_ids)
    waiting = await people.pending_registrations(act.session, scope, limit=MAX_PENDING_SHOWN + 1)
    if not waiting:
        return Reply(t("No registrations are waiting."))
    shown = waiting[:MAX_PENDING_SHOWN]
    letters = await transfers.arrivals(act.session, [m.id for m in shown])
    for membership in shown:
        visible = can_see_phone(actor, membership.party_organization_id, membership.person_id)
        text = approval_text(t, membership, show_phone=visible, arrival=letters.get(membership.id))
        act.after(partial(send, update, text, reply_markup=approval_keyboard(t, membership.id)))
    if len(waiting) > len(shown):
        act.after(partial(send, update, t("There are more. Decide these, then send /pending "
                                          "again.")))
    return Reply(t.plural("{n} registration is waiting for approval:",
                          "{n} registrations are waiting for approval:", len(shown)))
