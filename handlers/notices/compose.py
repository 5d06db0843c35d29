"""/notice: compose (text with its formatting, photos, documents), choose the audience (party
or social organizations, roles, statuses, read confirmation), preview with the number of
recipients, then send now or at a chosen time."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.ext import filters

from handlers.access.notices import author_scope
from handlers.kit.actions import ANYONE, LEADERS, Act, Command, Reply
from handlers.kit.buttons import ButtonData, NoticeId
from handlers.kit.chat import STALE_BUTTON, drop_buttons
from handlers.kit.flows import Custom, Day, Entry, Flow, Next, Rows
from handlers.kit.i18n import N_, Html, Translator
from handlers.kit.ui import PAGE_SIZE
from handlers.menu import TEXT_INPUT
from handlers.notices import follow, views
from handlers.notices.views import NoticeForm
from handlers.pickers import managed_orgs, org_label
from rules import notices as rules
from storage import notices as store
from storage import orgs as org_store
from storage.models import Notice, SocialOrganization


async def start(act: Act, _: object) -> NoticeForm:
    """Secretaries and admins only; the form remembers whom the author may address."""
    return NoticeForm(scope=author_scope(act))


async def check_author(act: Act, form: NoticeForm) -> None:
    """Still allowed to send notices to the same organizations."""
    act.check(author_scope(act) == form.scope)


# -- composing ------------------------------------------------------------------------------


async def render_compose(act: Act, form: NoticeForm) -> tuple[Html, Rows]:
    done = views.ComposeDone().button(act.t("Next: audience ›"))
    return views.compose_text(act.t, form), [[done]]


def _too_long(text: str) -> bool:
    return rules.visible_length(text) > rules.MAX_NOTICE_TEXT


async def add_text(act: Act, form: NoticeForm, message: Message) -> Next:
    """Text (as HTML, entities kept) is added to the notice."""
    text = views.joined(form.text, message.text_html or "")
    if _too_long(text):
        return Next({"said": "too_long"}, stay=True)
    return Next({"text": text, "said": "text"}, stay=True)


async def add_file(act: Act, form: NoticeForm, message: Message) -> Next:
    """A photo or a document is attached; its caption joins the text."""
    if len(form.files) >= rules.MAX_ATTACHMENTS:
        return Next({"said": "too_many"}, stay=True)
    text = views.joined(form.text, message.caption_html or "")
    if _too_long(text):
        return Next({"said": "too_long"}, stay=True)
    if message.photo:
        attached: dict[str, str | None] = {"type": "photo", "file_id": message.photo[-1].file_id}
    else:
        assert message.document is not None
        attached = {"type": "document", "file_id": message.document.file_id,
                    "name": message.document.file_name}
    return Next({"text": text, "files": [*form.files, attached], "said": "file"}, stay=True)


async def refuse_kind(act: Act, form: NoticeForm, message: Message) -> Next:
    """Anything else (video, voice, sticker, location...): only photos and documents."""
    return Next({"said": "only_files"}, stay=True)


async def compose_done(act: Act, form: NoticeForm, press: views.ComposeDone) -> Next:
    """An empty notice goes no further; else the audience is chosen."""
    if not rules.visible_text(form.text).strip() and not form.files:
        return Next({"said": "empty"}, stay=True, new=True)
    act.before(partial(drop_buttons, act.update))
    return Next({"view": "audience"}, new=True)


# -- the audience, its pickers and the preview (one step, several views) ---------------------


async def names(act: Act, form: NoticeForm) -> list[str]:
    found = []
    for org_id in form.orgs:
        org = await org_store.get_party_org(act.session, org_id)
        if org is not None:
            found.append(org.name)
    for social_id in form.social:
        social = await act.session.get(SocialOrganization, social_id)
        if social is not None:
            found.append(social.name)
    return found


async def choices(act: Act, form: NoticeForm, *, social: bool) -> list[tuple[int, str]]:
    """What the author may tick: social organizations covered in their scope; party
    organizations (admins only) in tree order."""
    if social:
        if form.scope is None:
            return [(s.id, s.name) for s in await org_store.social_orgs(act.session)
                    if s.party_organization_id is not None]
        return [(s.id, s.name) for s in await org_store.social_orgs_of(act.session, form.scope)]
    if not act.actor.is_admin:
        return []
    rows = await managed_orgs(act.session, act.actor, member_kinds_only=False)
    return [(row.org.id, org_label(row)) for row in rows]


async def render_audience(act: Act, form: NoticeForm) -> tuple[Html, Rows]:
    t = act.t
    if form.view in ("party", "social"):
        return views.picker(t, form, await choices(act, form, social=form.view == "social"))
    summary = views.audience_text(t, form, await names(act, form))
    if form.view == "preview":
        return await render_preview(act, form, summary)
    return summary, views.audience_buttons(t, form, admin=act.actor.is_admin)


async def render_preview(act: Act, form: NoticeForm, summary: Html) -> tuple[Html, Rows]:
    """The choices, the number of distinct recipients, the cost of a paid broadcast."""
    notice = await act.session.get(Notice, form.notice) if form.notice is not None else None
    if notice is None:
        act.refuse(STALE_BUTTON)
    scope = await store.scope_orgs(act.session, form.scope)
    count = await store.count_recipients(act.session, form.audience(), scope,
                                         act.actor.person_id)
    parts = len(await store.plan_messages(notice.text_html, notice.attachments))
    groups = await store.linked_groups(act.session, form.audience(), scope, act.actor.person_id)
    text = views.preview_text(act.t, summary, notice, count, parts,
                              paid=act.settings.paid_broadcast)
    return text, views.preview_buttons(act.t, NoticeId(notice.id), count, groups=len(groups),
                                       in_groups=form.groups)


def _toggled(values: list[Any], value: Any) -> list[Any]:
    return [v for v in values if v != value] if value in values else [*values, value]


async def change(act: Act, form: NoticeForm, press: ButtonData) -> Next:
    """One choice of the audience changed, or a move between it and the pickers."""
    values: dict[str, Any] = {"view": "audience"}
    match press:
        case views.ToggleRole(role=role):
            values["roles"] = _toggled(form.roles, role)
        case views.ToggleStatus(status=status):
            values["statuses"] = _toggled(form.statuses, status)
        case views.ToggleRead():
            values["read"] = not form.read
        case views.Everyone():
            values.update(orgs=[], social=[])
        case views.PartyPage(page=page):
            values.update(view="party", page=page)
        case views.SocialPage(page=page):
            values.update(view="social", page=page)
    return Next(values, stay=True)


async def pick(act: Act, form: NoticeForm, press: views.PickParty | views.PickSocial) -> Next:
    """Only what the picker offered: a forged id outside the author's scope is refused."""
    social = isinstance(press, views.PickSocial)
    chosen = press.social if isinstance(press, views.PickSocial) else press.org
    offered = [i for i, _label in await choices(act, form, social=social)]
    act.check(chosen in offered)
    field = "social" if social else "orgs"
    return Next({field: _toggled(getattr(form, field), chosen), "view": "social" if social
                 else "party", "page": offered.index(chosen) // PAGE_SIZE}, stay=True)


async def preview(act: Act, form: NoticeForm, press: views.Preview) -> Next:
    """The draft is saved; the notice as it will look, then the summary."""
    t = act.t
    notice = await store.save_draft(
        act.session, notice_id=form.notice, author_telegram_id=act.actor.telegram_id,
        scope_org_id=form.scope, draft=form.draft(act.settings.paid_broadcast))
    steps = await store.plan_messages(notice.text_html, notice.attachments)
    markup = (InlineKeyboardMarkup.de_json(views.read_markup(t, notice.id), None)
              if form.read else None)
    act.say(t("👀 Preview: this is how the notice will look."))
    act.before(partial(drop_buttons, act.update))
    act.before(partial(follow.send_notice_copy, act.update, steps, markup))
    return Next({"notice": notice.id, "view": "preview"}, stay=True, new=True)


async def toggle_groups(act: Act, form: NoticeForm, press: views.ToggleGroups) -> Next:
    """Also post in the linked groups, or not: kept on the draft (a press under an older
    preview is stale)."""
    if form.view != "preview" or form.notice != press.notice:
        act.refuse(STALE_BUTTON)
    await store.save_draft(
        act.session, notice_id=form.notice, author_telegram_id=act.actor.telegram_id,
        scope_org_id=form.scope, draft=form.model_copy(update={"groups": not form.groups})
        .draft(act.settings.paid_broadcast))
    return Next({"groups": not form.groups}, stay=True)


async def send(act: Act, form: NoticeForm, press: views.SendNow | views.Schedule) -> Next:
    """Send the previewed notice now, or ask when (a press under an older preview is stale)."""
    if form.view != "preview" or form.notice != press.notice:
        act.refuse(STALE_BUTTON)
    if isinstance(press, views.SendNow):
        return Next({"send": "now"})
    return Next({"send": "later"}, new=True)


async def discard(act: Act, form: NoticeForm, press: views.Discard) -> Next:
    return Next({"send": "discard", "notice": press.notice})


# -- when to send --------------------------------------------------------------------------


async def ask_when(act: Act, form: NoticeForm) -> Html:
    """The date and time are typed, in the branch's time zone."""
    example = (act.local(act.now()) + timedelta(days=1)).strftime("%Y-%m-%d") + " 09:00"
    return act.t("When should it be sent? Type the date and time ({zone}) as you would say "
                 "it, e.g. tomorrow 9:00 or {example}, or press a day.",
                 zone=act.settings.timezone, example=example)


def too_soon(t: Translator, when: datetime, now: datetime) -> Html | None:
    """A time less than a minute ahead is refused: send it now instead."""
    if when - now < timedelta(minutes=1):
        return t("That is too soon: choose a time at least a minute from now, or send it now.")
    return None


async def finish(act: Act, form: NoticeForm) -> Reply | None:
    """Send now, at the chosen time, or throw the draft away."""
    assert form.notice is not None
    if form.send == "discard":
        return await follow.discard(act, views.Discard(form.notice))
    return await follow.confirm(act, views.SendNow(form.notice),
                                form.when if form.send == "later" else None)


COMPOSE = Flow(
    name="notices",
    prefix="nt",
    form=NoticeForm,
    # Anyone may start (one not allowed is told why); the menu lists it for leaders.
    entry=(Entry(Command("notice", label=N_("📣 Notice"),
                         description=N_("Send a notice to members"), shown_to=LEADERS),
                 ANYONE, start),
           Entry(views.NewNotice, ANYONE, start)),
    guard=check_author,
    steps=(
        Custom(key="compose", render=render_compose, presses=((views.ComposeDone, compose_done),),
               messages=((filters.PHOTO | filters.Document.ALL, add_file),
                         (TEXT_INPUT, add_text),
                         (~filters.COMMAND & ~filters.TEXT, refuse_kind))),
        Custom(key="audience", render=render_audience, presses=(
            *((family, change) for family in (
                views.ToggleRole, views.ToggleStatus, views.ToggleRead, views.Everyone,
                views.OpenAudience, views.PartyPage, views.SocialPage)),
            (views.PickParty, pick), (views.PickSocial, pick), (views.Preview, preview),
            (views.ToggleGroups, toggle_groups), (views.SendNow, send), (views.Schedule, send),
            (views.Discard, discard))),
        Day(key="when", ask=ask_when, moment=True, check=too_soon,
            when=lambda form: form.send == "later"),
    ),
    finish=finish,
    back=False,
)
