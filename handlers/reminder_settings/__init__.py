"""/settings: which reminders a person receives, and a daily digest for leaders."""

from __future__ import annotations

from handlers.kit.actions import ANYONE, REGISTERED, Act, Action, Command, CommandArgs, Reply
from handlers.kit.chat import STALE_BUTTON
from handlers.kit.i18n import N_
from handlers.reminder_settings.views import NOT_REGISTERED, Toggle, kinds_for, settings_view
from storage import people
from storage import reminders as store


async def show_settings(act: Act, _: CommandArgs) -> Reply:
    person = await people.person_by_telegram_id(act.session, act.actor.telegram_id)
    if person is None:
        return Reply(act.t(NOT_REGISTERED), new=True)
    muted, digest = await store.preferences(act.session, person.id)
    return settings_view(act.t, act.actor, muted, digest, new=True)


async def toggle(act: Act, press: Toggle) -> Reply:
    """Mute or unmute a kind the person can receive; a leader switches the digest."""
    person = await people.person_by_telegram_id(act.session, act.actor.telegram_id)
    if person is None:
        act.refuse(NOT_REGISTERED)
    if press.what == "k" and press.value in kinds_for(act.actor):
        await store.toggle_muted(act.session, person.id, press.value,
                                 telegram_id=act.actor.telegram_id, now=act.now())
    elif press.what == "d" and press.value in ("0", "1") and (
            act.actor.is_admin or act.actor.leads_a_branch):
        await store.set_digest(act.session, person.id, press.value == "1", now=act.now())
    else:
        act.refuse(STALE_BUTTON)
    muted, digest = await store.preferences(act.session, person.id)
    return settings_view(act.t, act.actor, muted, digest, new=False)


ACTIONS = (
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("settings", description=N_("Which reminders I receive"), shown_to=REGISTERED),
           ANYONE, show_settings),
    Action(Toggle, ANYONE, toggle),
)
FLOWS = ()
