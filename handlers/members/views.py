"""Texts, keyboards and buttons of /members (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton

from handlers.kit.actions import Reply
from handlers.kit.buttons import ButtonData, MembershipId, OrgId
from handlers.kit.i18n import N_, Html, Translator, html_format, html_join
from handlers.kit.ui import fmt_date, keyboard, paged, person_name
from handlers.labels import (
    EXCUSE_REASON_LABELS,
    MEMBER_STATUS_LABELS,
    MEMBERSHIP_STATE_LABELS,
    ROLE_LABELS,
)
from handlers.transfers import StartTransfer
from rules.vocabulary import (
    DriftTrigger,
    ExcuseReason,
    MemberRole,
    MembershipState,
    MemberStatus,
)
from storage.models import DriftCase, Membership, PartyGroup

MAX_PENDING_SHOWN = 20
# Roles offered in the role menu, in this order (each only when the actor may appoint it).
ROLE_CHOICES = (
    MemberRole.MEMBER,
    MemberRole.COMMITTEE_MEMBER,
    MemberRole.DEPUTY_SECRETARY,
    MemberRole.SECRETARY,
)
NOT_ACTIVE = N_("{name} is not an active member any more; nothing was changed.")
PICK = N_("Members of which organization?")
NOTHING = N_("There are no organizations yet.")


class MembersPage(ButtonData, prefix="mem:pick"):
    """Another page of the organizations whose members can be listed."""

    page: int


class MemberList(ButtonData, prefix="mem:list"):
    """Active members of an organization (also on the admin's org card)."""

    org: OrgId
    page: int


class Transferred(ButtonData, prefix="mem:gone"):
    """Members transferred out: their history is never deleted."""

    org: OrgId
    page: int


class MemberCard(ButtonData, prefix="mem:card"):
    membership: MembershipId


class StatusMenu(ButtonData, prefix="mem:st"):
    membership: MembershipId


class SetStatus(ButtonData, prefix="mem:setst"):
    membership: MembershipId
    status: MemberStatus


class ExcuseMenu(ButtonData, prefix="mem:ex"):
    """Excuse from organizational life: why (党员教育管理工作条例: ill, abroad, elderly)."""

    membership: MembershipId


class ExcuseFor(ButtonData, prefix="mem:exfor"):
    """For how long (the reason chosen)."""

    membership: MembershipId
    reason: ExcuseReason


class SetExcuse(ButtonData, prefix="mem:exset"):
    """Excused for `months` months (0: until the branch ends it)."""

    membership: MembershipId
    reason: ExcuseReason
    months: int


class EndExcuse(ButtonData, prefix="mem:exend"):
    membership: MembershipId


class ReportCase(ButtonData, prefix="mem:case"):
    """The six-month case was reported to the level above (党章 art. 9)."""

    membership: MembershipId


CASE_TEXTS = {
    DriftTrigger.ABSENCE: N_("⚠️ Six-month case: no organizational life since {date}."),
    DriftTrigger.DUES: N_("⚠️ Six-month case: no party dues since {date}."),
}


EXCUSE_MONTHS = (3, 6, 12, 0)  # the lengths offered; 0: no end date


class RoleMenu(ButtonData, prefix="mem:rl"):
    membership: MembershipId


class SetRole(ButtonData, prefix="mem:setrl"):
    membership: MembershipId
    role: MemberRole


class GroupMenu(ButtonData, prefix="mem:gp"):
    membership: MembershipId


class SetGroup(ButtonData, prefix="mem:setgp"):
    """Put the member into a 党小组 of their branch (0: none)."""

    membership: MembershipId
    group: int


def local_date(tz: ZoneInfo, value: datetime | None) -> str | None:
    return value.astimezone(tz).date().isoformat() if value is not None else None


def member_label(t: Translator, membership: Membership) -> str:
    """Button text: name · status · role (plain text, buttons are not HTML)."""
    return " · ".join([
        person_name(t, membership.person),
        t(MEMBER_STATUS_LABELS[membership.status]),
        t(ROLE_LABELS[membership.role]),
    ])


def member_list(
    t: Translator, tz: ZoneInfo, org_id: OrgId, branch: str, members: Sequence[Membership],
    page: int, *, gone: bool, many_orgs: bool,
) -> Reply:
    """Active (or transferred-out) members of one organization as paged buttons."""
    extra: list[list[InlineKeyboardButton]]
    if gone:
        title = t.plural("<b>{branch}</b>: {n} member transferred out",
                         "<b>{branch}</b>: {n} members transferred out",
                         len(members), branch=branch)
        items = [MemberCard(MembershipId(m.id)).button(
            f"{person_name(t, m.person)} · {local_date(tz, m.transferred_out_at) or '?'}")
            for m in members]
        extra = [[MemberList(org_id, 0).button(t("‹ Active members"))]]
    else:
        title = t.plural("<b>{branch}</b>: {n} active member",
                         "<b>{branch}</b>: {n} active members", len(members), branch=branch)
        items = [MemberCard(MembershipId(m.id)).button(member_label(t, m)) for m in members]
        extra = [[Transferred(org_id, 0).button(t("Transferred out"))]]
        if many_orgs:
            extra.append([MembersPage(0).button(t("‹ Organizations"))])
    if members:
        title = html_join("\n", [title, t("Press a member to see or change their record.")])
    family = Transferred if gone else MemberList
    return Reply(title, paged(t, items, page, lambda to: family(org_id, to), extra))


def card_text(t: Translator, tz: ZoneInfo, m: Membership, phone: str | None) -> Html:
    """A member's record; `phone` as the reader may see it."""
    joined = (
        t("Applied to join: {date}", date=fmt_date(t, m.joined_party_on))
        if m.status in (MemberStatus.ACTIVIST, MemberStatus.APPLICANT)
        else t("Joined the party: {date}", date=fmt_date(t, m.joined_party_on))
    )
    lines = [
        html_format("<b>{name}</b>", name=person_name(t, m.person)),
        t("Branch: {branch}", branch=m.party_organization.name),
        t("Registration: {state}", state=t(MEMBERSHIP_STATE_LABELS[m.state])),
        t("Status: {status}", status=t(MEMBER_STATUS_LABELS[m.status])),
        t("Role: {role}", role=t(ROLE_LABELS[m.role])),
        t("Party group: {group}", group=m.party_group.name if m.party_group else t("none")),
        joined,
        t("Phone: {phone}", phone=phone or t("not given")),
        t("Registered: {date}", date=local_date(tz, m.requested_at) or t("not set")),
    ]
    if m.decided_at is not None:
        lines.append(t("Decided: {date}", date=local_date(tz, m.decided_at) or ""))
    if m.excused_reason is not None:
        reason = t(EXCUSE_REASON_LABELS[m.excused_reason])
        lines.append(t("Excused from organizational life ({reason}) until {date}",
                       reason=reason, date=m.excused_until.isoformat()) if m.excused_until else
                     t("Excused from organizational life ({reason}), no end date",
                       reason=reason))
    if m.state is MembershipState.TRANSFERRED_OUT:
        lines.append(t("Transferred out: {date}", date=local_date(tz, m.transferred_out_at) or "?"))
        lines.append(t("Transferred to: {to}", to=m.transferred_to or t("not given")))
    return html_join("\n", lines)


def card(
    t: Translator, tz: ZoneInfo, m: Membership, phone: str | None, *, editable: bool,
    may_appoint: bool, note: Html | None = None, cases: Sequence[DriftCase] = (),
) -> Reply:
    """The record with the buttons the reader may use (`note` above it), and the member's open
    six-month cases, which a leader settles: excusing them (a good reason) or reporting it."""
    mid, active = MembershipId(m.id), m.state is MembershipState.ACTIVE
    text = card_text(t, tz, m, phone)
    if cases:
        text = html_join("\n\n", [text, html_join("\n", [
            t(CASE_TEXTS[case.trigger], date=case.since.isoformat()) for case in cases])])
    if active and not editable:
        text = html_join("\n\n", [text, t(
            "You cannot change your own record here; the upper level does that.")])
    if note:
        text = html_join("\n\n", [note, text])
    rows: list[list[InlineKeyboardButton]] = []
    if active and editable:
        first = [StatusMenu(mid).button(t("Political status"))]
        if may_appoint:
            first.append(RoleMenu(mid).button(t("Role")))
        rows.append(first)
        rows.append([GroupMenu(mid).button(t("Party group")),
                     StartTransfer(mid).button(t("📨 Transfer"))])
        rows.append([EndExcuse(mid).button(t("End the excuse")) if m.excused_reason else
                     ExcuseMenu(mid).button(t("🕊 Excuse from organizational life"))])
        if cases:
            rows.append([ReportCase(mid).button(t("📤 Reported to the level above"))])
    org_id = OrgId(m.party_organization_id)
    gone = m.state is MembershipState.TRANSFERRED_OUT
    back = Transferred(org_id, 0) if gone else MemberList(org_id, 0)
    rows.append([back.button(t("‹ Back"))])
    return Reply(text, keyboard(rows))


def mark(chosen: bool) -> str:
    return "✓ " if chosen else ""


def menu(t: Translator, m: Membership, text: Html, rows: list[list[InlineKeyboardButton]]
         ) -> Reply:
    """A choice about the member, with the way back to their record."""
    return Reply(text, keyboard([*rows, [MemberCard(MembershipId(m.id)).button(t("‹ Back"))]]))


def status_menu(t: Translator, m: Membership) -> Reply:
    mid = MembershipId(m.id)
    return menu(t, m, t("New status of {name}:", name=person_name(t, m.person)), [
        [SetStatus(mid, status).button(mark(status is m.status) + t(label))]
        for status, label in MEMBER_STATUS_LABELS.items()])


def role_menu(t: Translator, m: Membership, roles: Sequence[MemberRole]) -> Reply:
    mid = MembershipId(m.id)
    return menu(t, m, t("New role of {name}:", name=person_name(t, m.person)), [
        [SetRole(mid, role).button(mark(role is m.role) + t(ROLE_LABELS[role]))]
        for role in roles])


def excuse_menu(t: Translator, m: Membership) -> Reply:
    mid = MembershipId(m.id)
    return menu(t, m, t("Why is {name} excused from organizational life? While excused, you "
                        "get no warnings about their absence or dues.",
                        name=person_name(t, m.person)), [
        [ExcuseFor(mid, reason).button(t(label))]
        for reason, label in EXCUSE_REASON_LABELS.items()])


def excuse_length_menu(t: Translator, m: Membership, reason: ExcuseReason) -> Reply:
    mid = MembershipId(m.id)
    return menu(t, m, t("Excused ({reason}) for how long?", reason=t(EXCUSE_REASON_LABELS[reason])),
                [[SetExcuse(mid, reason, months).button(
                    t.plural("{n} month", "{n} months", months) if months
                    else t("Until the branch ends it"))] for months in EXCUSE_MONTHS])


def group_menu(t: Translator, m: Membership, groups: Sequence[PartyGroup]) -> Reply:
    mid = MembershipId(m.id)
    rows = [[SetGroup(mid, g.id).button(mark(g.id == m.party_group_id) + g.name)]
            for g in groups]
    rows.append([SetGroup(mid, 0).button(mark(m.party_group_id is None) + t("No party group"))])
    text = t("Party group of {name}:", name=person_name(t, m.person))
    if not groups:
        text = html_join("\n", [text, t("{branch} has no party groups yet.",
                                         branch=m.party_organization.name)])
    return menu(t, m, text, rows)
