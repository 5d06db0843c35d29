"""Notices (issue 7): admins and secretaries broadcast formatted notices with photos or
documents to everyone below them, chosen organizations, roles or statuses; members confirm
reading (已阅); authors follow delivery in one message the bot keeps up to date.

Callback data (every press is checked again on the server; ids are never trusted):

==============================  ===============================================================
nt:new                          compose a notice (also /notice)
nt:next                         the text and attachments are complete      (state COMPOSE)
nt:a                            the audience screen                        (AUDIENCE, PREVIEW)
nt:op:<page> / nt:o:<org>       party organizations: a page / toggle one   (state AUDIENCE)
nt:sp:<page> / nt:so:<social>   social organizations: a page / toggle one  (state AUDIENCE)
nt:r:<role> / nt:s:<status>     toggle a role / a status                   (state AUDIENCE)
nt:all                          everyone below me (no organization chosen)  (state AUDIENCE)
nt:rq                           require read confirmation on / off         (state AUDIENCE)
nt:pv                           preview with the number of recipients      (state AUDIENCE)
nt:go:<notice>                  send now (a second press sends nothing more)
nt:sch:<notice>                 schedule: the time is typed                (state PREVIEW)
nt:del:<notice>                 discard the draft
nt:rd:<notice>                  已阅: a recipient read it
nt:p:<notice>                   the progress of a notice (author, leaders above)
nt:ur:<notice>                  who has not read it
nt:rm:<notice>                  remind non-readers (once)
nt:wd:<notice> / nt:wdy:<n>     withdraw: ask / confirmed
nt:v:<notice>                   open a notice I received again
==============================  ===============================================================

Progress messages are edited by a JobQueue job (refresh_progress) at most every
PROGRESS_EVERY per notice, never from an update handler.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.kit.chat import (
    STALE_BUTTON,
    Refused,
    answer,
    current_actor,
    require,
    send,
    show,
)
from handlers.kit.context import BranchContext, BranchServices
from handlers.kit.date_step import DateStep
from handlers.kit.i18n import (
    BLANK,
    N_,
    Html,
    Translator,
    escape,
    html_format,
    html_join,
    in_every_language,
    translator,
)
from handlers.kit.ui import BadCallback, button, cb_args, cb_pattern, keyboard, paged, person_name
from handlers.labels import MEMBER_STATUS_LABELS, NOTICE_STATE_LABELS, ROLE_LABELS
from handlers.meetings import drop_buttons, step_fallbacks
from handlers.menu import COMMAND_CALLBACKS, COMMANDS, TEXT_INPUT
from handlers.pickers import managed_orgs
from rules import notices as rules
from rules.permissions import Actor
from rules.vocabulary import MemberRole, MemberStatus, NoticeState
from storage import notices as store
from storage import orgs as org_store
from storage.models import Notice, OutboxState, Person, SocialOrganization

logger = logging.getLogger(__name__)

COMPOSE, AUDIENCE, PREVIEW, WHEN = range(140, 144)
DRAFT = "notice_draft"  # user_data: the notice being composed (JSON-safe values only)
PROGRESS_EVERY = timedelta(seconds=3)  # at most one edit of a progress message this often
PROGRESS_JOB = "notice-progress"
RECENT = 10  # notices listed in /notices
NON_READERS_SHOWN = 50
BUTTON_TEXT = 30

NOT_A_LEADER = N_("Notices are sent by secretaries and admins.")
GONE = N_("That notice no longer exists.")
ONLY_FILES = N_(
    "Only photos and documents can be attached to a notice. Please send a photo or a file, "
    "or type the text."
)
EMPTY = N_("The notice is empty. Please type its text (or send a photo or document) first.")
TOO_LONG = N_(
    "The notice is too long: at most {limit} characters of text. It was not changed; "
    "please send a shorter text."
)
TOO_MANY_FILES = N_("At most {n} attachments per notice.")
CAPTION_TOO_LONG = N_(
    "The text is longer than a caption may be ({limit} characters), so it will follow the "
    "attachment as a separate message."
)


# ---------------------------------------------------------------------------------------
# Who may do what
# ---------------------------------------------------------------------------------------


def author_scope(actor: Actor) -> int | None:
    """The organization an author addresses: None for an admin (everything), else the
    branch a secretary leads; anyone else is refused."""
    if actor.is_admin:
        return None
    if actor.leads_a_branch and actor.org_id is not None:
        return actor.org_id
    raise Refused(NOT_A_LEADER)


def can_oversee(actor: Actor, notice: Notice) -> bool:
    """The author, an admin, or a leader above the notice's organization."""
    if actor.telegram_id == notice.author_telegram_id or actor.is_admin:
        return True
    org = notice.party_organization_id
    return org is not None and org in actor.subordinate_org_ids


async def _author(
    session: AsyncSession, update: Update, context: BranchContext
) -> tuple[Actor, Translator, dict[str, Any]]:
    """The composer and their draft; refused if they no longer may send notices."""
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict):
        raise Refused(STALE_BUTTON)
    actor = await current_actor(session, update, context)
    scope = author_scope(actor)
    require(scope == draft.get("scope"), update, "notice scope changed")
    return actor, translator(actor.language), draft


async def _notice_for(
    session: AsyncSession, update: Update, context: BranchContext, prefix: str
) -> tuple[Actor, Translator, Notice]:
    """The notice named by the button, for someone who oversees it."""
    query = update.callback_query
    (notice_id,) = _arg(query.data if query else None, prefix.split(":")[1])
    actor = await current_actor(session, update, context)
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise Refused(GONE)
    require(can_oversee(actor, notice), update, f"notice {prefix}")
    return actor, translator(actor.language), notice


def _arg(data: str | None, action: str) -> tuple[int]:
    """The number in `nt:<action>:<n>`; anything else is a forged or stale button."""
    got_action, value = cb_args(data, "nt", str, int)
    if got_action != action:
        raise BadCallback(data)
    return (int(value),)


def _now(context: BranchContext) -> datetime:
    return context.now()


def _local(context: BranchContext, value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(context.settings.tzinfo).strftime("%Y-%m-%d %H:%M")


def read_markup(t: Translator, notice_id: int) -> dict[str, Any]:
    """The 已阅 button under a notice (stored with each outbox row)."""
    return keyboard([[button(t("📖 Mark as read (已阅)"), "nt", "rd", notice_id)]]).to_dict()


# ---------------------------------------------------------------------------------------
# Composing
# ---------------------------------------------------------------------------------------


def _compose_markup(t: Translator) -> InlineKeyboardMarkup:
    return keyboard([[button(t("Next: audience ›"), "nt", "next")],
                     [button(t("Cancel"), "x", "cancel")]])


async def start_notice(update: Update, context: BranchContext) -> int:
    """/notice: start composing; the text keeps its formatting."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
    t = translator(actor.language)
    try:
        scope = author_scope(actor)
    except Refused:
        await answer(update)
        await send(update, t(NOT_A_LEADER))
        return ConversationHandler.END
    assert context.user_data is not None
    context.user_data[DRAFT] = {
        "scope": scope, "text": "", "files": [], "orgs": [], "social": [], "roles": [],
        "statuses": [], "read": True, "id": None,
    }
    await answer(update)
    await send(
        update,
        t("📣 New notice. Type its text: bold, italics and links are kept. You may also send "
          "photos or documents (up to {n}). Press Next when it is complete.",
          n=rules.MAX_ATTACHMENTS),
        reply_markup=_compose_markup(t),
    )
    return COMPOSE


def _joined(old: str, new: str) -> str:
    return f"{old}\n\n{new}" if old and new else old or new


async def add_text(update: Update, context: BranchContext) -> int:
    """Text (as HTML, entities kept) is added to the notice."""
    message = update.effective_message
    assert message is not None
    async with context.db.session() as session:
        _actor, t, draft = await _author(session, update, context)
    text = _joined(draft["text"], message.text_html or "")
    if rules.visible_length(text) > rules.MAX_NOTICE_TEXT:
        await send(update, t(TOO_LONG, limit=rules.MAX_NOTICE_TEXT),
                   reply_markup=_compose_markup(t))
        return COMPOSE
    draft["text"] = text
    await send(update, t("✍️ Text received ({n} characters). Send more, or press Next.",
                         n=rules.visible_length(text)), reply_markup=_compose_markup(t))
    return COMPOSE


async def add_file(update: Update, context: BranchContext) -> int:
    """A photo or a document is attached; its caption joins the text."""
    message = update.effective_message
    assert message is not None
    async with context.db.session() as session:
        _actor, t, draft = await _author(session, update, context)
    files: list[dict[str, Any]] = draft["files"]
    if len(files) >= rules.MAX_ATTACHMENTS:
        await send(update, t(TOO_MANY_FILES, n=rules.MAX_ATTACHMENTS),
                   reply_markup=_compose_markup(t))
        return COMPOSE
    text = _joined(draft["text"], message.caption_html or "")
    if rules.visible_length(text) > rules.MAX_NOTICE_TEXT:
        await send(update, t(TOO_LONG, limit=rules.MAX_NOTICE_TEXT),
                   reply_markup=_compose_markup(t))
        return COMPOSE
    if message.photo:
        files.append({"type": "photo", "file_id": message.photo[-1].file_id})
        name: str = t("photo")
    else:
        document = message.document
        assert document is not None
        files.append({"type": "document", "file_id": document.file_id,
                      "name": document.file_name})
        name = document.file_name or t("document")
    draft["text"] = text
    await send(update, t("📎 Attached: {name}. Send more, or press Next.", name=name),
               reply_markup=_compose_markup(t))
    return COMPOSE


async def refuse_kind(update: Update, context: BranchContext) -> int:
    """Anything else (video, voice, sticker, location...): only photos and documents."""
    async with context.db.session() as session:
        _actor, t, _draft = await _author(session, update, context)
    await send(update, t(ONLY_FILES), reply_markup=_compose_markup(t))
    return COMPOSE


async def finish_compose(update: Update, context: BranchContext) -> int:
    """nt:next: an empty notice goes no further; else choose the audience."""
    async with context.db.session() as session:
        _actor, t, draft = await _author(session, update, context)
    await answer(update)
    if not rules.visible_text(draft["text"]).strip() and not draft["files"]:
        await send(update, t(EMPTY), reply_markup=_compose_markup(t))
        return COMPOSE
    await drop_buttons(update)
    return await show_audience(update, context, new=True)


# ---------------------------------------------------------------------------------------
# Audience
# ---------------------------------------------------------------------------------------


def _audience(draft: dict[str, Any]) -> store.Audience:
    return store.Audience.from_json(draft)


def _mark(on: bool) -> str:
    return "☑️ " if on else "▫️ "


async def _names(session: AsyncSession, draft: dict[str, Any]) -> list[str]:
    names = []
    for org_id in draft["orgs"]:
        org = await org_store.get_party_org(session, int(org_id))
        if org is not None:
            names.append(org.name)
    for social_id in draft["social"]:
        social = await session.get(SocialOrganization, int(social_id))
        if social is not None:
            names.append(social.name)
    return names


async def audience_text(
    session: AsyncSession, t: Translator, draft: dict[str, Any]
) -> Html:
    names = await _names(session, draft)
    lines = [t("<b>Who receives the notice?</b>")]
    lines.append(t("Organizations: {names}", names=", ".join(names)) if names
                 else t("Organizations: everyone below you"))
    roles = [t(ROLE_LABELS[MemberRole(r)]) for r in draft["roles"]]
    statuses = [t(MEMBER_STATUS_LABELS[MemberStatus(s)]) for s in draft["statuses"]]
    lines.append(t("Roles: {roles}", roles=", ".join(roles) or t("all")))
    lines.append(t("Statuses: {statuses}", statuses=", ".join(statuses) or t("all")))
    lines.append(t("Read confirmation: {value}", value=t("yes") if draft["read"] else t("no")))
    return html_join("\n", lines)


def audience_markup(t: Translator, draft: dict[str, Any], *, admin: bool) -> InlineKeyboardMarkup:
    everyone = not draft["orgs"] and not draft["social"]
    rows: list[list[InlineKeyboardButton]] = [
        [button(_mark(everyone) + t("Everyone below me"), "nt", "all")],
    ]
    pick = []
    if admin:
        pick.append(button(t("🏛 Party organizations…"), "nt", "op", 0))
    pick.append(button(t("🏢 Social organizations…"), "nt", "sp", 0))
    rows.append(pick)
    rows.append([button(_mark(r.value in draft["roles"]) + t(ROLE_LABELS[r]), "nt", "r", r.value)
                 for r in (MemberRole.SECRETARY, MemberRole.COMMITTEE_MEMBER)])
    rows.append([button(_mark(r.value in draft["roles"]) + t(ROLE_LABELS[r]), "nt", "r", r.value)
                 for r in (MemberRole.DEPUTY_SECRETARY, MemberRole.MEMBER)])
    rows.append([button(_mark(s.value in draft["statuses"]) + t(MEMBER_STATUS_LABELS[s]), "nt", "s",
                        s.value) for s in MemberStatus])
    rows.append([button(_mark(draft["read"]) + t("Require read confirmation"), "nt", "rq")])
    rows.append([button(t("Preview ›"), "nt", "pv"), button(t("Cancel"), "x", "cancel")])
    return keyboard(rows)


async def show_audience(update: Update, context: BranchContext, *, new: bool = False) -> int:
    async with context.db.session() as session:
        actor, t, draft = await _author(session, update, context)
        text = await audience_text(session, t, draft)
    markup = audience_markup(t, draft, admin=actor.is_admin)
    await show(update, text, reply_markup=markup, new=new)
    return AUDIENCE


async def open_audience(update: Update, context: BranchContext) -> int:
    """nt:a: back to the audience screen (also from the preview)."""
    await answer(update)
    return await show_audience(update, context)


async def toggle_choice(update: Update, context: BranchContext) -> int:
    """nt:r / nt:s / nt:rq / nt:all: change one choice of the audience."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    async with context.db.session() as session:
        _actor, _t, draft = await _author(session, update, context)
    if parts[1] == "r" and len(parts) == 3:
        role = _enum_value(MemberRole, parts[2], query.data)
        draft["roles"] = _toggled(draft["roles"], role)
    elif parts[1] == "s" and len(parts) == 3:
        status = _enum_value(MemberStatus, parts[2], query.data)
        draft["statuses"] = _toggled(draft["statuses"], status)
    elif parts[1:] == ["rq"]:
        draft["read"] = not draft["read"]
    elif parts[1:] == ["all"]:
        draft["orgs"], draft["social"] = [], []
    else:
        raise BadCallback(query.data)
    await answer(update)
    return await show_audience(update, context)


def _enum_value(kind: Any, value: str, data: str | None) -> str:
    try:
        return str(kind(value).value)
    except ValueError:
        raise BadCallback(data) from None


def _toggled(values: list[Any], value: Any) -> list[Any]:
    return [v for v in values if v != value] if value in values else [*values, value]


async def _party_choices(session: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    """Party organizations an admin may address, in tree order."""
    if not actor.is_admin:
        return []
    rows = await managed_orgs(session, actor, member_kinds_only=False)
    return [(row.org.id, "· " * row.depth + row.org.name) for row in rows]


async def _social_choices(
    session: AsyncSession, actor: Actor, scope: int | None
) -> list[tuple[int, str]]:
    """Social organizations covered inside the author's scope."""
    if scope is None:
        socials = await org_store.social_orgs(session)
        return [(s.id, s.name) for s in socials if s.party_organization_id is not None]
    return [(s.id, s.name) for s in await org_store.social_orgs_of(session, scope)]


async def pick_orgs(update: Update, context: BranchContext) -> int:
    """nt:op / nt:o / nt:sp / nt:so: a page of organizations, or toggle one (in scope only)."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("op", "o", "sp", "so"):
        raise BadCallback(query.data)
    (value,) = _arg(query.data, parts[1])
    social = parts[1] in ("sp", "so")
    async with context.db.session() as session:
        actor, t, draft = await _author(session, update, context)
        choices = (await _social_choices(session, actor, draft["scope"]) if social
                   else await _party_choices(session, actor))
    field = "social" if social else "orgs"
    page = 0
    if parts[1] in ("o", "so"):
        # Only what the picker offered: a forged id outside the author's scope is refused.
        require(value in {i for i, _ in choices}, update, "notice audience outside scope")
        draft[field] = _toggled(draft[field], value)
        index = [i for i, _ in choices].index(value)
        page = index // 8
    else:
        page = value
    await answer(update)
    chosen = set(draft[field])
    items = [button(_mark(i in chosen) + label, "nt", "so" if social else "o", i)
             for i, label in choices]
    if not items:
        await show(update, t("There are no social organizations in your scope."),
                   reply_markup=keyboard([[button(t("‹ Back"), "nt", "a")]]))
        return AUDIENCE
    prompt = (t("Choose social organizations (members of the branch covering each):") if social
              else t("Choose party organizations (each with everything below it):"))
    await show(update, prompt, reply_markup=paged(
        t, items, page, ("nt", "sp" if social else "op"),
        extra_rows=[[button(t("‹ Back"), "nt", "a")]],
    ))
    return AUDIENCE


# ---------------------------------------------------------------------------------------
# Preview, send, schedule
# ---------------------------------------------------------------------------------------


async def send_notice_copy(
    context: BranchContext, chat_id: int, steps: list[rules.Step],
    markup: InlineKeyboardMarkup | None,
) -> Message | None:
    """The notice as a recipient sees it (the preview, and /notices opening one again)."""
    message = None
    for step in steps:
        reply_markup = markup if step.with_markup else None
        if step.kind == "photo":
            message = await context.bot.send_photo(chat_id, str(step.file_id), caption=step.text,
                                                   reply_markup=reply_markup)
        elif step.kind == "document":
            message = await context.bot.send_document(chat_id, str(step.file_id),
                                                      caption=step.text, reply_markup=reply_markup)
        else:
            message = await context.bot.send_message(chat_id, str(step.text),
                                                     reply_markup=reply_markup)
    return message


def _draft_of(draft: dict[str, Any], paid: bool) -> store.Draft:
    return store.Draft(
        text_html=draft["text"].strip(), attachments=list(draft["files"]),
        audience=_audience(draft), requires_read=bool(draft["read"]), paid_broadcast=paid,
    )


async def preview(update: Update, context: BranchContext) -> int:
    """nt:pv: the notice as it will look, the number of distinct recipients, the choices."""
    user = update.effective_user
    assert user is not None
    paid = context.settings.paid_broadcast
    async with context.db.session() as session:
        actor, t, draft = await _author(session, update, context)
        notice = await store.save_draft(
            session, notice_id=draft.get("id"), author_telegram_id=actor.telegram_id,
            scope_org_id=draft["scope"], draft=_draft_of(draft, paid),
        )
        draft["id"] = notice.id
        scope = await store.scope_orgs(session, draft["scope"])
        count = await store.count_recipients(session, _audience(draft), scope, actor.person_id)
        summary = await audience_text(session, t, draft)
    await answer(update)
    await drop_buttons(update)
    await send(update, t("👀 Preview: this is how the notice will look."))
    markup = (InlineKeyboardMarkup.de_json(read_markup(t, notice.id), None)
              if draft["read"] else None)
    steps = await store.plan_messages(notice.text_html, notice.attachments)
    await send_notice_copy(context, user.id, steps, markup)
    lines = [summary, BLANK, t.plural("Recipients: {n} person", "Recipients: {n} people", count)]
    if len(notice.attachments) == 1 and not rules.fits_caption(notice.text_html) and (
        rules.visible_text(notice.text_html).strip()
    ):
        lines.append(t(CAPTION_TOO_LONG, limit=rules.MAX_CAPTION))
    if paid and count:
        each = len(steps)
        lines.append(t("Paid broadcast: {stars} Stars ({n} messages at 0.1 Star each).",
                       stars=rules.paid_cost(count, each), n=count * each))
    if count == 0:
        lines.append(t("Nobody matches this audience. Please change it."))
        buttons = [[button(t("✏️ Change audience"), "nt", "a")],
                   [button(t("Cancel"), "nt", "del", notice.id)]]
    else:
        buttons = [
            [button(t("📤 Send now"), "nt", "go", notice.id),
             button(t("🕒 Schedule"), "nt", "sch", notice.id)],
            [button(t("✏️ Change audience"), "nt", "a"),
             button(t("Cancel"), "nt", "del", notice.id)],
        ]
    await send(update, html_join("\n", lines), reply_markup=keyboard(buttons))
    return PREVIEW


def progress_text(t: Translator, context_tz: Any, notice: Notice, counts: store.Counts) -> Html:
    state = t(NOTICE_STATE_LABELS[notice.state])
    lines = [t("📣 Notice #{id}: {state}", id=notice.id, state=state)]
    first = rules.visible_text(notice.text_html).strip().split("\n", 1)[0][:60]
    if first:
        lines.append(html_format("<i>{first}</i>", first=first))
    if notice.state is NoticeState.SCHEDULED and notice.scheduled_at is not None:
        lines.append(t("Scheduled for {when}", when=notice.scheduled_at.astimezone(
            context_tz).strftime("%Y-%m-%d %H:%M")))
    lines.append(t.plural("Recipients: {n} person", "Recipients: {n} people", counts.recipients))
    lines.append(t("Queued {queued} · sent {sent} · failed {failed}", queued=counts.queued,
                   sent=counts.sent, failed=counts.failed))
    if notice.requires_read:
        lines.append(t("Read: {read} of {sent}", read=counts.read, sent=counts.sent))
    if counts.cancelled:
        lines.append(t("Cancelled: {n}", n=counts.cancelled))
    return html_join("\n", lines)


def progress_markup(t: Translator, notice: Notice) -> InlineKeyboardMarkup:
    rows = []
    if notice.requires_read:
        rows.append([button(t("👀 Who has not read"), "nt", "ur", notice.id)])
        if notice.state is not NoticeState.WITHDRAWN and notice.reminded_at is None:
            rows.append([button(t("🔔 Remind non-readers"), "nt", "rm", notice.id)])
    if notice.state is not NoticeState.WITHDRAWN:
        rows.append([button(t("↩️ Withdraw"), "nt", "wd", notice.id)])
    return keyboard(rows)


async def confirm_send(update: Update, context: BranchContext) -> int:
    """nt:go: draft -> sending once; a second press is told it was sent already."""
    return await _confirm(update, context, scheduled_at=None)


async def _confirm(update: Update, context: BranchContext, *, scheduled_at: datetime | None,
                   notice_id: int | None = None) -> int:
    user = update.effective_user
    assert user is not None
    now = _now(context)
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        t = translator(actor.language)
        if notice_id is None:
            query = update.callback_query
            (notice_id,) = _arg(query.data if query else None, "go")
        notice = await session.get(Notice, notice_id)
        if notice is None:
            raise Refused(GONE)
        # Only the author, still allowed to address the notice's scope, confirms it.
        require(notice.author_telegram_id == actor.telegram_id
                and author_scope(actor) == notice.party_organization_id, update, "notice send")
        markups: dict[str, dict[str, Any] | None] = {}  # one per language, not per recipient

        def markup_for(r: store.Recipient) -> dict[str, Any] | None:
            if r.language not in markups:
                markups[r.language] = (read_markup(translator(r.language), notice.id)
                                       if notice.requires_read else None)
            return markups[r.language]

        result = await store.confirm(
            session, notice, actor_telegram_id=actor.telegram_id, now=now,
            scheduled_at=scheduled_at, markup_for=markup_for, exclude_person=actor.person_id,
        )
        figures = (await store.counts(session, [notice.id]))[notice.id]
        await session.refresh(notice)
    await answer(update)
    if result.outcome is store.ConfirmOutcome.ALREADY:
        await send(update, t("This notice was already confirmed; it is not sent again."))
        return ConversationHandler.END
    if result.outcome is store.ConfirmOutcome.NOBODY:
        await send(update, t("Nobody matches this audience. Please change it."))
        return PREVIEW
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    await drop_buttons(update)
    message = await context.bot.send_message(
        user.id, progress_text(t, context.settings.tzinfo, notice, figures),
        reply_markup=progress_markup(t, notice),
    )
    async with context.db.session() as session:
        await store.set_progress_message(session, notice.id, user.id, message.message_id,
                                         figures.shown() + notice.state.value, now)
    context.branch_app.wake_courier(notice.scheduled_at or now)
    return ConversationHandler.END


async def ask_when(update: Update, context: BranchContext) -> int:
    """nt:sch: the date and time are typed, in the branch's time zone."""
    query = update.callback_query
    (notice_id,) = _arg(query.data if query else None, "sch")
    async with context.db.session() as session:
        _actor, t, draft = await _author(session, update, context)
    if draft.get("id") != notice_id:
        raise Refused(STALE_BUTTON)
    await answer(update)
    now = _now(context)
    example = (now.astimezone(context.settings.tzinfo) + timedelta(days=1)).strftime(
        "%Y-%m-%d") + " 09:00"
    return await WHEN_STEP.ask(
        update, context,
        t("When should it be sent? Type the date and time ({zone}) as you would say it, e.g. "
          "tomorrow 9:00 or {example}, or press a day.",
          zone=context.settings.timezone, example=example),
        [[button(t("Cancel"), "x", "cancel")]],
    )


def _soon(t: Translator, when: datetime, now: datetime) -> Html | None:
    """A time less than a minute ahead is refused: send it now instead."""
    if when - now < timedelta(minutes=1):
        return t("That is too soon: choose a time at least a minute from now, or send it now.")
    return None


async def enter_when(update: Update, context: BranchContext, when: datetime) -> int:
    """The time, read and confirmed by WHEN_STEP: future and not too far ahead."""
    async with context.db.session() as session:
        _actor, _t, draft = await _author(session, update, context)
    notice_id = draft.get("id")
    if notice_id is None:
        raise Refused(STALE_BUTTON)
    return await _confirm(update, context, scheduled_at=when, notice_id=int(notice_id))


WHEN_STEP = DateStep("notice_when", WHEN, moment=True, prefer="future", done=enter_when,
                     check=_soon)


async def discard(update: Update, context: BranchContext) -> int:
    """nt:del: throw the draft away (nothing was sent)."""
    query = update.callback_query
    (notice_id,) = _arg(query.data if query else None, "del")
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        await store.discard_draft(session, notice_id, actor.telegram_id)
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    await answer(update)
    await drop_buttons(update)
    t = translator(actor.language)
    await send(update, t("The notice was discarded."))
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------
# Recipients: 已阅, /notices
# ---------------------------------------------------------------------------------------

READ_TEXTS = {
    store.ReadOutcome.RECORDED: N_("Thank you: marked as read."),
    store.ReadOutcome.ALREADY: N_("You have already confirmed reading it."),
    store.ReadOutcome.WITHDRAWN: N_("This notice was withdrawn."),
}


async def mark_read(update: Update, context: BranchContext) -> None:
    """nt:rd: a recipient confirms reading; anyone else's press changes nothing."""
    query = update.callback_query
    assert query is not None
    (notice_id,) = _arg(query.data, "rd")
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        outcome = await store.record_read(session, notice_id, actor.person_id, _now(context))
    t = translator(actor.language)
    if outcome is store.ReadOutcome.NOT_RECIPIENT:
        require(False, update, "read a notice not addressed to the presser")
    try:
        await query.answer(t.as_plain(READ_TEXTS[outcome]))
    except TelegramError as exc:
        logger.info("callback answer failed: %s", exc)
    if outcome is store.ReadOutcome.RECORDED:
        try:
            await query.edit_message_reply_markup(reply_markup=keyboard(
                [[button(t("✅ Read, confirmed"), "nt", "rd", notice_id)]]))
        except TelegramError as exc:
            logger.info("could not mark the notice read: %s", exc)


def _short(text: str, limit: int = BUTTON_TEXT) -> str:
    plain = " ".join(rules.visible_text(text).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


async def list_notices(update: Update, context: BranchContext) -> None:
    """/notices: recent notices addressed to me; leaders also see the ones they sent."""
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        received = (await store.received_by(session, actor.person_id, limit=RECENT)
                    if actor.person_id is not None else [])
        sent = await store.list_by_author(session, actor.telegram_id, limit=RECENT)
    t = translator(actor.language)
    await answer(update)
    rows: list[list[InlineKeyboardButton]] = []
    lines = [t("<b>📬 Notices</b>")]
    if not received:
        lines.append(t("No notices have been sent to you yet."))
    for item in received:
        mark = "↩️" if item.notice.state is NoticeState.WITHDRAWN else (
            "✅" if item.read_at or not item.notice.requires_read else "🆕")
        day = _local(context, item.delivered_at or item.notice.scheduled_at)[:10]
        rows.append([button(f"{mark} {day} {_short(item.notice.text_html)}", "nt", "v",
                            item.notice.id)])
    if sent:
        lines.append(t("Below: notices you sent (📣)."))
        rows.extend([button(f"📣 #{row.notice.id} {_short(row.notice.text_html)}", "nt", "p",
                            row.notice.id)] for row in sent)
    if actor.is_admin or actor.leads_a_branch:
        rows.append([button(t("📣 New notice"), "nt", "new")])
    await send(update, html_join("\n", lines), reply_markup=keyboard(rows) if rows else None)


async def open_received(update: Update, context: BranchContext) -> None:
    """nt:v: show a notice I received again (with 已阅 if still unconfirmed)."""
    query = update.callback_query
    (notice_id,) = _arg(query.data if query else None, "v")
    user = update.effective_user
    assert user is not None
    async with context.db.session() as session:
        actor = await current_actor(session, update, context)
        notice = await session.get(Notice, notice_id)
        row = (await store.recipient(session, notice_id, actor.person_id)
               if actor.person_id is not None and notice is not None else None)
        delivered = row is not None and await store.was_delivered(
            session, notice_id, row.person_id)
    require(notice is not None and row is not None and delivered, update, "open a notice")
    assert notice is not None and row is not None
    t = translator(actor.language)
    await answer(update)
    if notice.state is NoticeState.WITHDRAWN:
        await send(update, t("This notice was withdrawn."))
        return
    markup = None
    if notice.requires_read and row.read_at is None:
        markup = InlineKeyboardMarkup.de_json(read_markup(t, notice.id), None)
    steps = ([rules.Step.from_json(p) for p in notice.parts] if notice.parts is not None
             else await store.plan_messages(notice.text_html, notice.attachments))
    await send_notice_copy(context, user.id, steps, markup)


# ---------------------------------------------------------------------------------------
# Authors: progress, non-readers, reminders, withdrawal
# ---------------------------------------------------------------------------------------


async def show_progress(update: Update, context: BranchContext) -> None:
    """nt:p: a fresh progress card (the live one is kept up to date by the job)."""
    async with context.db.session() as session:
        _actor, t, notice = await _notice_for(session, update, context, "nt:p")
        figures = (await store.counts(session, [notice.id]))[notice.id]
    await answer(update)
    await send(update, progress_text(t, context.settings.tzinfo, notice, figures),
               reply_markup=progress_markup(t, notice))


DELIVERY_MARKS = {
    OutboxState.PENDING: "⏳", OutboxState.SENDING: "⏳", OutboxState.SENT: "📨",
    OutboxState.FAILED: "⚠️", OutboxState.CANCELLED: "✖️",
}


async def list_non_readers(update: Update, context: BranchContext) -> None:
    """nt:ur: recipients who have not confirmed, with what became of their copy."""
    async with context.db.session() as session:
        _actor, t, notice = await _notice_for(session, update, context, "nt:ur")
        rows = await store.non_readers(session, notice.id, limit=NON_READERS_SHOWN + 1)
        people = {p.id: p for p in (await session.scalars(
            select(Person).where(Person.id.in_([r.person_id for r in rows]))
        )).all()}
    await answer(update)
    if not rows:
        await send(update, t("Everyone has confirmed reading notice #{id}.", id=notice.id))
        return
    lines = [t("<b>Not read yet (notice #{id}):</b>", id=notice.id)]
    for row in rows[:NON_READERS_SHOWN]:
        mark = DELIVERY_MARKS.get(row.delivery, "⏳") if row.delivery else "⏳"
        org = " · " + row.org_name if row.org_name else ""
        lines.append(escape(f"{mark} {person_name(t, people[row.person_id])}{org}"))
    if len(rows) > NON_READERS_SHOWN:
        lines.append(t("… and more."))
    lines.append(t("📨 delivered · ⏳ queued · ⚠️ could not be delivered"))
    await send(update, html_join("\n", lines))


async def remind(update: Update, context: BranchContext) -> None:
    """nt:rm: remind every delivered non-reader, once; a second press is refused."""
    now = _now(context)
    async with context.db.session() as session:
        actor, t, notice = await _notice_for(session, update, context, "nt:rm")
        languages = await store.languages_of_recipients(session, notice.id)
        first = _short(notice.text_html, 80)

        def text_for(r: store.NonReader) -> str:
            t = translator(languages.get(r.person_id))
            return t("🔔 Reminder: please read the notice and confirm: {title}", title=first)

        outcome, n = await store.remind_non_readers(
            session, notice, actor_telegram_id=actor.telegram_id, now=now, text_for=text_for,
            markup_for=lambda r: read_markup(translator(languages.get(r.person_id)), notice.id),
        )
        reminded_at = notice.reminded_at
    await answer(update)
    if outcome is store.RemindOutcome.ALREADY:
        await send(update, t("Non-readers were already reminded ({when}); a notice is reminded "
                             "only once.", when=_local(context, reminded_at)))
        return
    if outcome is store.RemindOutcome.NOT_NEEDED:
        await send(update, t("Nobody needs a reminder: everyone it reached has read it."))
        return
    await send(update, t.plural("🔔 {n} person will be reminded.",
                                "🔔 {n} people will be reminded.", n))
    context.branch_app.wake_courier(now)


def withdrawn_text(t: Translator, title: str) -> Html:
    return t("↩️ The notice “{title}” was withdrawn by its sender. Please disregard it.",
             title=title)


async def ask_withdraw(update: Update, context: BranchContext) -> None:
    """nt:wd: withdrawing needs a confirmation."""
    async with context.db.session() as session:
        _actor, t, notice = await _notice_for(session, update, context, "nt:wd")
    await answer(update)
    if notice.state is NoticeState.WITHDRAWN:
        await send(update, t("This notice was withdrawn."))
        return
    await send(update, t("Withdraw notice #{id}? Copies not sent yet are cancelled and those "
                         "who received it are told it was withdrawn.", id=notice.id),
               reply_markup=keyboard([[button(t("↩️ Yes, withdraw"), "nt", "wdy", notice.id),
                                       button(t("Keep it"), "nt", "p", notice.id)]]))


async def withdraw(update: Update, context: BranchContext) -> None:
    """nt:wdy: cancel what is pending, tell who got it; the record stays."""
    now = _now(context)
    async with context.db.session() as session:
        actor, t, notice = await _notice_for(session, update, context, "nt:wdy")
        languages = await store.languages_of_recipients(session, notice.id)
        first = _short(notice.text_html, 80)
        applied, cancelled, told = await store.withdraw(
            session, notice, actor_telegram_id=actor.telegram_id, now=now,
            text_for=lambda person_id: withdrawn_text(translator(languages.get(person_id)), first),
        )
    await answer(update)
    await drop_buttons(update)
    if not applied:
        await send(update, t("This notice was withdrawn."))
        return
    await send(update, t("↩️ Notice #{id} withdrawn: {cancelled} unsent copies cancelled, "
                         "{told} recipients told.", id=notice.id, cancelled=cancelled,
                         told=told))
    context.branch_app.wake_courier(now)


# ---------------------------------------------------------------------------------------
# Progress messages (JobQueue)
# ---------------------------------------------------------------------------------------


async def refresh_progress(application: BranchServices) -> int:
    """Edit authors' progress messages whose figures changed; returns how many were edited.

    Each message is edited at most every PROGRESS_EVERY (by the courier's clock)."""
    now = application.now()
    async with application.database.session() as session:
        await store.advance(session, now)
        notices = await store.progress_due(session, now, PROGRESS_EVERY.total_seconds())
        figures = await store.counts(session, [n.id for n in notices])
        authors = dict((await session.execute(
            select(Person.telegram_id, Person.language).where(
                Person.telegram_id.in_([n.author_telegram_id for n in notices]))
        )).all())
    edited = 0
    shown: list[tuple[int, str]] = []
    for notice in notices:
        counts = figures[notice.id]
        fingerprint = counts.shown() + notice.state.value + ("r" if notice.reminded_at else "")
        if fingerprint == notice.progress_shown:
            shown.append((notice.id, fingerprint))
            continue
        t = translator(authors.get(notice.author_telegram_id))
        try:
            await application.bot.edit_message_text(
                progress_text(t, application.settings.tzinfo, notice, counts),
                chat_id=notice.progress_chat_id, message_id=notice.progress_message_id,
                reply_markup=progress_markup(t, notice),
            )
            edited += 1
        except TelegramError as exc:
            if "not modified" not in str(exc):
                logger.info("could not update the progress of notice %s: %s", notice.id, exc)
        shown.append((notice.id, fingerprint))
    if shown:
        async with application.database.session() as session:
            for notice_id, fingerprint in shown:
                await store.mark_shown(session, notice_id, fingerprint, now)
    return edited


async def _progress_job(context: CallbackContext) -> None:
    """JobQueue callback: keep progress messages current."""
    application: BranchServices = context.application  # type: ignore[assignment]
    await refresh_progress(application)


# ---------------------------------------------------------------------------------------
# Wiring
# ---------------------------------------------------------------------------------------


def register(app: Application) -> None:
    """The notice conversation, /notices, the buttons and the progress job."""
    notice_label = next(c.label for c in COMMANDS if c.command == "notice")
    labels = "|".join(re.escape(label) for label in in_every_language(notice_label))
    conversation = ConversationHandler(
        entry_points=[
            CommandHandler("notice", start_notice),
            MessageHandler(filters.Regex(f"^({labels})$"), start_notice),
            CallbackQueryHandler(start_notice, pattern=r"^nt:new$"),
        ],
        states={
            COMPOSE: [
                MessageHandler(filters.PHOTO | filters.Document.ALL, add_file),
                MessageHandler(TEXT_INPUT, add_text),
                MessageHandler(~filters.COMMAND & ~filters.TEXT, refuse_kind),
                CallbackQueryHandler(finish_compose, pattern=r"^nt:next$"),
            ],
            AUDIENCE: [
                CallbackQueryHandler(toggle_choice, pattern=r"^nt:(r|s):[a-z_]+$"),
                CallbackQueryHandler(toggle_choice, pattern=r"^nt:(rq|all)$"),
                CallbackQueryHandler(pick_orgs, pattern=r"^nt:(op|o|sp|so):"),
                CallbackQueryHandler(open_audience, pattern=r"^nt:a$"),
                CallbackQueryHandler(preview, pattern=r"^nt:pv$"),
            ],
            PREVIEW: [
                CallbackQueryHandler(confirm_send, pattern=cb_pattern("nt:go")),
                CallbackQueryHandler(ask_when, pattern=cb_pattern("nt:sch")),
                CallbackQueryHandler(open_audience, pattern=r"^nt:a$"),
                CallbackQueryHandler(discard, pattern=cb_pattern("nt:del")),
            ],
            WHEN: WHEN_STEP.handlers(TEXT_INPUT),
        },
        fallbacks=step_fallbacks(),
        name="notices",
        persistent=True,
        allow_reentry=True,
    )
    app.add_handler(conversation)
    app.add_handler(CommandHandler("notices", list_notices))
    callbacks = {
        "nt:go": confirm_send,  # a second press after the conversation ended
        "nt:del": discard,
        "nt:rd": mark_read,
        "nt:v": open_received,
        "nt:p": show_progress,
        "nt:ur": list_non_readers,
        "nt:rm": remind,
        "nt:wd": ask_withdraw,
        "nt:wdy": withdraw,
    }
    for prefix, callback in callbacks.items():
        app.add_handler(CallbackQueryHandler(callback, pattern=cb_pattern(prefix)))
    COMMAND_CALLBACKS.update(notice=start_notice, notices=list_notices)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _progress_job, interval=PROGRESS_EVERY, first=PROGRESS_EVERY, name=PROGRESS_JOB,
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


__all__ = ["STALE_BUTTON", "refresh_progress", "register"]
