"""Secretaries run their branch's membership: invite links, registrations, member records.

Callback data (every press is checked again on the server; ids are never trusted):

    inv:pick:<page>            page of the organization picker for /invite
    inv:show:<org>             the current invite link and its QR code (made if missing)
    inv:new:<org>              ask before replacing the link
    inv:renew:<org>            replace the link (the old one stops working)
    inv:keep:<org>             keep the current link
    inv:one:<org>              a single-use link
    mem:pick:<page>            page of the organization picker for /members
    mem:list:<org>:<page>      active members of an organization
    mem:gone:<org>:<page>      members transferred out (history is never deleted)
    mem:card:<membership>      one member's record
    mem:st:<m> / mem:setst:<m>:<status>      change the status
    mem:rl:<m> / mem:setrl:<m>:<role>        change the role
    mem:gp:<m> / mem:setgp:<m>:<group|0>     put into a 党小组 (0: none)
    mem:out:<m> -> mem:outskip:<m> -> mem:outok:<m>   transfer out (组织关系转出)
"""

from __future__ import annotations

import io
import logging
from datetime import datetime
from typing import Any

import qrcode
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from handlers.kit.chat import (
    STALE_BUTTON,
    Refused,
    answer,
    reply_chat,
    require,
    send,
    show,
)
from handlers.kit.context import BranchContext
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    N_,
    Html,
    Translator,
    escape,
    html_format,
    html_join,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import button, cb_args, cb_pattern, fmt_date, keyboard, paged, person_name
from handlers.labels import MEMBER_STATUS_LABELS, MEMBERSHIP_STATE_LABELS, ROLE_LABELS
from handlers.menu import COMMAND_CALLBACKS, main_keyboard, publish_commands_for
from handlers.pickers import OrgPicker, leader_actor, open_picker, turn_picker_page
from handlers.registration import (
    TEXT_INPUT,
    approval_keyboard,
    approval_text,
    cancel_handlers,
)
from rules.permissions import Actor, can_appoint, can_edit_member, can_manage_org, can_see_phone
from rules.tree import MEMBER_KINDS
from rules.validation import Invalid, clean_text, mask_phone
from rules.vocabulary import MemberRole, MembershipState, MemberStatus
from storage import invites as invite_store
from storage import orgs as org_store
from storage import people
from storage.models import Invite, Membership, PartyOrganization, utcnow

logger = logging.getLogger(__name__)

# Conversation states of "member_edit" (typed text is only needed for the transfer).
TRANSFER_TO, TRANSFER_CONFIRM = range(20, 22)
TRANSFER = "transfer"  # user_data key: {"mid": membership id, "to": destination or None}
MAX_DESTINATION = 100  # Membership.transferred_to is String(100)
MAX_PENDING_SHOWN = 20
# Roles offered in the role menu, in this order (each only when can_appoint allows it).
ROLE_CHOICES = (
    MemberRole.MEMBER,
    MemberRole.COMMITTEE_MEMBER,
    MemberRole.DEPUTY_SECRETARY,
    MemberRole.SECRETARY,
)
NOT_ACTIVE = N_("{name} is not an active member any more; nothing was changed.")
NO_BRANCH_INVITES = N_(
    "Members register in a branch. Pick a branch below this organization for the link."
)


# ---------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------


INVITE_PICKER = OrgPicker(
    N_("Invite link for which organization?"), ("inv", "show"), ("inv", "pick")
)
MEMBERS_PICKER = OrgPicker(
    N_("Members of which organization?"), ("mem", "list"), ("mem", "pick"), suffix=(0,),
    member_kinds_only=False,
)


def local_time(context: BranchContext, value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(context.settings.tzinfo).strftime("%Y-%m-%d %H:%M")


def local_date(context: BranchContext, value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(context.settings.tzinfo).date().isoformat()


def display_name(t: Translator, membership: Membership) -> str:
    """The member's real name, or a placeholder for someone appointed before registering."""
    return person_name(t, membership.person)


def member_label(t: Translator, membership: Membership) -> str:
    """Button text: name · status · role (plain text, buttons are not HTML)."""
    parts = [
        display_name(t, membership),
        t(MEMBER_STATUS_LABELS[membership.status]),
        t(ROLE_LABELS[membership.role]),
    ]
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------
# /invite
# ---------------------------------------------------------------------------------------


def invite_link(context: BranchContext, code: str) -> str:
    return f"https://t.me/{context.bot.username}?start={code}"


def qr_png(data: str) -> bytes:
    """A QR code of data as PNG bytes."""
    image = qrcode.make(data, box_size=8, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def load_invite_org(
    session: AsyncSession, update: Update, context: BranchContext, org_id: int, what: str
) -> tuple[Actor, PartyOrganization]:
    """The organization behind an invite button, after checking the presser runs it."""
    actor = await leader_actor(session, update, context, what)
    require(can_manage_org(actor, org_id), update, what)
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    if org.kind not in MEMBER_KINDS:
        raise Refused(NO_BRANCH_INVITES)
    return actor, org


async def send_invite(
    update: Update, context: BranchContext, t: Translator, org: PartyOrganization, invite: Invite
) -> None:
    """The link as a QR code image, then as text with its expiry and the link buttons."""
    link = invite_link(context, invite.code)
    single = invite.max_uses is not None
    chat = reply_chat(update)
    caption = html_join("\n",
        [
            t("Single-use invite to {branch}", branch=org.name)
            if single
            else t("Invite to {branch}", branch=org.name),
            escape(link),
        ]
    )
    await chat.send_photo(
        photo=InputFile(qr_png(link), filename="invite.png"), caption=caption
    )
    lines = [
        t("<b>Single-use invite link for {branch}</b>", branch=org.name)
        if single
        else t("<b>Invite link for {branch}</b>", branch=org.name),
        escape(link),
        t("Valid until {time}.", time=local_time(context, invite.expires_at) or ""),
        t("It works for one registration only.")
        if single
        else t("Anyone with this link can register; you still approve each registration."),
    ]
    await send(
        update,
        html_join("\n", lines),
        reply_markup=keyboard(
            [
                [button(t("New link (the old one stops working)"), "inv", "new", org.id)],
                [button(t("Single-use link"), "inv", "one", org.id)],
            ]
        ),
    )


async def present_invite(update: Update, context: BranchContext, org_id: int) -> None:
    """The organization's current link (a new one if none is valid) and its QR code."""
    assert update.effective_user is not None
    async with context.db.session() as session:
        actor, org = await load_invite_org(session, update, context, org_id, "show invite")
        invite = await invite_store.current_invite(session, org.id, utcnow())
        if invite is None:
            invite = await invite_store.create_invite(
                session,
                org_id=org.id,
                created_by=update.effective_user.id,
                valid_days=context.settings.invite_valid_days,
            )
            logger.info("user %s made the first invite of org %s", pseudonym(actor.telegram_id),
                        org.id)
    await send_invite(update, context, translator(actor.language), org, invite)


async def show_invite_menu(update: Update, context: BranchContext) -> None:
    """/invite: the link of the leader's branch, or a choice of organizations first."""
    await open_picker(
        update, context, INVITE_PICKER, purpose="invite",
        nothing=N_("There is no branch to invite members to yet."),
        on_one=lambda org_id: present_invite(update, context, org_id),
    )


async def turn_invite_page(update: Update, context: BranchContext) -> None:
    """Another page of the organizations to invite to."""
    assert update.callback_query is not None
    (page,) = cb_args(update.callback_query.data, "inv", str, int)[1:]
    await turn_picker_page(update, context, INVITE_PICKER, page)


async def show_invite(update: Update, context: BranchContext) -> None:
    """inv:show:<org>: the link of one organization (also used by the admin's org card)."""
    assert update.callback_query is not None
    (org_id,) = cb_args(update.callback_query.data, "inv", str, int)[1:]
    await present_invite(update, context, int(org_id))
    await answer(update)


async def ask_new_invite(update: Update, context: BranchContext) -> None:
    """Confirm before replacing the link: people holding the old one can no longer use it."""
    assert update.callback_query is not None
    (org_id,) = cb_args(update.callback_query.data, "inv", str, int)[1:]
    async with context.db.session() as session:
        actor, org = await load_invite_org(session, update, context, int(org_id), "new invite")
    await answer(update)
    t = translator(actor.language)
    await show(
        update,
        t(
            "Make a new link for {branch}? The current link stops working at once; "
            "people who already registered are not affected.",
            branch=org.name,
        ),
        reply_markup=keyboard(
            [
                [button(t("Yes, make a new link"), "inv", "renew", org.id)],
                [button(t("No, keep the current link"), "inv", "keep", org.id)],
            ]
        ),
    )


async def renew_invite(update: Update, context: BranchContext) -> None:
    """Make a new multi-use link; create_invite revokes the previous ones."""
    assert update.callback_query is not None and update.effective_user is not None
    (org_id,) = cb_args(update.callback_query.data, "inv", str, int)[1:]
    async with context.db.session() as session:
        actor, org = await load_invite_org(session, update, context, int(org_id), "renew invite")
        invite = await invite_store.create_invite(
            session,
            org_id=org.id,
            created_by=update.effective_user.id,
            valid_days=context.settings.invite_valid_days,
        )
    logger.info("user %s replaced the invite link of org %s", pseudonym(actor.telegram_id), org.id)
    await answer(update)
    t = translator(actor.language)
    await show(update, t("New link made; the old one no longer works."))
    await send_invite(update, context, t, org, invite)


async def keep_invite(update: Update, context: BranchContext) -> None:
    """The leader changed their mind: nothing changes."""
    assert update.callback_query is not None
    (org_id,) = cb_args(update.callback_query.data, "inv", str, int)[1:]
    async with context.db.session() as session:
        actor, _org = await load_invite_org(session, update, context, int(org_id), "keep invite")
    await answer(update)
    t = translator(actor.language)
    await show(update, t("The current link stays valid."))


async def single_use_invite(update: Update, context: BranchContext) -> None:
    """A link for one person; the branch's regular link keeps working."""
    assert update.callback_query is not None and update.effective_user is not None
    (org_id,) = cb_args(update.callback_query.data, "inv", str, int)[1:]
    async with context.db.session() as session:
        actor, org = await load_invite_org(session, update, context, int(org_id), "single invite")
        invite = await invite_store.create_invite(
            session,
            org_id=org.id,
            created_by=update.effective_user.id,
            valid_days=context.settings.invite_valid_days,
            single_use=True,
        )
    logger.info("user %s made a single-use invite for org %s", pseudonym(actor.telegram_id), org.id)
    await answer(update)
    await send_invite(update, context, translator(actor.language), org, invite)


# ---------------------------------------------------------------------------------------
# /pending
# ---------------------------------------------------------------------------------------


async def list_pending(update: Update, context: BranchContext) -> None:
    """/pending: each waiting registration of the managed organizations, with its buttons."""
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "pending")
        org_ids = None if actor.is_admin else set(actor.managed_org_ids)
        waiting = await people.pending_registrations(
            session, org_ids, limit=MAX_PENDING_SHOWN + 1
        )
    t = translator(actor.language)
    if not waiting:
        await send(update, t("No registrations are waiting."))
        return
    shown = waiting[:MAX_PENDING_SHOWN]
    await send(
        update,
        t.plural(
            "{n} registration is waiting for approval:",
            "{n} registrations are waiting for approval:",
            len(shown),
        ),
    )
    for membership in shown:
        visible = can_see_phone(actor, membership.party_organization_id, membership.person_id)
        await send(
            update,
            approval_text(t, membership, show_phone=visible),
            reply_markup=approval_keyboard(t, membership.id),
        )
    if len(waiting) > len(shown):
        await send(update, t("There are more. Decide these, then send /pending again."))


# ---------------------------------------------------------------------------------------
# /members: lists
# ---------------------------------------------------------------------------------------


async def list_members_menu(update: Update, context: BranchContext) -> None:
    """/members: the member list of the leader's branch, or a choice of organizations."""
    await open_picker(
        update, context, MEMBERS_PICKER, purpose="members",
        nothing=N_("There are no organizations yet."),
        on_one=lambda org_id: render_member_list(update, context, org_id, 0, gone=False),
    )


async def turn_org_page(update: Update, context: BranchContext) -> None:
    """Another page of the organizations whose members can be listed."""
    assert update.callback_query is not None
    (page,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    await turn_picker_page(update, context, MEMBERS_PICKER, page)


async def render_member_list(
    update: Update, context: BranchContext, org_id: int, page: int, *, gone: bool
) -> None:
    """Active (or transferred-out) members of one organization as paged buttons."""
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "member list")
        require(can_manage_org(actor, org_id), update, "member list")
        org = await org_store.get_party_org(session, org_id)
        if org is None:
            raise Refused(STALE_BUTTON)
        states = (MembershipState.TRANSFERRED_OUT,) if gone else (MembershipState.ACTIVE,)
        members = await people.members_of(session, org_id, states)
    t = translator(actor.language)
    if gone:
        title = t.plural(
            "<b>{branch}</b>: {n} member transferred out",
            "<b>{branch}</b>: {n} members transferred out",
            len(members),
            branch=org.name,
        )
        items = [
            button(
                f"{display_name(t, m)} · {local_date(context, m.transferred_out_at) or '?'}",
                "mem", "card", m.id,
            )
            for m in members
        ]
        extra = [[button(t("‹ Active members"), "mem", "list", org_id, 0)]]
    else:
        title = t.plural(
            "<b>{branch}</b>: {n} active member",
            "<b>{branch}</b>: {n} active members",
            len(members),
            branch=org.name,
        )
        items = [button(member_label(t, m), "mem", "card", m.id) for m in members]
        extra = [[button(t("Transferred out"), "mem", "gone", org_id, 0)]]
        if actor.is_admin or len(actor.managed_org_ids) > 1:
            extra.append([button(t("‹ Organizations"), "mem", "pick", 0)])
    if members:
        title = html_join("\n", [title, t("Press a member to see or change their record.")])
    await show(
        update,
        title,
        reply_markup=paged(t, items, page, ("mem", "gone" if gone else "list", org_id), extra),
    )


async def show_member_list(update: Update, context: BranchContext) -> None:
    """mem:list:<org>:<page> (also used by the admin's org card)."""
    assert update.callback_query is not None
    org_id, page = cb_args(update.callback_query.data, "mem", str, int, int)[1:]
    await render_member_list(update, context, int(org_id), int(page), gone=False)
    await answer(update)


async def show_transferred(update: Update, context: BranchContext) -> None:
    """mem:gone:<org>:<page>: members who left; their records stay."""
    assert update.callback_query is not None
    org_id, page = cb_args(update.callback_query.data, "mem", str, int, int)[1:]
    await render_member_list(update, context, int(org_id), int(page), gone=True)
    await answer(update)


# ---------------------------------------------------------------------------------------
# /members: one member
# ---------------------------------------------------------------------------------------


async def load_member(
    session: AsyncSession,
    update: Update,
    context: BranchContext,
    membership_id: int,
    what: str,
    *,
    edit: bool = False,
) -> tuple[Actor, Membership]:
    """The membership behind a button, after checking the presser runs its organization.

    With edit=True the presser must also be allowed to edit this member (not themselves).
    """
    actor = await leader_actor(session, update, context, what)
    membership = await people.membership_with_person(session, membership_id)
    if membership is None:
        raise Refused(STALE_BUTTON)
    org_id = membership.party_organization_id
    require(can_manage_org(actor, org_id), update, what)
    if edit:
        require(can_edit_member(actor, org_id, membership.person_id), update, what)
    return actor, membership


def require_active(t: Translator, membership: Membership) -> None:
    if membership.state is not MembershipState.ACTIVE:
        raise Refused(NOT_ACTIVE, name=display_name(t, membership))


def card_text(context: BranchContext, t: Translator, actor: Actor, m: Membership) -> Html:
    person = m.person
    visible = can_see_phone(actor, m.party_organization_id, m.person_id)
    phone = person.phone if visible else mask_phone(person.phone)
    joined = (
        t("Applied to join: {date}", date=fmt_date(t, m.joined_party_on))
        if m.status is MemberStatus.ACTIVIST
        else t("Joined the party: {date}", date=fmt_date(t, m.joined_party_on))
    )
    lines = [
        html_format("<b>{name}</b>", name=display_name(t, m)),
        t("Branch: {branch}", branch=m.party_organization.name),
        t("Registration: {state}", state=t(MEMBERSHIP_STATE_LABELS[m.state])),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[m.status])),
        t("Role: {role}", role=t(ROLE_LABELS[m.role])),
        t("Party group: {group}", group=m.party_group.name if m.party_group else t("none")),
        joined,
        t("Phone: {phone}", phone=phone or t("not given")),
        t("Registered: {date}", date=local_date(context, m.requested_at) or t("not set")),
    ]
    if m.decided_at is not None:
        lines.append(t("Decided: {date}", date=local_date(context, m.decided_at) or ""))
    if m.state is MembershipState.TRANSFERRED_OUT:
        lines.append(
            t("Transferred out: {date}", date=local_date(context, m.transferred_out_at) or "?")
        )
        lines.append(t("Transferred to: {to}", to=m.transferred_to or t("not given")))
    return html_join("\n", lines)


def card_keyboard(t: Translator, actor: Actor, m: Membership) -> Any:
    org_id = m.party_organization_id
    rows: list[list[InlineKeyboardButton]] = []
    if m.state is MembershipState.ACTIVE and can_edit_member(actor, org_id, m.person_id):
        first = [button(t("Political status"), "mem", "st", m.id)]
        if can_appoint(actor, org_id, m.role):
            first.append(button(t("Role"), "mem", "rl", m.id))
        rows.append(first)
        rows.append(
            [button(t("Party group"), "mem", "gp", m.id),
             button(t("Transfer out"), "mem", "out", m.id)]
        )
    back = "gone" if m.state is MembershipState.TRANSFERRED_OUT else "list"
    rows.append([button(t("‹ Back"), "mem", back, org_id, 0)])
    return keyboard(rows)


async def render_card(
    update: Update, context: BranchContext, membership_id: int, note: Html | None = None
) -> None:
    """Show a member's record (freshly loaded) with the buttons the actor may use."""
    async with context.db.session() as session:
        actor, m = await load_member(session, update, context, membership_id, "member card")
    t = translator(actor.language)
    text = card_text(context, t, actor, m)
    if m.state is MembershipState.ACTIVE and not can_edit_member(
        actor, m.party_organization_id, m.person_id
    ):
        text += "\n\n" + t("You cannot change your own record here; the upper level does that.")
    if note:
        text = note + "\n\n" + text
    await show(update, text, reply_markup=card_keyboard(t, actor, m))


async def show_member_card(update: Update, context: BranchContext) -> None:
    """mem:card:<membership>: one member's record."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    await render_card(update, context, int(membership_id))
    await answer(update)


async def choose_status(update: Update, context: BranchContext) -> None:
    """Offer full / probationary / activist for one member."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "status menu", edit=True
        )
    t = translator(actor.language)
    require_active(t, m)
    await answer(update)
    rows = [
        [button(("✓ " if status is m.status else "") + t(label),
                "mem", "setst", m.id, status.value)]
        for status, label in MEMBER_STATUS_LABELS.items()
    ]
    rows.append([button(t("‹ Back"), "mem", "card", m.id)])
    await show(update, t("New status of {name}:", name=display_name(t, m)),
               reply_markup=keyboard(rows))


async def set_status(update: Update, context: BranchContext) -> None:
    """Store the chosen status (with an audit row) and show the card again."""
    assert update.callback_query is not None and update.effective_user is not None
    membership_id, value = cb_args(update.callback_query.data, "mem", str, int, str)[1:]
    try:
        status = MemberStatus(value)
    except ValueError:
        raise Refused(STALE_BUTTON) from None
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "set status", edit=True
        )
        t = translator(actor.language)
        require_active(t, m)
        if m.status is not status:
            await people.update_member(
                session, m, actor_telegram_id=update.effective_user.id, status=status
            )
            logger.info("user %s set status of membership %s to %s", pseudonym(actor.telegram_id),
                        m.id, status.value)
    await answer(update)
    await render_card(
        update, context, m.id,
        t("Status changed: {status}.", status=t(MEMBER_STATUS_LABELS[status])),
    )


async def choose_role(update: Update, context: BranchContext) -> None:
    """Offer the roles this actor may give (secretaries are appointed from above)."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "role menu", edit=True
        )
    org_id = m.party_organization_id
    require(can_appoint(actor, org_id, m.role), update, "role menu")
    t = translator(actor.language)
    require_active(t, m)
    await answer(update)
    rows = [
        [button(("✓ " if role is m.role else "") + t(ROLE_LABELS[role]),
                "mem", "setrl", m.id, role.value)]
        for role in ROLE_CHOICES
        if can_appoint(actor, org_id, role)
    ]
    rows.append([button(t("‹ Back"), "mem", "card", m.id)])
    await show(update, t("New role of {name}:", name=display_name(t, m)),
               reply_markup=keyboard(rows))


async def set_role(update: Update, context: BranchContext) -> None:
    """Appoint the member; their command menu changes and they are told in their language."""
    assert update.callback_query is not None and update.effective_user is not None
    membership_id, value = cb_args(update.callback_query.data, "mem", str, int, str)[1:]
    try:
        role = MemberRole(value)
    except ValueError:
        raise Refused(STALE_BUTTON) from None
    # (telegram id, language, branch name) of everyone whose role changes.
    affected: list[tuple[int, str, str]] = []
    actors: list[Actor] = []
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "set role", edit=True
        )
        org_id = m.party_organization_id
        require(can_appoint(actor, org_id, m.role), update, "set role (current role)")
        require(can_appoint(actor, org_id, role), update, "set role")
        t = translator(actor.language)
        require_active(t, m)
        if m.role is not role:
            if role is MemberRole.SECRETARY:
                # appoint() makes the previous secretary a committee member: tell them too.
                current = await people.members_of(session, org_id, (MembershipState.ACTIVE,))
                affected += [
                    (o.person.telegram_id, o.person.language, m.party_organization.name)
                    for o in current
                    if o.role is MemberRole.SECRETARY and o.id != m.id
                ]
            await people.appoint(session, m, role, actor_telegram_id=update.effective_user.id)
            affected.append((m.person.telegram_id, m.person.language, m.party_organization.name))
            logger.info("user %s set role of membership %s to %s", pseudonym(actor.telegram_id),
                        m.id, role.value)
            for telegram_id, language, _branch in affected:
                actors.append(
                    await people.load_actor(
                        session, telegram_id, admins=context.settings.admins, language=language
                    )
                )
    await answer(update)
    await render_card(
        update, context, m.id, t("Role changed: {role}.", role=t(ROLE_LABELS[role]))
    )
    for (telegram_id, language, branch), member_actor in zip(affected, actors, strict=True):
        await publish_commands_for(context.application, member_actor)
        t = translator(language)
        new_role = member_actor.role or MemberRole.MEMBER
        await tell(
            context,
            telegram_id,
            t("Your role in {branch} is now: {role}.", branch=branch,
              role=t(ROLE_LABELS[new_role])),
            reply_markup=main_keyboard(member_actor),
        )


async def choose_group(update: Update, context: BranchContext) -> None:
    """Offer the branch's 党小组, and "none"."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "group menu", edit=True
        )
        groups = await org_store.groups_of(session, m.party_organization_id)
    t = translator(actor.language)
    require_active(t, m)
    await answer(update)
    rows = [
        [button(("✓ " if g.id == m.party_group_id else "") + g.name, "mem", "setgp", m.id, g.id)]
        for g in groups
    ]
    rows.append(
        [button(("✓ " if m.party_group_id is None else "") + t("No party group"),
                "mem", "setgp", m.id, 0)]
    )
    rows.append([button(t("‹ Back"), "mem", "card", m.id)])
    text = t("Party group of {name}:", name=display_name(t, m))
    if not groups:
        text = html_join("\n", [text, t("{branch} has no party groups yet.",
                                         branch=m.party_organization.name)])
    await show(update, text, reply_markup=keyboard(rows))


async def set_group(update: Update, context: BranchContext) -> None:
    """Put the member into one of their branch's groups (0: none)."""
    assert update.callback_query is not None and update.effective_user is not None
    membership_id, group_id = cb_args(update.callback_query.data, "mem", str, int, int)[1:]
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "set group", edit=True
        )
        t = translator(actor.language)
        require_active(t, m)
        groups = {g.id: g.name for g in await org_store.groups_of(session, m.party_organization_id)}
        if group_id and group_id not in groups:
            raise Refused(STALE_BUTTON)  # a group of another branch, or deleted
        new_group = int(group_id) or None
        if m.party_group_id != new_group:
            await people.update_member(
                session, m, actor_telegram_id=update.effective_user.id, party_group_id=new_group
            )
            logger.info("user %s put membership %s into group %s", pseudonym(actor.telegram_id),
                        m.id, new_group)
    await answer(update)
    note = (
        t("Party group: {group}", group=groups[new_group])
        if new_group
        else t("Party group: {group}", group=t("none"))
    )
    await render_card(update, context, m.id, note)


# ---------------------------------------------------------------------------------------
# Transfer out (组织关系转出): a conversation, since the destination is typed
# ---------------------------------------------------------------------------------------


def _transfer_draft(context: BranchContext) -> dict[str, Any] | None:
    assert context.user_data is not None
    draft = context.user_data.get(TRANSFER)
    return draft if isinstance(draft, dict) else None


async def ask_transfer_destination(update: Update, context: BranchContext) -> int:
    """Begin a transfer: ask where the membership goes (or skip)."""
    assert update.callback_query is not None and context.user_data is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "transfer", edit=True
        )
    t = translator(actor.language)
    require_active(t, m)
    await answer(update)
    context.user_data[TRANSFER] = {"mid": m.id, "to": None}
    await show(
        update,
        t(
            "Transfer out {name}: type the party organization that receives the membership, "
            "or press Skip if it is not known.",
            name=display_name(t, m),
        ),
        reply_markup=keyboard(
            [[button(t("Skip"), "mem", "outskip", m.id)], [button(t("Cancel"), "x", "cancel")]]
        ),
    )
    return TRANSFER_TO


async def ask_transfer_confirmation(
    update: Update, context: BranchContext, membership_id: int
) -> int:
    """Show what will happen and ask for a confirmation."""
    draft = _transfer_draft(context)
    if draft is None or draft.get("mid") != membership_id:
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, membership_id, "transfer", edit=True
        )
    t = translator(actor.language)
    require_active(t, m)
    destination = draft.get("to")
    await show(
        update,
        t("Transfer out {name}? This keeps their history.", name=display_name(t, m))
        + "\n"
        + t("Transferred to: {to}", to=destination or t("not given")),
        reply_markup=keyboard(
            [[button(t("✅ Transfer out"), "mem", "outok", m.id)],
             [button(t("Cancel"), "x", "cancel")]]
        ),
    )
    return TRANSFER_CONFIRM


async def enter_transfer_destination(update: Update, context: BranchContext) -> int:
    """Validate the typed destination, then ask for the confirmation."""
    assert update.message is not None
    draft = _transfer_draft(context)
    if draft is None:
        return ConversationHandler.END
    async with context.db.session() as session:
        actor = await leader_actor(session, update, context, "transfer destination")
    t = translator(actor.language)
    destination = clean_text(update.message.text, max_length=MAX_DESTINATION)
    if isinstance(destination, Invalid):
        await send(update, invalid_text(t, destination))
        return TRANSFER_TO
    draft["to"] = destination
    return await ask_transfer_confirmation(update, context, int(draft["mid"]))


async def skip_transfer_destination(update: Update, context: BranchContext) -> int:
    """Transfer without naming the destination."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    draft = _transfer_draft(context)
    if draft is None or draft.get("mid") != membership_id:
        raise Refused(STALE_BUTTON)
    draft["to"] = None
    state = await ask_transfer_confirmation(update, context, int(membership_id))
    await answer(update)
    return state


def back_to_members(t: Translator, org_id: int) -> Any:
    return keyboard([[button(t("‹ Members"), "mem", "list", org_id, 0)]])


async def confirm_transfer(update: Update, context: BranchContext) -> int:
    """Transfer out once, as confirmed; tell the member and change their menu."""
    assert update.callback_query is not None and update.effective_user is not None
    assert context.user_data is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    draft = _transfer_draft(context)
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "confirm transfer", edit=True
        )
        t = translator(actor.language)
        name = display_name(t, m)
        person, branch = m.person, m.party_organization.name
        destination = draft.get("to") if draft is not None else None
        done = False
        if m.state is MembershipState.ACTIVE:
            if draft is None or draft.get("mid") != m.id:
                raise Refused(STALE_BUTTON)
            done = await people.transfer_out(
                session, m, to=destination, actor_telegram_id=update.effective_user.id
            )
        member_actor = await people.load_actor(
            session, person.telegram_id, admins=context.settings.admins, language=person.language
        )
    await answer(update)
    context.user_data.pop(TRANSFER, None)
    if not done:
        await show(
            update,
            t("{name} was already transferred out; nothing changed.", name=name),
            reply_markup=back_to_members(t, m.party_organization_id),
        )
        return ConversationHandler.END
    logger.info("user %s transferred membership %s out", pseudonym(actor.telegram_id), m.id)
    await show(
        update,
        t("{name} was transferred out. Their history is kept.", name=name),
        reply_markup=back_to_members(t, m.party_organization_id),
    )
    await publish_commands_for(context.application, member_actor)
    t = translator(member_actor.language)
    text = (
        t("Your party membership in {branch} was transferred out to {to}.",
          branch=branch, to=destination)
        if destination
        else t("Your party membership in {branch} was transferred out.", branch=branch)
    )
    text = html_join("\n", [text, t(
        "Your records are kept. To join another branch, open its invite link or send /start."
    )])
    await tell(context, person.telegram_id, text, reply_markup=main_keyboard(member_actor))
    return ConversationHandler.END


async def press_old_transfer_button(update: Update, context: BranchContext) -> None:
    """A confirm button outside its conversation (pressed twice, or after Cancel): no change."""
    assert update.callback_query is not None
    (membership_id,) = cb_args(update.callback_query.data, "mem", str, int)[1:]
    async with context.db.session() as session:
        actor, m = await load_member(
            session, update, context, int(membership_id), "old transfer button", edit=True
        )
    if m.state is MembershipState.ACTIVE:
        raise Refused(STALE_BUTTON)
    await answer(update)
    t = translator(actor.language)
    await show(
        update,
        t("{name} was already transferred out; nothing changed.", name=display_name(t, m)),
        reply_markup=back_to_members(t, m.party_organization_id),
    )


async def tell(context: BranchContext, telegram_id: int, text: Html, **kwargs: Any) -> None:
    """Message someone else; a blocked bot or unknown chat is logged, not raised."""
    try:
        await context.bot.send_message(telegram_id, text, **kwargs)
    except TelegramError as exc:
        logger.warning("could not tell %s about a membership change: %s", pseudonym(telegram_id),
                       exc)


def register(app: Application) -> None:
    """Invite links, pending registrations, the member list and member edits."""
    transfer = ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_transfer_destination, pattern=r"^mem:out:")],
        states={
            TRANSFER_TO: [
                MessageHandler(TEXT_INPUT, enter_transfer_destination),
                CallbackQueryHandler(skip_transfer_destination, pattern=cb_pattern("mem:outskip")),
            ],
            TRANSFER_CONFIRM: [
                CallbackQueryHandler(confirm_transfer, pattern=cb_pattern("mem:outok")),
            ],
        },
        fallbacks=cancel_handlers(),
        name="member_edit",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(transfer)
    app.add_handler(CommandHandler("invite", show_invite_menu))
    app.add_handler(CommandHandler("pending", list_pending))
    app.add_handler(CommandHandler("members", list_members_menu))
    callbacks = {
        "inv:pick": turn_invite_page,
        "inv:show": show_invite,
        "inv:new": ask_new_invite,
        "inv:renew": renew_invite,
        "inv:keep": keep_invite,
        "inv:one": single_use_invite,
        "mem:pick": turn_org_page,
        "mem:list": show_member_list,
        "mem:gone": show_transferred,
        "mem:card": show_member_card,
        "mem:st": choose_status,
        "mem:setst": set_status,
        "mem:rl": choose_role,
        "mem:setrl": set_role,
        "mem:gp": choose_group,
        "mem:setgp": set_group,
        # Outside the conversation (a second press, or after Cancel): never transfers.
        "mem:outok": press_old_transfer_button,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    COMMAND_CALLBACKS.update(
        invite=show_invite_menu, pending=list_pending, members=list_members_menu
    )
