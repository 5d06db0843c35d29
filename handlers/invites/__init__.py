"""/invite: a branch's invite link and its QR code, a new link that revokes the old one, and
single-use links. Leaders of the branch (or above it) only; people register into a branch."""

from __future__ import annotations

import logging

from telegram import InputFile

from handlers.access.orgs import access_led_org
from handlers.invites import views
from handlers.invites.views import ShowInvite, qr_png
from handlers.kit.actions import LEADERS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.chat import Refused, reply_chat, send
from handlers.kit.i18n import N_
from handlers.kit.pseudonyms import pseudonym
from handlers.pickers import Picker
from rules.tree import MEMBER_KINDS
from storage import invites as store
from storage.models import Invite, PartyOrganization

__all__ = ["ACTIONS", "ShowInvite", "qr_png"]

logger = logging.getLogger(__name__)

PICKER = Picker(views.PICK, pick=ShowInvite, page=views.InvitePage)


async def invite_org(act: Act, org_id: OrgId) -> PartyOrganization:
    """An organization the actor runs that members register into."""
    org = await access_led_org(act, org_id)
    if org.kind not in MEMBER_KINDS:
        raise Refused(views.NO_BRANCH_INVITES)
    return org


async def new_invite(act: Act, org: PartyOrganization, made: str, *,
                     single_use: bool = False) -> Invite:
    """A new link (`made` says which, for the log)."""
    invite = await store.create_invite(
        act.session, org_id=org.id, created_by=act.actor.telegram_id,
        valid_days=act.settings.invite_valid_days, now=act.now(), single_use=single_use,
    )
    logger.info("user %s %s of org %s", pseudonym(act.actor.telegram_id), made, org.id)
    return invite


def send_invite(act: Act, org: PartyOrganization, invite: Invite) -> None:
    """After the reply: the QR code with the link as caption, then the link with its buttons."""
    t, update = act.t, act.update
    link = views.invite_link(act.context.bot.username, invite.code)
    single = invite.max_uses is not None
    until = act.local(invite.expires_at).strftime("%Y-%m-%d %H:%M")
    under = views.caption(t, org.name, link, single=single)
    message = views.invite_message(t, OrgId(org.id), org.name, link, until, single=single)
    photo = InputFile(qr_png(link), filename="invite.png")
    act.after(lambda: reply_chat(update).send_photo(photo=photo, caption=under))
    act.after(lambda: send(update, message.text, reply_markup=message.markup))


async def show_invite(act: Act, press: ShowInvite) -> None:
    """The organization's current link (a new one if none is valid) and its QR code."""
    org = await invite_org(act, press.org)
    invite = await store.current_invite(act.session, org.id, act.now())
    send_invite(act, org, invite or await new_invite(act, org, "made the first invite"))


async def invite_menu(act: Act, _: CommandArgs) -> Reply | None:
    """/invite: the link of the leader's branch, or a choice of organizations first."""
    return await PICKER.open(act, nothing=views.NOTHING,
                             on_one=lambda org: show_invite(act, ShowInvite(org)))


async def ask_new_invite(act: Act, press: views.AskNewInvite) -> Reply:
    """Confirm first: people holding the old link can no longer use it."""
    org = await invite_org(act, press.org)
    return views.ask_new(act.t, OrgId(org.id), org.name)


async def renew_invite(act: Act, press: views.RenewInvite) -> Reply:
    """A new multi-use link; the store revokes the previous ones."""
    org = await invite_org(act, press.org)
    send_invite(act, org, await new_invite(act, org, "replaced the invite link"))
    return Reply(act.t("New link made; the old one no longer works."))


async def keep_invite(act: Act, press: views.KeepInvite) -> Reply:
    await invite_org(act, press.org)
    return Reply(act.t("The current link stays valid."))


async def single_use_invite(act: Act, press: views.SingleUseInvite) -> None:
    """A link for one person; the branch's regular link keeps working."""
    org = await invite_org(act, press.org)
    send_invite(act, org, await new_invite(act, org, "made a single-use invite", single_use=True))


ACTIONS = (
    Action(Command("invite", label=N_("🔗 Invite link"),
                   description=N_("Invite link and QR code for a branch")), LEADERS, invite_menu),
    Action(views.InvitePage, LEADERS, PICKER.turn_page),
    Action(ShowInvite, LEADERS, show_invite),
    Action(views.AskNewInvite, LEADERS, ask_new_invite),
    Action(views.RenewInvite, LEADERS, renew_invite),
    Action(views.KeepInvite, LEADERS, keep_invite),
    Action(views.SingleUseInvite, LEADERS, single_use_invite),
)
