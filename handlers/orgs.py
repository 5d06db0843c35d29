"""Admins build the organization tree by chat: party and social organizations, terms, leaders.

Callback data (prefix ``org``; ids are database ids, 0 means "none"):

====================  ==========================================================
org:tree:<page>       the party-organization tree
org:card:<org>        an organization's card
org:soc:<page>        the social organizations and who covers them
org:new:p|s           start a new party / social organization (asks for the name)
org:pk:<kind>         new party organization: its kind       (state PARTY_KIND)
org:pp:<parent>       new party organization: its parent     (state PARTY_PARENT)
org:ppg:<page>        another page of parents                (state PARTY_PARENT)
org:st:<type>         new social organization: its type      (state SOCIAL_TYPE)
org:sc:<party>        new social organization: who covers it (state SOCIAL_COVER)
org:scg:<page>        another page of covering organizations (state SOCIAL_COVER)
org:ts:<org>          type a term start date                 (-> state TERM_START)
org:tl:<org>          term length choices
org:ty:<org>:<years>  set the term length (0: the default for the kind)
org:grp:<org>         type a 党小组 name                      (-> state GROUP_NAME)
org:cv:<org>:<page>   social organizations this one could cover
org:cs:<org>:<soc>    cover one (asks first if another organization covers it)
org:cy:<org>:<soc>    cover it, confirmed
org:ap:<org>:<page>   active members to appoint
org:am:<membership>   the roles to appoint that member to
org:ar:<m>:<role>     appoint (asks first before replacing a secretary)
org:ay:<m>:<role>     appoint, confirmed
====================  ==========================================================

Steps of a guided creation only answer while that step is current; an old button from a
finished or cancelled step is refused as stale, so /cancel really leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from handlers.kit.chat import STALE_BUTTON, Refused, answer, current_actor, require, send, show, tr
from handlers.kit.context import BranchContext
from handlers.kit.date_step import DateStep
from handlers.kit.flows import invalid_text
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    escape,
    html_format,
    html_join,
    translator,
)
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import (
    PAGE_SIZE,
    button,
    cb_args,
    cb_pattern,
    fmt_date,
    keyboard,
    paged,
    person_name,
)
from handlers.labels import PARTY_KIND_LABELS, ROLE_LABELS, SOCIAL_TYPE_LABELS
from handlers.menu import COMMAND_CALLBACKS, main_keyboard, publish_commands_for
from handlers.registration import TEXT_INPUT, cancel_handlers
from rules.permissions import COMMITTEE_ROLES, Actor, can_appoint, can_edit_tree
from rules.terms import MAX_TERM_YEARS, MIN_TERM_YEARS, term_ends_on, term_years
from rules.tree import GROUP_KINDS, MEMBER_KINDS, can_be_parent
from rules.validation import MAX_GROUP_NAME, MAX_ORG_NAME, Invalid, check_term_start, clean_text
from rules.vocabulary import MemberRole, MembershipState, PartyOrgKind, SocialOrgType
from storage import orgs as org_store
from storage import people
from storage.models import Membership, PartyOrganization, SocialOrganization

logger = logging.getLogger(__name__)

PREFIX = "org"
DRAFT = "org_draft"  # registration.cancel drops it on /cancel
END = ConversationHandler.END

(
    PARTY_NAME,
    PARTY_KIND,
    PARTY_PARENT,
    SOCIAL_NAME,
    SOCIAL_TYPE,
    SOCIAL_COVER,
    TERM_START,
    GROUP_NAME,
) = range(20, 28)

APPOINTABLE_ROLES = (MemberRole.SECRETARY, MemberRole.DEPUTY_SECRETARY, MemberRole.COMMITTEE_MEMBER)
ACTIVE = (MembershipState.ACTIVE,)

STEP_OVER = N_("That step is over. Please open the menu again.")
NOT_ACTIVE = N_("{name} is no longer an active member.")
TREE_ERRORS = {
    "duplicate_party_org": N_(
        "A party organization named {name} already exists. Please type another name."
    ),
    "duplicate_social_org": N_(
        "A social organization named {name} already exists. Please type another name."
    ),
    "duplicate_group": N_("This organization already has a party group named {name}. "
                          "Please type another name."),
    "bad_parent_kind": N_("{name} cannot be the parent of this kind of organization."),
    "groups_only_in_branches": N_("Party groups are formed only inside a branch or joint branch."),
    "unknown_parent": STALE_BUTTON,
    "bad_term_years": STALE_BUTTON,
}

T = TypeVar("T")


# --- small helpers ------------------------------------------------------------------------


async def _admin(session: AsyncSession, update: Update, context: BranchContext, what: str) -> Actor:
    """The sender, refused (and logged) unless they may edit the tree."""
    actor = await current_actor(session, update, context)
    require(can_edit_tree(actor), update, what)
    return actor


def _args(update: Update, *kinds: type) -> list[Any]:
    """The values after the verb of org:<verb>:...; BadCallback if they do not parse."""
    assert update.callback_query is not None
    return cb_args(update.callback_query.data, PREFIX, str, *kinds)[1:]


def _today(context: BranchContext) -> date:
    return datetime.now(context.settings.tzinfo).date()


def _draft(context: BranchContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})


def _new_draft(context: BranchContext, **values: Any) -> dict[str, Any]:
    assert context.user_data is not None
    context.user_data[DRAFT] = dict(values)
    return context.user_data[DRAFT]


def _drop_draft(context: BranchContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)


def _page_of(items: Sequence[T], page: int) -> tuple[int, int, Sequence[T]]:
    """(page, pages, items on it), the page clamped as handlers.kit.ui.paged does."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return page, pages, items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]


def _nav_row(t: Translator, page: int, pages: int, *nav: object) -> list[InlineKeyboardButton]:
    """‹ n/m › for a list shown as text (paged() does this for lists of buttons)."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(button(t("‹ Previous"), *nav, page - 1))
    row.append(button(f"{page + 1}/{pages}", *nav, page))
    if page < pages - 1:
        row.append(button(t("Next ›"), *nav, page + 1))
    return row


def _branch_mark(depth: int) -> str:
    """Button text prefix showing the depth in the tree."""
    return "" if depth == 0 else "└" + "─" * (depth - 1) + " "


def _person_name(t: Translator, membership: Membership) -> str:
    """Plain text (escape it for HTML): the real name, or the Telegram id if none yet."""
    person = membership.person
    return person_name(t, person)


async def _org(session: AsyncSession, org_id: int) -> PartyOrganization:
    org = await org_store.get_party_org(session, org_id)
    if org is None:
        raise Refused(STALE_BUTTON)
    return org


async def _social_org(session: AsyncSession, social_id: int) -> SocialOrganization:
    found = next((s for s in await org_store.social_orgs(session) if s.id == social_id), None)
    if found is None:
        raise Refused(STALE_BUTTON)
    return found


def _tree_error(exc: org_store.TreeError) -> Refused:
    return Refused(TREE_ERRORS.get(exc.code, STALE_BUTTON), name=exc.name)


# --- views: text and keyboard, built inside the update's session ----------------------------


async def tree_view(
    session: AsyncSession, t: Translator, page: int, today: date
) -> tuple[Html, InlineKeyboardMarkup]:
    """The party-organization tree, a page at a time, with one button per organization."""
    rows = await org_store.party_tree(session)
    socials = await org_store.social_orgs(session)
    covered = sum(1 for s in socials if s.party_organization_id is not None)
    lines = [t("<b>Organization tree</b>")]
    if not rows:
        lines.append(t("No party organizations yet. Start with the top one, "
                       "usually the party committee."))
    page, _pages, shown = _page_of(rows, page)
    for row in shown:
        org = row.org
        parts = [
            t(PARTY_KIND_LABELS[org.kind]),
            t.plural("{n} member", "{n} members", row.active_members),
        ]
        if org.term_started_on is not None:
            ends = term_ends_on(org.term_started_on, org.kind, org.term_years)
            if ends < today:
                parts.append(t("term ended {date} (overdue)", date=ends.isoformat()))
            else:
                parts.append(t("term ends {date}", date=ends.isoformat()))
        indent = "\u2003" * row.depth + ("└ " if row.depth else "")
        lines.append(html_format("{indent}<b>{name}</b> — {parts}", indent=indent, name=org.name,
                            parts=html_join(" · ", parts)))
    lines += [BLANK, t("Social organizations covered: {covered} of {total}",
                    covered=covered, total=len(socials))]
    items = [
        button(_branch_mark(row.depth) + row.org.name, PREFIX, "card", row.org.id) for row in rows
    ]
    extra = [
        [button(t("➕ Party organization"), PREFIX, "new", "p"),
         button(t("➕ Social organization"), PREFIX, "new", "s")],
        [button(t("Social organizations"), PREFIX, "soc", 0)],
    ]
    return html_join("\n", lines), paged(t, items, page, (PREFIX, "tree"), extra)


async def card_view(
    session: AsyncSession, t: Translator, org_id: int, today: date
) -> tuple[Html, InlineKeyboardMarkup]:
    """Everything about one party organization, with the buttons to change it."""
    org = await _org(session, org_id)
    parent = await org_store.get_party_org(session, org.parent_id) if org.parent_id else None
    members = await people.members_of(session, org.id, ACTIVE)
    covered = await org_store.social_orgs_of(session, org.id)
    groups = await org_store.groups_of(session, org.id)
    none = t("none")

    def names(role: MemberRole) -> Html:
        found = [escape(_person_name(t, m)) for m in members if m.role is role]
        return html_join(", ", found) if found else none

    lines = [
        html_format("<b>{name}</b>", name=org.name),
        t("Kind: {kind}", kind=t(PARTY_KIND_LABELS[org.kind])),
        t("Parent: {parent}", parent=parent.name if parent else t("none (top level)")),
        t("Term started: {date}", date=fmt_date(t, org.term_started_on)),
    ]
    if org.term_started_on is not None:
        ends = term_ends_on(org.term_started_on, org.kind, org.term_years)
        if ends < today:
            lines.append(t("Term ends: {date} (overdue)", date=ends.isoformat()))
        else:
            lines.append(t("Term ends: {date}", date=ends.isoformat()))
    years = term_years(org.kind, org.term_years)
    if org.term_years is None:
        lines.append(t.plural("Term length: {n} year (default for this kind)",
                              "Term length: {n} years (default for this kind)", years))
    else:
        lines.append(t.plural("Term length: {n} year (set for this organization)",
                              "Term length: {n} years (set for this organization)", years))
    lines.append(t("Covers: {names}", names=", ".join(s.name for s in covered) or none))
    if org.kind in GROUP_KINDS or groups:
        lines.append(t("Party groups: {names}", names=", ".join(g.name for g in groups) or none))
    lines += [
        t("Secretary: {names}", names=names(MemberRole.SECRETARY)),
        t("Deputy secretaries: {names}", names=names(MemberRole.DEPUTY_SECRETARY)),
        t("Committee members: {names}", names=names(MemberRole.COMMITTEE_MEMBER)),
        t("Active members: {n}", n=len(members)),
    ]
    rows = [
        [button(t("Appoint secretary / deputy / committee member"), PREFIX, "ap", org.id, 0)],
        [button(t("Set term start"), PREFIX, "ts", org.id),
         button(t("Term length"), PREFIX, "tl", org.id)],
        [button(t("➕ Party group"), PREFIX, "grp", org.id)] if org.kind in GROUP_KINDS else [],
        [button(t("Cover a social organization"), PREFIX, "cv", org.id, 0)],
        [
            *([button(t("🔗 Invite link"), "inv", "show", org.id)]
              if org.kind in MEMBER_KINDS else []),
            button(t("👥 Members"), "mem", "list", org.id, 0),
        ],
        [button(t("Back"), PREFIX, "tree", 0)],
    ]
    return html_join("\n", lines), keyboard(rows)


async def social_view(
    session: AsyncSession, t: Translator, page: int
) -> tuple[Html, InlineKeyboardMarkup]:
    """The social organizations with their type and covering party organization."""
    socials = await org_store.social_orgs(session)
    party_names = {row.org.id: row.org.name for row in await org_store.party_tree(session)}
    covered = sum(1 for s in socials if s.party_organization_id is not None)
    lines = [
        t("<b>Social organizations</b>"),
        t("Covered by a party organization: {covered} of {total}",
          covered=covered, total=len(socials)),
        BLANK,
    ]
    if not socials:
        lines.append(t("None yet."))
    page, pages, shown = _page_of(socials, page)
    for social in shown:
        if social.party_organization_id in party_names:
            cover = t("covered by {org}", org=party_names[social.party_organization_id])
        else:
            cover = t("not covered")
        lines.append(html_format("• <b>{name}</b> — {kind} — {cover}", name=social.name,
                            kind=t(SOCIAL_TYPE_LABELS[social.org_type]), cover=cover))
    rows = [
        _nav_row(t, page, pages, PREFIX, "soc"),
        [button(t("➕ Social organization"), PREFIX, "new", "s")],
        [button(t("Back"), PREFIX, "tree", 0)],
    ]
    return html_join("\n", lines), keyboard(rows)


def kind_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return keyboard(
        [[button(t(label), PREFIX, "pk", kind.value)] for kind, label in PARTY_KIND_LABELS.items()]
        + [[button(t("Cancel"), PREFIX, "tree", 0)]]
    )


async def parent_view(
    session: AsyncSession, t: Translator, draft: dict[str, Any], page: int
) -> tuple[Html, InlineKeyboardMarkup]:
    """Where the new party organization goes: top level or an allowed parent."""
    kind = PartyOrgKind(draft["kind"])
    rows = await org_store.party_tree(session)
    items = [button(t("Top level"), PREFIX, "pp", 0)] + [
        button(_branch_mark(r.depth) + r.org.name, PREFIX, "pp", r.org.id)
        for r in rows
        if can_be_parent(kind, r.org.kind)
    ]
    text = html_join("\n", [
        t("Name: {name}", name=draft["name"]),
        t("Kind: {kind}", kind=t(PARTY_KIND_LABELS[kind])),
        BLANK,
        t("Which organization is it directly under?"),
    ])
    return text, paged(t, items, page, (PREFIX, "ppg"), [[button(t("Cancel"), PREFIX, "tree", 0)]])


async def cover_choice_view(
    session: AsyncSession, t: Translator, draft: dict[str, Any], page: int
) -> tuple[Html, InlineKeyboardMarkup]:
    """Which party organization covers the new social organization, if any yet."""
    org_type = SocialOrgType(draft["type"])
    rows = await org_store.party_tree(session)
    items = [button(t("Not covered yet"), PREFIX, "sc", 0)] + [
        button(_branch_mark(r.depth) + r.org.name, PREFIX, "sc", r.org.id) for r in rows
    ]
    text = html_join("\n", [
        t("Name: {name}", name=draft["name"]),
        t("Type: {type}", type=t(SOCIAL_TYPE_LABELS[org_type])),
        BLANK,
        t("Which party organization covers it?"),
    ])
    return text, paged(t, items, page, (PREFIX, "scg"), [[button(t("Cancel"), PREFIX, "tree", 0)]])


# --- browsing -------------------------------------------------------------------------------


async def show_tree(update: Update, context: BranchContext) -> int:
    """/orgs, the keyboard button or org:tree:<page>: the party-organization tree."""
    page = _args(update, int)[0] if update.callback_query is not None else 0
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "show org tree")
        t = translator(actor.language)
        text, markup = await tree_view(session, t, page, _today(context))
    await answer(update)
    await show(update, text, reply_markup=markup)
    return END


async def show_card(update: Update, context: BranchContext) -> int:
    """One organization's card."""
    (org_id,) = _args(update, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "show org card")
        text, markup = await card_view(session, translator(actor.language), org_id,
                                       _today(context))
    await answer(update)
    await show(update, text, reply_markup=markup)
    return END


async def show_social_orgs(update: Update, context: BranchContext) -> int:
    """The list of social organizations and their coverage."""
    (page,) = _args(update, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "list social orgs")
        text, markup = await social_view(session, translator(actor.language), page)
    await answer(update)
    await show(update, text, reply_markup=markup)
    return END


async def press_stale_button(update: Update, context: BranchContext) -> None:
    """An org button of a step that is over (or forged): refuse non-admins, else say stale."""
    async with context.db.session() as session:
        await _admin(session, update, context, "org button outside its step")
    raise Refused(STALE_BUTTON)


async def remind_buttons(update: Update, context: BranchContext) -> None:
    """Typed text where a button is expected: point at the buttons, stay in the step."""
    t = tr(update, context)
    await send(update, t("Please choose with the buttons above, or /cancel."))


# --- new party organization -----------------------------------------------------------------


@dataclass(frozen=True)
class NameStep:
    """The typed-name step of a new party or social organization (one flow, two kinds)."""

    flow: str
    prompt: str
    state: int
    duplicate: str
    next_question: str
    next_state: int
    taken: Callable[[AsyncSession, str], Awaitable[object | None]]
    next_keyboard: Callable[[Translator], InlineKeyboardMarkup]


def social_type_keyboard(t: Translator) -> InlineKeyboardMarkup:
    return keyboard(
        [[button(t(label), PREFIX, "st", kind.value)] for kind, label in SOCIAL_TYPE_LABELS.items()]
        + [[button(t("Cancel"), PREFIX, "tree", 0)]]
    )


NAME_STEPS = {
    "party": NameStep(
        flow="party",
        prompt=N_("New party organization. Type its full name (at most {limit} characters)."),
        state=PARTY_NAME,
        duplicate="duplicate_party_org",
        next_question=N_("What kind of party organization is it?"),
        next_state=PARTY_KIND,
        taken=org_store.party_org_by_name,
        next_keyboard=kind_keyboard,
    ),
    "social": NameStep(
        flow="social",
        prompt=N_(
            "New social organization. Type its registered name (at most {limit} characters)."
        ),
        state=SOCIAL_NAME,
        duplicate="duplicate_social_org",
        next_question=N_("What type of social organization is it?"),
        next_state=SOCIAL_TYPE,
        taken=org_store.social_org_by_name,
        next_keyboard=social_type_keyboard,
    ),
}


async def _ask_name(update: Update, context: BranchContext, step: NameStep) -> int:
    async with context.db.session() as session:
        actor = await _admin(session, update, context, f"create {step.flow} org")
    t = translator(actor.language)
    _new_draft(context, flow=step.flow)
    await answer(update)
    await show(
        update,
        t(step.prompt, limit=MAX_ORG_NAME),
        reply_markup=keyboard([[button(t("Cancel"), PREFIX, "tree", 0)]]),
    )
    return step.state


async def _enter_name(update: Update, context: BranchContext, step: NameStep) -> int:
    assert update.message is not None
    name = clean_text(update.message.text, max_length=MAX_ORG_NAME)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, f"name {step.flow} org")
        taken = not isinstance(name, Invalid) and await step.taken(session, name) is not None
    t = translator(actor.language)
    if isinstance(name, Invalid):
        await send(update, invalid_text(t, name))
        return step.state
    if taken:
        await send(update, t(TREE_ERRORS[step.duplicate], name=name))
        return step.state
    _new_draft(context, flow=step.flow, name=name)
    await send(
        update,
        t("Name: {name}", name=name) + "\n\n" + t(step.next_question),
        reply_markup=step.next_keyboard(t),
    )
    return step.next_state


async def start_party_org(update: Update, context: BranchContext) -> int:
    """Ask the name of a new party organization."""
    return await _ask_name(update, context, NAME_STEPS["party"])


async def enter_party_name(update: Update, context: BranchContext) -> int:
    """Check the name (valid, not taken), then ask the kind."""
    return await _enter_name(update, context, NAME_STEPS["party"])


StepView = Callable[
    [AsyncSession, Translator, dict[str, Any], int], Awaitable[tuple[Html, InlineKeyboardMarkup]]
]


async def _next_step(
    update: Update,
    context: BranchContext,
    *,
    flow: str,
    needs: str,
    view: StepView,
    state: int,
    page: int = 0,
    remember: tuple[str, str] | None = None,
) -> int:
    """A button of a guided creation: check the draft is at this step, remember, show the next."""
    draft = _draft(context)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, f"{flow} org step")
        if draft.get("flow") != flow or not draft.get(needs):
            raise Refused(STALE_BUTTON)
        if remember is not None:
            draft[remember[0]] = remember[1]
        text, markup = await view(session, translator(actor.language), draft, page)
    await answer(update)
    await show(update, text, reply_markup=markup)
    return state


async def choose_kind(update: Update, context: BranchContext) -> int:
    """Remember the kind, then offer the parents that kind may have."""
    (kind,) = _args(update, PartyOrgKind)
    return await _next_step(
        update, context, flow="party", needs="name", view=parent_view, state=PARTY_PARENT,
        remember=("kind", kind.value),
    )


async def turn_parent_page(update: Update, context: BranchContext) -> int:
    """Another page of possible parents."""
    (page,) = _args(update, int)
    return await _next_step(
        update, context, flow="party", needs="kind", view=parent_view, state=PARTY_PARENT,
        page=page,
    )


async def choose_parent(update: Update, context: BranchContext) -> int:
    """Create the party organization under the chosen parent and show its card."""
    (parent_id,) = _args(update, int)
    draft = _draft(context)
    if draft.get("flow") != "party" or not draft.get("name") or not draft.get("kind"):
        raise Refused(STALE_BUTTON)
    t = tr(update, context)
    try:
        async with context.db.session() as session:
            actor = await _admin(session, update, context, "create party org")
            t = translator(actor.language)
            org = await org_store.create_party_org(
                session,
                name=draft["name"],
                kind=PartyOrgKind(draft["kind"]),
                parent_id=parent_id or None,
                actor_telegram_id=actor.telegram_id,
            )
            text, markup = await card_view(session, t, org.id, _today(context))
    except org_store.TreeError as exc:
        if exc.code != "duplicate_party_org":
            raise _tree_error(exc) from None
        # Taken meanwhile (another admin): ask for another name, keep the kind.
        await answer(update)
        await show(update, t(TREE_ERRORS[exc.code], name=exc.name))
        return PARTY_NAME
    logger.info("party organization %s created by %s", org.id, pseudonym(actor.telegram_id))
    _drop_draft(context)
    await answer(update)
    await show(update, t("✅ Created.") + "\n\n" + text, reply_markup=markup)
    return END


# --- new social organization ----------------------------------------------------------------


async def start_social_org(update: Update, context: BranchContext) -> int:
    """Ask the name of a new social organization."""
    return await _ask_name(update, context, NAME_STEPS["social"])


async def enter_social_name(update: Update, context: BranchContext) -> int:
    """Check the name (valid, not taken), then ask the type."""
    return await _enter_name(update, context, NAME_STEPS["social"])


async def choose_social_type(update: Update, context: BranchContext) -> int:
    """Remember the type, then ask which party organization covers it."""
    (org_type,) = _args(update, SocialOrgType)
    return await _next_step(
        update, context, flow="social", needs="name", view=cover_choice_view,
        state=SOCIAL_COVER, remember=("type", org_type.value),
    )


async def turn_cover_choice_page(update: Update, context: BranchContext) -> int:
    """Another page of possible covering organizations."""
    (page,) = _args(update, int)
    return await _next_step(
        update, context, flow="social", needs="type", view=cover_choice_view,
        state=SOCIAL_COVER, page=page,
    )


async def choose_social_cover(update: Update, context: BranchContext) -> int:
    """Create the social organization (covered or not) and show the list."""
    (party_id,) = _args(update, int)
    draft = _draft(context)
    if draft.get("flow") != "social" or not draft.get("name") or not draft.get("type"):
        raise Refused(STALE_BUTTON)
    t = tr(update, context)
    try:
        async with context.db.session() as session:
            actor = await _admin(session, update, context, "create social org")
            t = translator(actor.language)
            social = await org_store.create_social_org(
                session,
                name=draft["name"],
                org_type=SocialOrgType(draft["type"]),
                party_org_id=party_id or None,
                actor_telegram_id=actor.telegram_id,
            )
            text, markup = await social_view(session, t, 0)
    except org_store.TreeError as exc:
        if exc.code != "duplicate_social_org":
            raise _tree_error(exc) from None
        await answer(update)
        await show(update, t(TREE_ERRORS[exc.code], name=exc.name))
        return SOCIAL_NAME
    logger.info("social organization %s created by %s", social.id, pseudonym(actor.telegram_id))
    _drop_draft(context)
    await answer(update)
    await show(update, t("✅ Created.") + "\n\n" + text, reply_markup=markup)
    return END


# --- terms ----------------------------------------------------------------------------------


async def ask_term_start(update: Update, context: BranchContext) -> int:
    """Ask for the date the committee was elected."""
    (org_id,) = _args(update, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "set term start")
        org = await _org(session, org_id)
    t = translator(actor.language)
    _new_draft(context, flow="term", org_id=org.id)
    await answer(update)
    return await TERM_STEP.ask(
        update, context,
        t("When was the committee of {org} elected (the start of its term)? Type the date as "
          "you would say it, for example 1 Mar 2024 or 2024-03-01.", org=org.name),
        [[button(t("Cancel"), PREFIX, "card", org.id)]],
    )


def _term_problem(t: Translator, value: date, now: datetime) -> Html | None:
    checked = check_term_start(value, now.date())
    return invalid_text(t, checked) if isinstance(checked, Invalid) else None


async def enter_term_start(update: Update, context: BranchContext, value: date) -> int:
    """The date, read, checked and echoed by TERM_STEP: store it; show the card with the end."""
    draft = _draft(context)
    org_id = draft.get("org_id") if draft.get("flow") == "term" else None
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "set term start")
        t = translator(actor.language)
        if isinstance(org_id, int):
            org = await _org(session, org_id)
            await org_store.set_term(
                session, org, started_on=value, years=org.term_years,
                actor_telegram_id=actor.telegram_id,
            )
            text, markup = await card_view(session, t, org.id, _today(context))
    if not isinstance(org_id, int):
        await send(update, t(STEP_OVER))
        return END
    _drop_draft(context)
    await send(update, t("✅ Term start saved.") + "\n\n" + text, reply_markup=markup)
    return END


TERM_STEP = DateStep("term_start", TERM_START, moment=False, prefer="past",
                    done=enter_term_start, check=_term_problem, quick=False)


async def ask_term_length(update: Update, context: BranchContext) -> int:
    """Offer 1-5 years or the default for the kind."""
    (org_id,) = _args(update, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "term length")
        org = await _org(session, org_id)
    t = translator(actor.language)
    default = term_years(org.kind)
    years = range(MIN_TERM_YEARS, MAX_TERM_YEARS + 1)
    await answer(update)
    await show(
        update,
        t.plural("How many years is the term of {org}? The default for its kind ({kind}) "
                 "is {n} year.",
                 "How many years is the term of {org}? The default for its kind ({kind}) "
                 "is {n} years.",
                 default, org=org.name, kind=t(PARTY_KIND_LABELS[org.kind]))
        + "\n"
        + t("A longer or shorter term needs the approval of the upper level."),
        reply_markup=keyboard([
            [button(t.as_plain_plural("{n} year", "{n} years", n), PREFIX, "ty", org.id, n)
             for n in years],
            [button(t.as_plain_plural("Default ({n} year)", "Default ({n} years)", default),
                    PREFIX, "ty", org.id, 0)],
            [button(t("Back"), PREFIX, "card", org.id)],
        ]),
    )
    return END


async def set_term_length(update: Update, context: BranchContext) -> int:
    """Store the term length override (0: back to the default)."""
    org_id, years = _args(update, int, int)
    if years != 0 and not MIN_TERM_YEARS <= years <= MAX_TERM_YEARS:
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "set term length")
        t = translator(actor.language)
        org = await _org(session, org_id)
        await org_store.set_term(
            session, org, started_on=org.term_started_on, years=years or None,
            actor_telegram_id=actor.telegram_id,
        )
        text, markup = await card_view(session, t, org.id, _today(context))
    await answer(update)
    await show(update, t("✅ Term length saved.") + "\n\n" + text, reply_markup=markup)
    return END


# --- 党小组 ---------------------------------------------------------------------------------


async def ask_group_name(update: Update, context: BranchContext) -> int:
    """Ask the name of a new party group (branches only)."""
    (org_id,) = _args(update, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "create party group")
        org = await _org(session, org_id)
    if org.kind not in GROUP_KINDS:
        raise Refused(TREE_ERRORS["groups_only_in_branches"])
    t = translator(actor.language)
    _new_draft(context, flow="group", org_id=org.id)
    await answer(update)
    await show(
        update,
        t("Type the name of the new party group in {org} (at most {limit} characters).",
          org=org.name, limit=MAX_GROUP_NAME),
        reply_markup=keyboard([[button(t("Cancel"), PREFIX, "card", org.id)]]),
    )
    return GROUP_NAME


async def enter_group_name(update: Update, context: BranchContext) -> int:
    """Create the party group; a taken name asks again."""
    assert update.message is not None
    draft = _draft(context)
    org_id = draft.get("org_id") if draft.get("flow") == "group" else None
    name = clean_text(update.message.text, max_length=MAX_GROUP_NAME)
    t = tr(update, context)
    try:
        async with context.db.session() as session:
            actor = await _admin(session, update, context, "create party group")
            t = translator(actor.language)
            if isinstance(org_id, int) and not isinstance(name, Invalid):
                org = await _org(session, org_id)
                await org_store.create_group(
                    session, org=org, name=name, actor_telegram_id=actor.telegram_id
                )
                text, markup = await card_view(session, t, org.id, _today(context))
    except org_store.TreeError as exc:
        if exc.code != "duplicate_group":
            raise _tree_error(exc) from None
        await send(update, t(TREE_ERRORS[exc.code], name=exc.name))
        return GROUP_NAME
    if not isinstance(org_id, int):
        await send(update, t(STEP_OVER))
        return END
    if isinstance(name, Invalid):
        await send(update, invalid_text(t, name))
        return GROUP_NAME
    _drop_draft(context)
    await send(update, t("✅ Party group created.") + "\n\n" + text, reply_markup=markup)
    return END


# --- coverage -------------------------------------------------------------------------------


async def list_social_to_cover(update: Update, context: BranchContext) -> int:
    """The social organizations this party organization could cover."""
    org_id, page = _args(update, int, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "list social orgs to cover")
        t = translator(actor.language)
        org = await _org(session, org_id)
        socials = await org_store.social_orgs(session)
        party_names = {row.org.id: row.org.name for row in await org_store.party_tree(session)}
    back = [button(t("Back"), PREFIX, "card", org.id)]
    await answer(update)
    if not socials:
        await show(
            update,
            t("There are no social organizations yet."),
            reply_markup=keyboard(
                [[button(t("➕ Social organization"), PREFIX, "new", "s")], back]
            ),
        )
        return END
    items = []
    for social in socials:
        covering = social.party_organization_id
        if covering == org.id:
            label = "✓ " + social.name
        elif covering in party_names:
            label = f"{social.name} ({party_names[covering]})"
        else:
            label = social.name
        items.append(button(label, PREFIX, "cs", org.id, social.id))
    await show(
        update,
        t("Which social organization does {org} cover? "
          "In brackets: the party organization covering it now.", org=org.name),
        reply_markup=paged(t, items, page, (PREFIX, "cv", org.id), [back]),
    )
    return END


async def _cover(
    session: AsyncSession, context: BranchContext, actor: Actor, t: Translator,
    org: PartyOrganization, social: SocialOrganization,
) -> tuple[Html, InlineKeyboardMarkup]:
    await org_store.set_coverage(session, social, org.id, actor.telegram_id)
    text, markup = await card_view(session, t, org.id, _today(context))
    done = t("✅ {org} now covers {social}.", org=org.name, social=social.name)
    return html_join("\n\n", [done, text]), markup


async def choose_social_to_cover(update: Update, context: BranchContext) -> int:
    """Cover a social organization; one covered by another organization asks first."""
    org_id, social_id = _args(update, int, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "cover social org")
        t = translator(actor.language)
        org = await _org(session, org_id)
        social = await _social_org(session, social_id)
        current = (
            await org_store.get_party_org(session, social.party_organization_id)
            if social.party_organization_id is not None
            else None
        )
        if current is not None and current.id == org.id:
            text, markup = await card_view(session, t, org.id, _today(context))
            already = t("{org} already covers {social}.", org=org.name, social=social.name)
            text = html_join("\n\n", [already, text])
        elif current is not None:
            text = t("{social} is covered by {current} now. Move it to {org}?",
                     social=social.name, current=current.name, org=org.name)
            markup = keyboard([
                [button(t("Yes, move it"), PREFIX, "cy", org.id, social.id)],
                [button(t("No"), PREFIX, "card", org.id)],
            ])
        else:
            text, markup = await _cover(session, context, actor, t, org, social)
    await answer(update)
    await show(update, text, reply_markup=markup)
    return END


async def confirm_cover(update: Update, context: BranchContext) -> int:
    """Cover the social organization, taking it from its previous party organization."""
    org_id, social_id = _args(update, int, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "move social org cover")
        t = translator(actor.language)
        org = await _org(session, org_id)
        social = await _social_org(session, social_id)
        text, markup = await _cover(session, context, actor, t, org, social)
    await answer(update)
    await show(update, text, reply_markup=markup)
    return END


# --- appointments ---------------------------------------------------------------------------


async def list_appointees(update: Update, context: BranchContext) -> int:
    """The organization's active members, to pick the one to appoint."""
    org_id, page = _args(update, int, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "list members to appoint")
        t = translator(actor.language)
        org = await _org(session, org_id)
        members = await people.members_of(session, org.id, ACTIVE)
    back = [button(t("Back"), PREFIX, "card", org.id)]
    await answer(update)
    if not members:
        await show(
            update,
            t("{org} has no active members yet. Members register with the invite link; "
              "once approved they can be appointed.", org=org.name),
            reply_markup=keyboard([back]),
        )
        return END
    items = [
        button(f"{_person_name(t, m)} · {t(ROLE_LABELS[m.role])}", PREFIX, "am", m.id)
        for m in members
    ]
    await show(
        update,
        t("Whom do you appoint in {org}?", org=org.name),
        reply_markup=paged(t, items, page, (PREFIX, "ap", org.id), [back]),
    )
    return END


async def _appointable(
    session: AsyncSession, update: Update, actor: Actor, membership_id: int,
    role: MemberRole | None,
) -> Membership:
    """The active membership behind a button, after checking the actor may appoint there."""
    membership = await people.membership_with_person(session, membership_id)
    if membership is None:
        raise Refused(STALE_BUTTON)
    if membership.state is not MembershipState.ACTIVE:
        raise Refused(NOT_ACTIVE, name=membership.person.real_name or "?")
    for checked in [role] if role is not None else APPOINTABLE_ROLES:
        require(can_appoint(actor, membership.party_organization_id, checked), update, "appoint")
    return membership


async def choose_appointee(update: Update, context: BranchContext) -> int:
    """Offer the roles for the chosen member."""
    (membership_id,) = _args(update, int)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "choose appointee")
        t = translator(actor.language)
        membership = await _appointable(session, update, actor, membership_id, None)
    name = _person_name(t, membership)
    await answer(update)
    await show(
        update,
        t("Appoint {name} in {org} as:", name=name, org=membership.party_organization.name)
        + "\n"
        + t("(now: {role})", role=t(ROLE_LABELS[membership.role])),
        reply_markup=keyboard(
            [[button(t(ROLE_LABELS[role]), PREFIX, "ar", membership.id, role.value)]
             for role in APPOINTABLE_ROLES]
            + [[button(t("Back"), PREFIX, "ap", membership.party_organization_id, 0)]]
        ),
    )
    return END


@dataclass(frozen=True)
class _Appointed:
    text: Html
    markup: InlineKeyboardMarkup
    appointee: Actor
    changed: list[Actor]  # everyone whose role changed: their command menu changes
    org_name: str
    role: MemberRole


async def _appoint(
    session: AsyncSession, context: BranchContext, actor: Actor, t: Translator,
    membership: Membership, role: MemberRole,
) -> _Appointed:
    """Appoint (a new secretary demotes the previous one) and build the reply."""
    previous = [
        m for m in await people.members_of(session, membership.party_organization_id, ACTIVE)
        if role is MemberRole.SECRETARY and m.role is MemberRole.SECRETARY
        and m.id != membership.id
    ]
    try:
        await people.appoint(session, membership, role, actor_telegram_id=actor.telegram_id)
    except people.MembershipError:
        raise Refused(NOT_ACTIVE, name=membership.person.real_name or "?") from None
    changed = [
        await people.load_actor(
            session, m.person.telegram_id, admins=context.settings.admins,
            language=m.person.language,
        )
        for m in [membership, *previous]
    ]
    org_name = membership.party_organization.name
    text, markup = await card_view(session, t, membership.party_organization_id, _today(context))
    done = t("✅ {name} is now {role} of {org}.", name=_person_name(t, membership),
             role=t(ROLE_LABELS[role]), org=org_name)
    return _Appointed(done + "\n\n" + text, markup, changed[0], changed, org_name, role)


async def _after_appointment(
    update: Update, context: BranchContext, done: _Appointed
) -> None:
    """Reply, refresh the menus of those whose role changed, tell the appointee."""
    await answer(update)
    await show(update, done.text, reply_markup=done.markup)
    for changed in done.changed:
        await publish_commands_for(context.application, changed)
    who = done.appointee
    t = translator(who.language)
    try:
        await context.bot.send_message(
            who.telegram_id,
            t("You have been appointed {role} of {org}.", role=t(ROLE_LABELS[done.role]),
              org=done.org_name),
            reply_markup=main_keyboard(who),
        )
    except TelegramError as exc:
        logger.info("could not tell %s about the appointment: %s", pseudonym(who.telegram_id), exc)


async def choose_role(update: Update, context: BranchContext) -> int:
    """Appoint; replacing a sitting secretary asks first."""
    membership_id, role = _args(update, int, MemberRole)
    if role not in COMMITTEE_ROLES:
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "appoint")
        t = translator(actor.language)
        membership = await _appointable(session, update, actor, membership_id, role)
        sitting = []
        if role is MemberRole.SECRETARY:
            sitting = [
                m for m in await people.members_of(
                    session, membership.party_organization_id, ACTIVE
                )
                if m.role is MemberRole.SECRETARY and m.id != membership.id
            ]
        done = None if sitting else await _appoint(session, context, actor, t, membership, role)
    if done is not None:
        await _after_appointment(update, context, done)
        return END
    await answer(update)
    await show(
        update,
        t("{current} is the secretary of {org}. Appoint {name} instead? "
          "{current} will become a committee member.",
          current=", ".join(_person_name(t, m) for m in sitting),
          org=membership.party_organization.name, name=_person_name(t, membership)),
        reply_markup=keyboard([
            [button(t("Yes, replace the secretary"), PREFIX, "ay", membership.id, role.value)],
            [button(t("No"), PREFIX, "card", membership.party_organization_id)],
        ]),
    )
    return END


async def confirm_appointment(update: Update, context: BranchContext) -> int:
    """Appoint after the confirmation."""
    membership_id, role = _args(update, int, MemberRole)
    if role not in COMMITTEE_ROLES:
        raise Refused(STALE_BUTTON)
    async with context.db.session() as session:
        actor = await _admin(session, update, context, "appoint")
        t = translator(actor.language)
        membership = await _appointable(session, update, actor, membership_id, role)
        done = await _appoint(session, context, actor, t, membership, role)
    await _after_appointment(update, context, done)
    return END


# --- wiring ---------------------------------------------------------------------------------


def _on(callback: Any, verb: str) -> CallbackQueryHandler:
    return CallbackQueryHandler(callback, pattern=rf"^{PREFIX}:{verb}(:|$)")


def register(app: Application) -> None:
    """The organization conversation, the stale-button catch-all and the keyboard button."""
    # Self-contained buttons (their data says everything) work at any time, also mid-step:
    # pressing one leaves the step. Steps of a guided creation only answer in that step.
    browse = [
        CommandHandler("orgs", show_tree),
        _on(show_tree, "tree"),
        _on(show_card, "card"),
        _on(show_social_orgs, "soc"),
        CallbackQueryHandler(start_party_org, pattern=rf"^{PREFIX}:new:p$"),
        CallbackQueryHandler(start_social_org, pattern=rf"^{PREFIX}:new:s$"),
        _on(ask_term_start, "ts"),
        _on(ask_term_length, "tl"),
        _on(set_term_length, "ty"),
        _on(ask_group_name, "grp"),
        _on(list_social_to_cover, "cv"),
        _on(choose_social_to_cover, "cs"),
        _on(confirm_cover, "cy"),
        _on(list_appointees, "ap"),
        _on(choose_appointee, "am"),
        _on(choose_role, "ar"),
        _on(confirm_appointment, "ay"),
    ]
    # Returns None: stays in whichever step it is part of.
    remind: BaseHandler[Update, Any, Any] = MessageHandler(TEXT_INPUT, remind_buttons)
    conversation = ConversationHandler(
        entry_points=browse,
        states={
            PARTY_NAME: [MessageHandler(TEXT_INPUT, enter_party_name)],
            PARTY_KIND: [_on(choose_kind, "pk"), remind],
            PARTY_PARENT: [
                _on(choose_parent, "pp"),
                _on(turn_parent_page, "ppg"),
                _on(choose_kind, "pk"),
                remind,
            ],
            SOCIAL_NAME: [MessageHandler(TEXT_INPUT, enter_social_name)],
            SOCIAL_TYPE: [_on(choose_social_type, "st"), remind],
            SOCIAL_COVER: [
                _on(choose_social_cover, "sc"),
                _on(turn_cover_choice_page, "scg"),
                _on(choose_social_type, "st"),
                remind,
            ],
            TERM_START: TERM_STEP.handlers(TEXT_INPUT),
            GROUP_NAME: [MessageHandler(TEXT_INPUT, enter_group_name)],
        },
        fallbacks=cancel_handlers(),
        name="org_setup",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CallbackQueryHandler(press_stale_button, pattern=cb_pattern(PREFIX)))
    COMMAND_CALLBACKS["orgs"] = show_tree
