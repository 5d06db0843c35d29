"""Texts and buttons of /help, /me and /language (pure: no Telegram calls, no database)."""

from __future__ import annotations

from typing import Literal

from handlers.kit.buttons import ButtonData
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape, html_join
from handlers.kit.ui import fmt_date
from handlers.labels import MEMBER_STATUS_LABELS, MEMBERSHIP_STATE_LABELS, ROLE_LABELS
from handlers.menu import MenuCommand
from rules.vocabulary import MembershipState
from storage.models import Membership, Person

ROLE_INTROS = {
    "guest": N_("You have not registered yet. Press Register or send /start to begin."),
    "member": N_("You are a member. You can see your profile and change the language."),
    "secretary": N_(
        "You lead a branch: approve registrations, manage members and share the invite link."
    ),
    "admin": N_(
        "You are an administrator: build the organization tree, appoint secretaries "
        "and act for any branch."
    ),
}


class SetLanguage(ButtonData, prefix="lang"):
    language: Literal["zh", "en"]


def help_text(t: Translator, kind: str, commands: list[MenuCommand]) -> Html:
    """What the sender's role can do, command by command."""
    lines = [t(ROLE_INTROS[kind]), BLANK]
    lines += [f"/{c.name} — " + t(c.description) for c in commands]
    lines += [BLANK, t("Every command is also on the keyboard below.")]
    return html_join("\n", lines)


def profile_text(t: Translator, person: Person, membership: Membership) -> Html:
    """A person's own record (the phone in full: it is their own)."""
    lines = [
        t("<b>My profile</b>"),
        t("Name: {name}", name=person.real_name or t("not set")),
        t("Branch: {branch}", branch=membership.party_organization.name),
        t("Registration: {state}", state=t(MEMBERSHIP_STATE_LABELS[membership.state])),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[membership.status])),
        t("Role: {role}", role=t(ROLE_LABELS[membership.role])),
        t("Party group: {group}",
          group=membership.party_group.name if membership.party_group else t("none")),
        t("Date: {date}", date=fmt_date(t, membership.joined_party_on)),
        t("Phone: {phone}", phone=person.phone or t("not given")),
    ]
    if membership.state is MembershipState.PENDING:
        lines += [escape(""), t("Your registration is waiting for approval.")]
    if person.real_name is None:
        lines += [escape(""),
                  t("You were appointed before registering; send /start to add your details.")]
    return html_join("\n", lines)
