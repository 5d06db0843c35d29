"""Everyone's commands: /help (what my role can do), /me (my record), /language."""

from __future__ import annotations

from handlers.kit.actions import ANYONE, REGISTERED, Act, Action, Command, CommandArgs, Reply
from handlers.kit.i18n import N_
from handlers.kit.ui import keyboard, language_chosen, language_question
from handlers.menu import commands_for, main_keyboard, menu_follows
from handlers.profile import views
from handlers.profile.views import SetLanguage
from storage import people


async def show_help(act: Act, _: CommandArgs) -> Reply:
    kind = "member" if act.actor.is_pending else act.actor.kind
    return Reply(views.help_text(act.t, kind, commands_for(kind)), main_keyboard(act.actor))


async def show_profile(act: Act, _: CommandArgs) -> Reply:
    person = await people.person_by_telegram_id(act.session, act.actor.telegram_id)
    membership = await people.current_membership(act.session, person.id) if person else None
    if person is None or membership is None:
        return Reply(act.t(views.ROLE_INTROS["guest"]), main_keyboard(act.actor))
    return Reply(views.profile_text(act.t, person, membership), main_keyboard(act.actor))


async def ask_language(act: Act, _: CommandArgs) -> Reply:
    text, rows = language_question(SetLanguage)
    return Reply(text, keyboard(rows))


async def set_language(act: Act, press: SetLanguage) -> Reply:
    """Replies, keyboard and command menu switch to the chosen language."""
    await act.switch_language(press.language)
    await menu_follows(act, act.t("Done. The menu is below."))
    return Reply(language_chosen(act.t, press.language))


ACTIONS = (
    Action(Command("help", label=N_("❓ Help"), description=N_("What I can do for you")), ANYONE,
           show_help),
    # Anyone may ask (a guest is told to register first); the menu lists it once registered.
    Action(Command("me", label=N_("🪪 My profile"), description=N_("My profile"),
                   shown_to=REGISTERED), ANYONE, show_profile),
    Action(Command("language", label=N_("🌐 Language"),
                   description=N_("Change language / 切换语言")), ANYONE, ask_language),
    Action(SetLanguage, ANYONE, set_language),
)
