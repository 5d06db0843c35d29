"""Texts, keyboards and buttons of the organization tree (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton

from handlers.invites import ShowInvite
from handlers.kit.actions import Reply
from handlers.kit.buttons import ButtonData, MembershipId, OrgId
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape, html_format, html_join
from handlers.kit.steps import Rows
from handlers.kit.ui import fmt_date, keyboard, page_of, page_row, paged, paged_rows, person_name
from handlers.labels import PARTY_KIND_LABELS, ROLE_LABELS, SOCIAL_TYPE_LABELS
from handlers.members import MemberList
from rules.terms import MAX_TERM_YEARS, MIN_TERM_YEARS, term_ends_on, term_years
from rules.tree import GROUP_KINDS, MEMBER_KINDS, can_be_parent
from rules.vocabulary import MemberRole, PartyOrgKind, SocialOrgType
from storage.models import Membership, PartyGroup, PartyOrganization, SocialOrganization
from storage.orgs import TreeRow

APPOINTABLE_ROLES = (MemberRole.SECRETARY, MemberRole.DEPUTY_SECRETARY, MemberRole.COMMITTEE_MEMBER)
NOT_ACTIVE = N_("{name} is no longer an active member.")
# What storage's TreeError codes say (any other: the button is stale).
TREE_ERRORS = {
    "duplicate_party_org": N_("A party organization named {name} already exists. "
                              "Please type another name."),
    "duplicate_social_org": N_("A social organization named {name} already exists. "
                               "Please type another name."),
    "duplicate_group": N_("This organization already has a party group named {name}. "
                          "Please type another name."),
    "bad_parent_kind": N_("{name} cannot be the parent of this kind of organization."),
    "groups_only_in_branches": N_("Party groups are formed only inside a branch or joint branch."),
}



class ShowTree(ButtonData, prefix="org:tree"):
    page: int


class ShowCard(ButtonData, prefix="org:card"):
    org: OrgId


class ShowSocial(ButtonData, prefix="org:soc"):
    """The social organizations and who covers them."""

    page: int


class NewPartyOrg(ButtonData, prefix="org:new:p"):
    """Start a new party organization (its name is asked)."""


class NewSocialOrg(ButtonData, prefix="org:new:s"):
    """Start a new social organization (its name is asked)."""


class SetTermStart(ButtonData, prefix="org:ts"):
    """Type the date the committee was elected."""

    org: OrgId


class NewGroup(ButtonData, prefix="org:grp"):
    """Type the name of a new 党小组."""

    org: OrgId


# Buttons of the steps of a new organization: they answer only while that step is current.
class ChooseKind(ButtonData, prefix="org:pk"):
    kind: PartyOrgKind


class PickParent(ButtonData, prefix="org:pp"):
    """The parent of the new party organization (0: top level)."""

    parent: OrgId


class ParentPage(ButtonData, prefix="org:ppg"):
    page: int


class ChooseType(ButtonData, prefix="org:st"):
    type: SocialOrgType


class PickCover(ButtonData, prefix="org:sc"):
    """Who covers the new social organization (0: nobody yet)."""

    party: OrgId


class CoverPage(ButtonData, prefix="org:scg"):
    page: int


STEP_BUTTONS = (ChooseKind, PickParent, ParentPage, ChooseType, PickCover, CoverPage)


class TermLength(ButtonData, prefix="org:tl"):
    org: OrgId


class SetTermLength(ButtonData, prefix="org:ty"):
    """Set the term length (0: the default for the kind)."""

    org: OrgId
    years: int


class CoverList(ButtonData, prefix="org:cv"):
    """Social organizations this one could cover."""

    org: OrgId
    page: int


class Cover(ButtonData, prefix="org:cs"):
    """Cover one (asks first if another organization covers it)."""

    org: OrgId
    social: int


class ConfirmCover(ButtonData, prefix="org:cy"):
    org: OrgId
    social: int


class Appointees(ButtonData, prefix="org:ap"):
    """Active members to appoint."""

    org: OrgId
    page: int


class ChooseAppointee(ButtonData, prefix="org:am"):
    membership: MembershipId


class Appoint(ButtonData, prefix="org:ar"):
    """Appoint (asks first before replacing a secretary)."""

    membership: MembershipId
    role: MemberRole


class ConfirmAppointment(ButtonData, prefix="org:ay"):
    membership: MembershipId
    role: MemberRole


def term_line(t: Translator, org: PartyOrganization, today: date, *, card: bool) -> Html | None:
    """When the term ends (overdue if past), as the tree or the card says it."""
    if org.term_started_on is None:
        return None
    ends_on = term_ends_on(org.term_started_on, org.kind, org.term_years)
    ends = ends_on.isoformat()
    if ends_on < today:
        return (t("Term ends: {date} (overdue)", date=ends) if card
                else t("term ended {date} (overdue)", date=ends))
    return t("Term ends: {date}", date=ends) if card else t("term ends {date}", date=ends)


def with_note(note: Html | None, text: Html) -> Html:
    """A screen's text under what was just done."""
    return html_join("\n\n", [note, text]) if note else text


def org_button(family: type[PickParent | PickCover | ShowCard], row: TreeRow
               ) -> InlineKeyboardButton:
    """An organization of the tree, indented by its depth."""
    return family(OrgId(row.org.id)).button(branch_mark(row.depth) + row.org.name)


def branch_mark(depth: int) -> str:
    """Button text prefix showing the depth in the tree."""
    return "" if depth == 0 else "└" + "─" * (depth - 1) + " "


def tree(t: Translator, rows: Sequence[TreeRow], covered: int, socials: int, page: int,
         today: date) -> Reply:
    """The party-organization tree, a page at a time, with one button per organization."""
    lines = [t("<b>Organization tree</b>")]
    if not rows:
        lines.append(t("No party organizations yet. Start with the top one, "
                       "usually the party committee."))
    page, _pages, shown = page_of(rows, page)
    for row in shown:
        org = row.org
        parts = [t(PARTY_KIND_LABELS[org.kind]),
                 t.plural("{n} member", "{n} members", row.active_members)]
        ends = term_line(t, org, today, card=False)
        if ends is not None:
            parts.append(ends)
        indent = "\u2003" * row.depth + ("└ " if row.depth else "")
        lines.append(html_format("{indent}<b>{name}</b> — {parts}", indent=indent,
                                 name=org.name, parts=html_join(" · ", parts)))
    lines += [BLANK, t("Social organizations covered: {covered} of {total}",
                       covered=covered, total=socials)]
    items = [org_button(ShowCard, row) for row in rows]
    extra = [
        [NewPartyOrg().button(t("➕ Party organization")),
         NewSocialOrg().button(t("➕ Social organization"))],
        [ShowSocial(0).button(t("Social organizations"))],
    ]
    return Reply(html_join("\n", lines), paged(t, items, page, ShowTree, extra))


def card(t: Translator, org: PartyOrganization, parent: PartyOrganization | None,
         members: Sequence[Membership], covered: Sequence[SocialOrganization],
         groups: Sequence[PartyGroup], today: date, note: Html | None = None) -> Reply:
    """Everything about one party organization, with the buttons to change it."""
    none = t("none")

    def names(role: MemberRole) -> Html:
        found = [escape(person_name(t, m.person)) for m in members if m.role is role]
        return html_join(", ", found) if found else none

    years = term_years(org.kind, org.term_years)
    lines = [
        html_format("<b>{name}</b>", name=org.name),
        t("Kind: {kind}", kind=t(PARTY_KIND_LABELS[org.kind])),
        t("Parent: {parent}", parent=parent.name if parent else t("none (top level)")),
        t("Term started: {date}", date=fmt_date(t, org.term_started_on)),
        term_line(t, org, today, card=True),
        t.plural("Term length: {n} year (default for this kind)",
                 "Term length: {n} years (default for this kind)", years)
        if org.term_years is None else
        t.plural("Term length: {n} year (set for this organization)",
                 "Term length: {n} years (set for this organization)", years),
        t("Covers: {names}", names=", ".join(s.name for s in covered) or none),
        t("Party groups: {names}", names=", ".join(g.name for g in groups) or none)
        if org.kind in GROUP_KINDS or groups else None,
        t("Secretary: {names}", names=names(MemberRole.SECRETARY)),
        t("Deputy secretaries: {names}", names=names(MemberRole.DEPUTY_SECRETARY)),
        t("Committee members: {names}", names=names(MemberRole.COMMITTEE_MEMBER)),
        t("Active members: {n}", n=len(members)),
    ]
    org_id = OrgId(org.id)
    rows = [
        [Appointees(org_id, 0).button(t("Appoint secretary / deputy / committee member"))],
        [SetTermStart(org_id).button(t("Set term start")),
         TermLength(org_id).button(t("Term length"))],
        [NewGroup(org_id).button(t("➕ Party group"))] if org.kind in GROUP_KINDS else [],
        [CoverList(org_id, 0).button(t("Cover a social organization"))],
        [*([ShowInvite(org_id).button(t("🔗 Invite link"))] if org.kind in MEMBER_KINDS else []),
         MemberList(org_id, 0).button(t("👥 Members"))],
        [ShowTree(0).button(t("Back"))],
    ]
    text = html_join("\n", [line for line in lines if line is not None])
    return Reply(with_note(note, text), keyboard(rows))


def social_list(t: Translator, socials: Sequence[SocialOrganization],
                party_names: dict[int, str], page: int, note: Html | None = None) -> Reply:
    """The social organizations with their type and covering party organization."""
    covered = sum(1 for s in socials if s.party_organization_id is not None)
    lines = [
        t("<b>Social organizations</b>"),
        t("Covered by a party organization: {covered} of {total}",
          covered=covered, total=len(socials)),
        BLANK,
    ]
    if not socials:
        lines.append(t("None yet."))
    page, pages, shown = page_of(socials, page)
    for social in shown:
        if social.party_organization_id in party_names:
            cover = t("covered by {org}", org=party_names[social.party_organization_id])
        else:
            cover = t("not covered")
        lines.append(html_format("• <b>{name}</b> — {kind} — {cover}", name=social.name,
                                 kind=t(SOCIAL_TYPE_LABELS[social.org_type]), cover=cover))
    rows = [page_row(t, page, pages, ShowSocial),
            [NewSocialOrg().button(t("➕ Social organization"))],
            [ShowTree(0).button(t("Back"))]]
    return Reply(with_note(note, html_join("\n", lines)), keyboard(rows))


def term_length_menu(t: Translator, org: PartyOrganization) -> Reply:
    """1-5 years, or the default for the kind."""
    default, org_id = term_years(org.kind), OrgId(org.id)
    text = html_join("\n", [
        t.plural("How many years is the term of {org}? The default for its kind ({kind}) "
                 "is {n} year.",
                 "How many years is the term of {org}? The default for its kind ({kind}) "
                 "is {n} years.",
                 default, org=org.name, kind=t(PARTY_KIND_LABELS[org.kind])),
        t("A longer or shorter term needs the approval of the upper level."),
    ])
    return Reply(text, keyboard([
        [SetTermLength(org_id, n).button(t.as_plain_plural("{n} year", "{n} years", n))
         for n in range(MIN_TERM_YEARS, MAX_TERM_YEARS + 1)],
        [SetTermLength(org_id, 0).button(
            t.as_plain_plural("Default ({n} year)", "Default ({n} years)", default))],
        [ShowCard(org_id).button(t("Back"))],
    ]))


def cover_list(t: Translator, org: PartyOrganization, socials: Sequence[SocialOrganization],
               party_names: dict[int, str], page: int) -> Reply:
    """The social organizations this party organization could cover."""
    org_id = OrgId(org.id)
    back = [ShowCard(org_id).button(t("Back"))]
    if not socials:
        return Reply(t("There are no social organizations yet."), keyboard(
            [[NewSocialOrg().button(t("➕ Social organization"))], back]))
    items = []
    for social in socials:
        covering = social.party_organization_id
        if covering == org.id:
            label = "✓ " + social.name
        elif covering in party_names:
            label = f"{social.name} ({party_names[covering]})"
        else:
            label = social.name
        items.append(Cover(org_id, social.id).button(label))
    return Reply(t("Which social organization does {org} cover? "
                   "In brackets: the party organization covering it now.", org=org.name),
                 paged(t, items, page, lambda to: CoverList(org_id, to), [back]))


def ask_first(t: Translator, text: Html, yes: InlineKeyboardButton, org_id: int) -> Reply:
    """A question before a change: Yes, or No back to the organization's card."""
    return Reply(text, keyboard([[yes], [ShowCard(OrgId(org_id)).button(t("No"))]]))


def move_cover(t: Translator, org: PartyOrganization, social: SocialOrganization,
               current: PartyOrganization) -> Reply:
    return ask_first(t, t("{social} is covered by {current} now. Move it to {org}?",
                          social=social.name, current=current.name, org=org.name),
                     ConfirmCover(OrgId(org.id), social.id).button(t("Yes, move it")), org.id)


def appointees(t: Translator, org: PartyOrganization, members: Sequence[Membership],
               page: int) -> Reply:
    """The organization's active members, to pick the one to appoint."""
    org_id = OrgId(org.id)
    back = [ShowCard(org_id).button(t("Back"))]
    if not members:
        return Reply(t("{org} has no active members yet. Members register with the invite "
                       "link; once approved they can be appointed.", org=org.name),
                     keyboard([back]))
    items = [ChooseAppointee(MembershipId(m.id)).button(
        f"{person_name(t, m.person)} · {t(ROLE_LABELS[m.role])}") for m in members]
    return Reply(t("Whom do you appoint in {org}?", org=org.name),
                 paged(t, items, page, lambda to: Appointees(org_id, to), [back]))


def roles_for(t: Translator, m: Membership) -> Reply:
    mid = MembershipId(m.id)
    text = html_join("\n", [
        t("Appoint {name} in {org} as:", name=person_name(t, m.person),
          org=m.party_organization.name),
        t("(now: {role})", role=t(ROLE_LABELS[m.role])),
    ])
    rows = [[Appoint(mid, role).button(t(ROLE_LABELS[role]))] for role in APPOINTABLE_ROLES]
    rows.append([Appointees(OrgId(m.party_organization_id), 0).button(t("Back"))])
    return Reply(text, keyboard(rows))


def replace_secretary(t: Translator, m: Membership, sitting: Sequence[Membership],
                      role: MemberRole) -> Reply:
    """Ask before a new secretary demotes the sitting one."""
    current = ", ".join(person_name(t, s.person) for s in sitting)
    return ask_first(t, t("{current} is the secretary of {org}. Appoint {name} instead? "
                          "{current} will become a committee member.", current=current,
                          org=m.party_organization.name, name=person_name(t, m.person)),
                     ConfirmAppointment(MembershipId(m.id), role).button(
                         t("Yes, replace the secretary")), m.party_organization_id)


def appointed_text(t: Translator, role: MemberRole, org: str) -> Html:
    """What the appointee is told (in their language)."""
    return t("You have been appointed {role} of {org}.", role=t(ROLE_LABELS[role]), org=org)

# --- the steps of a new organization ------------------------------------------------------


def sort_step(t: Translator, name: str, *, social: bool) -> tuple[Html, Rows]:
    """The kind of a new party organization, or the type of a new social one."""
    question = (t("What type of social organization is it?") if social
                else t("What kind of party organization is it?"))
    choices = ([ChooseType(kind).button(t(label)) for kind, label in SOCIAL_TYPE_LABELS.items()]
               if social else
               [ChooseKind(kind).button(t(label)) for kind, label in PARTY_KIND_LABELS.items()])
    return html_join("\n\n", [t("Name: {name}", name=name), question]), [[c] for c in choices]


def place_step(t: Translator, name: str, sort: Html, question: Html,
               items: Sequence[InlineKeyboardButton], page: int,
               nav: type[ParentPage | CoverPage]) -> tuple[Html, Rows]:
    """Where the new organization goes in the tree, a page of choices at a time."""
    text = html_join("\n", [t("Name: {name}", name=name), sort, BLANK, question])
    return text, paged_rows(t, items, page, nav)


def parent_step(t: Translator, name: str, kind: PartyOrgKind, rows: Sequence[TreeRow],
                page: int) -> tuple[Html, Rows]:
    """Where the new party organization goes: top level or an allowed parent."""
    items = [PickParent(OrgId(0)).button(t("Top level"))] + [
        org_button(PickParent, r) for r in rows if can_be_parent(kind, r.org.kind)]
    return place_step(t, name, t("Kind: {kind}", kind=t(PARTY_KIND_LABELS[kind])),
                      t("Which organization is it directly under?"), items, page, ParentPage)


def cover_step(t: Translator, name: str, org_type: SocialOrgType, rows: Sequence[TreeRow],
               page: int) -> tuple[Html, Rows]:
    """Which party organization covers the new social organization, if any yet."""
    items = [PickCover(OrgId(0)).button(t("Not covered yet"))] + [
        org_button(PickCover, r) for r in rows]
    return place_step(t, name, t("Type: {type}", type=t(SOCIAL_TYPE_LABELS[org_type])),
                      t("Which party organization covers it?"), items, page, CoverPage)
