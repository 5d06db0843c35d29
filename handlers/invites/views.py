"""Texts, keyboards and the QR code of invite links (pure: no Telegram calls, no database)."""

from __future__ import annotations

import io

import qrcode

from handlers.kit.actions import Reply
from handlers.kit.buttons import ButtonData, OrgId
from handlers.kit.i18n import N_, Html, Translator, escape, html_join
from handlers.kit.ui import keyboard

NO_BRANCH_INVITES = N_(
    "Members register in a branch. Pick a branch below this organization for the link."
)
PICK = N_("Invite link for which organization?")
NOTHING = N_("There is no branch to invite members to yet.")


class InvitePage(ButtonData, prefix="inv:pick"):
    """Another page of the organizations to invite to."""

    page: int


class ShowInvite(ButtonData, prefix="inv:show"):
    """The organization's current link and its QR code (also on the admin's org card)."""

    org: OrgId


class AskNewInvite(ButtonData, prefix="inv:new"):
    """Ask before replacing the link."""

    org: OrgId


class RenewInvite(ButtonData, prefix="inv:renew"):
    """Replace the link: the old one stops working."""

    org: OrgId


class KeepInvite(ButtonData, prefix="inv:keep"):
    org: OrgId


class SingleUseInvite(ButtonData, prefix="inv:one"):
    org: OrgId


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def qr_png(data: str) -> bytes:
    image = qrcode.make(data, box_size=8, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def caption(t: Translator, branch: str, link: str, *, single: bool) -> Html:
    """Under the QR code: the branch and the link."""
    return html_join("\n", [
        t("Single-use invite to {branch}", branch=branch) if single
        else t("Invite to {branch}", branch=branch),
        escape(link),
    ])


def invite_message(
    t: Translator, org_id: OrgId, branch: str, link: str, until: str, *, single: bool
) -> Reply:
    """The link as text with its expiry, and the buttons to replace it or make a single one."""
    lines = [
        t("<b>Single-use invite link for {branch}</b>", branch=branch) if single
        else t("<b>Invite link for {branch}</b>", branch=branch),
        escape(link),
        t("Valid until {time}.", time=until),
        t("It works for one registration only.") if single
        else t("Anyone with this link can register; you still approve each registration."),
    ]
    return Reply(html_join("\n", lines), keyboard([
        [AskNewInvite(org_id).button(t("New link (the old one stops working)"))],
        [SingleUseInvite(org_id).button(t("Single-use link"))],
    ]))


def ask_new(t: Translator, org_id: OrgId, branch: str) -> Reply:
    return Reply(
        t("Make a new link for {branch}? The current link stops working at once; "
          "people who already registered are not affected.", branch=branch),
        keyboard([
            [RenewInvite(org_id).button(t("Yes, make a new link"))],
            [KeepInvite(org_id).button(t("No, keep the current link"))],
        ]),
    )
