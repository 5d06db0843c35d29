"""Texts and keyboards of a branch's group chat (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton

from handlers.kit.actions import Reply
from handlers.kit.buttons import ButtonData, OrgId
from handlers.kit.i18n import N_, Html, Translator, html_join
from handlers.kit.ui import keyboard
from rules.group_joins import Placement

PICK = N_("Group chat of which branch?")
NOTHING = N_("You lead no branch whose group chat could be linked.")
NO_BRANCH = N_("A group chat is linked to a branch. Pick a branch below this organization.")
LINKED = N_("✅ This group is now linked to {branch}.\n\nHere I post what the whole group may "
            "see, and never anything personal: commands typed here are answered in each "
            "person's private chat. To let me approve people who ask to join, make me an "
            "administrator with the right to invite users.")
CODE_UNUSABLE = N_("This code does not work: it was used already, it expired, or it was "
                   "mistyped. A leader of the branch can make a new one with /group.")
NOT_LEADER = N_("Only a leader of the branch the code was made for can link a group with it.")
LINKED_PARTY_GROUP = N_("✅ This group is now linked to the 党小组 {group} of {branch}.\n\nHere "
                        "I post the 党小组's meetings, and never anything personal: commands "
                        "typed here are answered in each person's private chat.")
NO_PARTY_GROUP = N_("This 党小组 is no longer part of the branch.")
NOT_A_GROUP = N_("Send this in the group chat you want to link to the branch, not here.")


class GroupPage(ButtonData, prefix="grp:pick"):
    """Another page of the branches to link a group to."""

    page: int


class ShowGroup(ButtonData, prefix="grp:show"):
    """The branch's linked group, or how to link one."""

    org: OrgId


class NewLinkCode(ButtonData, prefix="grp:code"):
    """A one-time code to link a group (earlier unused codes stop working), to the branch or
    to one of its 党小组."""

    org: OrgId
    group: int | None = None


class JoinLink(ButtonData, prefix="grp:join"):
    """A new invite link that asks to join the branch's group, or a 党小组's (the bot lets
    members in)."""

    org: OrgId
    group: int | None = None


class AskUnlink(ButtonData, prefix="grp:ask"):
    """Ask before unlinking the group (the branch's, or a 党小组's)."""

    org: OrgId
    group: int | None = None


class Unlink(ButtonData, prefix="grp:unlink"):
    org: OrgId
    group: int | None = None


@dataclass(frozen=True)
class PartyGroupChat:
    """A 党小组 of the branch and its linked chat's title (None: not linked)."""

    group_id: int
    name: str
    title: str | None


def _party_groups(t: Translator, org_id: OrgId, groups: Sequence[PartyGroupChat]
                  ) -> tuple[list[Html], list[list[InlineKeyboardButton]]]:
    """Each 党小组's chat (or how to link one)."""
    lines: list[Html] = []
    rows: list[list[InlineKeyboardButton]] = []
    for group in groups:
        if group.title is None:
            rows.append([NewLinkCode(org_id, group.group_id).button(
                t("🔗 Link a group chat for {group}", group=group.name))])
            continue
        lines.append(t("• 党小组 {group}: “{title}”", group=group.name, title=group.title))
        rows.append([JoinLink(org_id, group.group_id).button(
            t("🔗 Invite link for {group}", group=group.name))])
        rows.append([AskUnlink(org_id, group.group_id).button(
            t("✂️ Unlink the chat of {group}", group=group.name))])
    return lines, rows


def group_view(t: Translator, org_id: OrgId, branch: str, title: str | None,
               since: datetime | None, groups: Sequence[PartyGroupChat] = ()) -> Reply:
    """The branch's group (or none), its 党小组's chats, and what can be done."""
    lines, group_rows = _party_groups(t, org_id, groups)
    if groups:
        lines.insert(0, t("A 党小组 may have its own group chat: I post its meetings there."))
    if title is None or since is None:
        return Reply(html_join("\n\n", [
            t("👥 <b>{branch}</b> has no linked group chat yet.", branch=branch),
            t("Linking the branch's group lets me post there what the whole group may see. "
              "Nothing personal is ever posted in a group."),
            *([html_join("\n", lines)] if lines else []),
        ]), keyboard([[NewLinkCode(org_id).button(t("🔗 Link a group chat"))], *group_rows]))
    return Reply(
        html_join("\n\n", [
            t("👥 <b>{branch}</b>: linked to the group “{title}” since {date}.", branch=branch,
              title=title, date=since.strftime("%Y-%m-%d")),
            *([html_join("\n", lines)] if lines else []),
        ]),
        keyboard([[JoinLink(org_id).button(t("🔗 Invite link for members"))],
                  [NewLinkCode(org_id).button(t("🔗 Link another group instead"))],
                  [AskUnlink(org_id).button(t("✂️ Unlink this group"))], *group_rows]),
    )


def code_view(t: Translator, org_id: OrgId, branch: str, bot_username: str, code: str,
              until: datetime, party_group: str | None = None) -> Reply:
    """How to link a group with this code: the button adds the bot and sends the code."""
    add_link = f"https://t.me/{bot_username}?startgroup=link-{code}"
    heading = (t("🔗 <b>Link a group chat to {branch}</b>", branch=branch) if party_group is None
               else t("🔗 <b>Link a group chat to the 党小组 {group} of {branch}</b>",
                      group=party_group, branch=branch))
    return Reply(html_join("\n\n", [
        heading,
        t("Press “Add me to the group” and choose the branch's group: I join and link it at "
          "once. If I am already in the group, send this there instead:\n"
          "<code>/link {code}</code>", code=code),
        t("The code works once, until {time}, and only for a leader of {branch}.",
          time=until.strftime("%Y-%m-%d %H:%M"), branch=branch),
    ]), keyboard([
        [InlineKeyboardButton(t.as_plain("➕ Add me to the group"), url=add_link)],
        [ShowGroup(org_id).button(t("‹ Back"))],
    ]))


def ask_unlink(t: Translator, org_id: OrgId, branch: str, title: str,
               group_id: int | None = None) -> Reply:
    return Reply(
        t("Unlink the group “{title}” from {branch}? I stop posting there; the group and its "
          "messages stay as they are.", title=title, branch=branch),
        keyboard([[Unlink(org_id, group_id).button(t("✂️ Yes, unlink it"))],
                  [ShowGroup(org_id).button(t("No, keep it"))]]),
    )


def unlinked(t: Translator, branch: str, title: str) -> Html:
    return t("The group “{title}” is no longer linked to {branch}.", title=title, branch=branch)


def join_link_view(t: Translator, org_id: OrgId, branch: str, title: str, link: str) -> Reply:
    """The group's new invite link and what happens to those who open it."""
    return Reply(html_join("\n\n", [
        t("🔗 <b>Invite link for “{title}”</b>\n{link}", title=title, link=link),
        t("Whoever opens it asks to join. I let in the members and activists of {branch} (and "
          "its leaders); others are declined and told how to register, and you hear who they "
          "were. Share it with the branch's people, not in public.", branch=branch),
    ]), keyboard([[ShowGroup(org_id).button(t("‹ Back"))]]))


def no_invite_right(t: Translator, org_id: OrgId, title: str, group: int | None = None
                    ) -> Reply:
    """The bot may not make invite links in the group: which admin right it needs."""
    return Reply(
        t("I cannot make an invite link for “{title}”: I need to be an administrator of the "
          "group with the right to invite users. In the group's settings, make me an "
          "administrator, turn on “Invite users via link”, then press the button again.",
          title=title),
        keyboard([[JoinLink(org_id, group).button(t("🔗 Try again"))],
                  [ShowGroup(org_id).button(t("‹ Back"))]]),
    )


def link_failed(t: Translator, org_id: OrgId, group: int | None = None) -> Reply:
    return Reply(t("Telegram did not make the link just now. Please try again in a moment."),
                 keyboard([[JoinLink(org_id, group).button(t("🔗 Try again"))],
                           [ShowGroup(org_id).button(t("‹ Back"))]]))


# -- join requests ---------------------------------------------------------------------------


def welcome(t: Translator, branch: str, title: str) -> Html:
    """To someone let into the branch's group (in private)."""
    return t("✅ Welcome to “{title}”, the group chat of {branch}: I have let you in.",
             title=title, branch=branch)


def declined(t: Translator, placement: Placement, branch: str, title: str,
             invite_link: str | None) -> Html:
    """To someone not let in (in private): why, and how to get in."""
    if placement is Placement.PENDING:
        why = t("Your registration with {branch} still waits for the secretary's approval. "
                "Once you are approved, ask to join the group again.", branch=branch)
    elif placement is Placement.APPLICANT:
        why = t("The group is for the members and activists of {branch}; as an applicant you "
                "are not on its list yet.", branch=branch)
    elif placement is Placement.OTHER_GROUP:
        why = t("This chat is for one 党小组 of {branch}, and you belong to another (or to "
                "none). The secretary can tell you which chat is yours.", branch=branch)
    elif invite_link is not None:
        why = t("I did not find you among the members of {branch}. To register with the "
                "branch, open this link and follow the steps:\n{link}\nOnce the secretary "
                "has approved you, ask to join the group again.", branch=branch,
                link=invite_link)
    else:
        why = t("I did not find you among the members of {branch}. To register, send /start "
                "here and follow the steps (or ask the branch's secretary for its invite "
                "link). Once the secretary has approved you, ask to join the group again.",
                branch=branch)
    return html_join("\n\n", [
        t("🙏 I could not let you into “{title}”, the group chat of {branch}.", title=title,
          branch=branch),
        why,
        t("The branch's secretary has been told of your request."),
    ])


def not_placed(t: Translator, placement: Placement, who: str, branch: str, title: str) -> Html:
    """To the branch's leaders: someone asked to join and was declined."""
    if placement is Placement.PENDING:
        why = t("Their registration waits for your approval: /pending.")
    elif placement is Placement.APPLICANT:
        why = t("They are an applicant of the branch, not yet a member or an activist.")
    elif placement is Placement.OTHER_GROUP:
        why = t("They are of the branch, but not of this chat's 党小组.")
    else:
        why = t("They have no registration with the branch. If they belong to it, send them "
                "the branch's invite link (/invite).")
    return html_join("\n", [
        t("🙋 {who} asked to join “{title}”, the group chat of {branch}. I could not place "
          "them among the branch's members, so I declined and told them how to register.",
          who=who, title=title, branch=branch),
        why,
    ])
