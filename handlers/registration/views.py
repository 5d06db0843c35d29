"""Texts, keyboards and buttons of registering and of deciding registrations (pure: no
Telegram calls, no database)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from handlers.kit.buttons import ButtonData, InviteId, MembershipId, OrgId
from handlers.kit.flows import Form
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_join
from handlers.kit.ui import keyboard
from handlers.labels import MEMBER_STATUS_LABELS
from rules.validation import mask_phone
from rules.vocabulary import MembershipState, MemberStatus
from storage.models import Membership
from storage.transfers import Letter

SUBMIT = N_("✅ Submit")
SKIP = N_("Skip")
MISSING = N_("Something is missing. Let us start again with /start.")
ALREADY_REGISTERED = N_("You already have a registration. See /me.")
INVITE_PROBLEMS = {
    "invite_unknown": N_("This invite link is not valid."),
    "invite_expired": N_("This invite link has expired."),
    "invite_revoked": N_("This invite link has been replaced by a newer one."),
    "invite_used": N_("This single-use invite link has already been used."),
}


class ChooseLanguage(ButtonData, prefix="reg:lang"):
    language: Literal["zh", "en"]


class PickBranch(ButtonData, prefix="reg:org"):
    org: OrgId


class BranchPage(ButtonData, prefix="reg:page"):
    page: int


class Approve(ButtonData, prefix="apv:y"):
    membership: MembershipId


class Reject(ButtonData, prefix="apv:n"):
    """Reject: the leader is asked for a reason the applicant will see."""

    membership: MembershipId


class RejectWithoutReason(ButtonData, prefix="apv:n0"):
    membership: MembershipId


class BackToDecision(ButtonData, prefix="apv:back"):
    """Put the approve / reject buttons back."""

    membership: MembershipId


class JoinForm(Form):
    """What the newcomer has told so far."""

    invite: InviteId | None = None
    org: OrgId | None = None  # from the invite, the appointment, or picked from the list
    org_name: str | None = None
    complete: bool = False  # appointed before registering: the details only, no approval
    lang: Literal["zh", "en"] | None = None
    name: str | None = None
    page: int = 0
    status: MemberStatus | None = None
    joined: date | None = None
    phone: str | None = None


class RejectionForm(Form):
    """Which registration is being rejected, and how it ends."""

    membership: MembershipId
    name: str
    reason: str | None = None
    back: bool = False  # the leader went back to the approve / reject buttons


def phone_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.as_plain("📱 Share my phone number"), request_contact=True)],
         [KeyboardButton(t.as_plain(SKIP))]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def joined_question(t: Translator, status: MemberStatus | None) -> Html:
    if status in (MemberStatus.ACTIVIST, MemberStatus.APPLICANT):
        return t("When did you apply to join the party? Type the date as you would say it, "
                 "for example 15 Mar 2023 or 2023-03-15.")
    return t("When did you join the party? Type the date as you would say it, for example "
             "1 Jul 2015 or 2015-07-01.")


def summary(t: Translator, form: JoinForm, *, heading: bool = True) -> Html:
    assert form.status is not None and form.joined is not None
    lines = [
        t("Please check your registration:") if heading else BLANK,
        t("Name: {name}", name=form.name or ""),
        t("Branch: {branch}", branch=form.org_name or ""),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[form.status])),
        t("Date: {date}", date=form.joined.isoformat()),
        t("Phone: {phone}", phone=form.phone or t("not given")),
    ]
    return html_join("\n", lines[0 if heading else 1 :])


def approval_text(t: Translator, membership: Membership, *, show_phone: bool,
                  arrival: Letter | None = None) -> Html:
    """A registration as its leaders see it (the phone masked for leaders above), with the
    transfer letter from outside it brings, if any."""
    person = membership.person
    phone = person.phone if show_phone else mask_phone(person.phone)
    lines = [
        t("New registration for {branch}:", branch=membership.party_organization.name),
        t("Name: {name}", name=person.real_name or "?"),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[membership.status])),
        t("Date: {date}", date=membership.joined_party_on or "?"),
        t("Phone: {phone}", phone=phone or t("not given")),
    ]
    if arrival is not None:
        lines.append(t("Brings a transfer letter ({number}) from {org}: approving accepts it.",
                       number=arrival.number or "", org=arrival.outside or ""))
    return html_join("\n", lines)


def approval_keyboard(t: Translator, membership_id: int) -> InlineKeyboardMarkup:
    membership = MembershipId(membership_id)
    return keyboard([[Approve(membership).button(t("✅ Approve")),
                      Reject(membership).button(t("❌ Reject"))]])


def reason_question(t: Translator, form: RejectionForm) -> Html:
    return t("Why is {name} rejected? Type the reason the applicant will see, or press the "
             "button to reject without a reason.", name=form.name)


def reason_buttons(t: Translator, form: RejectionForm) -> list[list[InlineKeyboardButton]]:
    return [[RejectWithoutReason(form.membership).button(t("Reject without a reason"))],
            [BackToDecision(form.membership).button(t("Back"))]]


def decided_text(t: Translator, membership: Membership) -> Html:
    name = membership.person.real_name or "?"
    if membership.state is MembershipState.ACTIVE:
        return t("✅ {name} was approved.", name=name)
    if membership.state is MembershipState.REJECTED:
        return t("❌ {name} was rejected.", name=name)
    return t("{name}: this registration is no longer pending.", name=name)


def already_decided(t: Translator, membership: Membership) -> Html:
    return t("Already decided.") + "\n" + decided_text(t, membership)


def decision_for_member(t: Translator, membership: Membership, *, approved: bool) -> Html:
    """What the applicant is told, in their language."""
    branch = membership.party_organization.name
    if approved:
        return t("Your registration for {branch} was approved. Welcome!", branch=branch)
    lines = [t("Your registration for {branch} was not approved.", branch=branch)]
    if membership.reject_reason:
        lines.append(t("Reason: {reason}", reason=membership.reject_reason))
    lines.append(t("If this is a mistake, talk to your secretary and register again with "
                   "/start."))
    return html_join("\n", lines)
