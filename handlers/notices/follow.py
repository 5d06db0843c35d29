"""After composing: sending and discarding a draft, recipients' 已阅 and /notices, authors'
progress, non-readers, one reminder and withdrawal; the job that keeps progress current.

Progress messages are edited by a JobQueue job (refresh_progress) at most every
PROGRESS_EVERY per notice, never from an update handler.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache, partial

from sqlalchemy import select
from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackContext

from handlers.access import notices as access
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.chat import drop_buttons, reply_chat
from handlers.kit.context import BranchServices
from handlers.kit.i18n import translator
from handlers.kit.ui import keyboard
from handlers.notices import views
from rules import notices as rules
from rules.vocabulary import NoticeState
from storage import notices as store
from storage import people
from storage.models import Person

logger = logging.getLogger(__name__)

PROGRESS_EVERY = timedelta(seconds=3)  # at most one edit of a progress message this often
RECENT = 10  # notices listed in /notices
NON_READERS_SHOWN = 50


async def send_notice_copy(update: Update, steps: list[rules.Step],
                           markup: InlineKeyboardMarkup | None) -> None:
    """The notice as a recipient sees it, to the actor (the preview, /notices opening one)."""
    chat = reply_chat(update)
    for step in steps:
        reply_markup = markup if step.with_markup else None
        if step.kind in ("photo", "document"):
            send_file = chat.send_photo if step.kind == "photo" else chat.send_document
            await send_file(str(step.file_id), caption=step.text, reply_markup=reply_markup)
        else:
            await chat.send_message(str(step.text), reply_markup=reply_markup)


async def confirm(act: Act, press: views.SendNow, scheduled_at: datetime | None = None
                  ) -> Reply | None:
    """Draft -> sending (or scheduled) once; a second press (also outside the flow, or under
    an old preview) is told it was sent already. The author's live progress message follows."""
    t, now, notice_id = act.t, act.now(), press.notice
    notice = await access.access_own_notice(act, notice_id)

    @cache  # one per language, not per recipient
    def markup_in(language: str) -> dict[str, object] | None:
        return views.read_markup(translator(language), notice.id) if notice.requires_read else None

    result = await store.confirm(
        act.session, notice, actor_telegram_id=act.actor.telegram_id, now=now,
        scheduled_at=scheduled_at, markup_for=lambda r: markup_in(r.language),
        exclude_person=act.actor.person_id,
        group_copy=lambda language: views.group_copy(translator(language), notice))
    if result.outcome is store.ConfirmOutcome.ALREADY:
        return Reply(t("This notice was already confirmed; it is not sent again."), new=True)
    if result.outcome is store.ConfirmOutcome.NOBODY:
        return Reply(t(views.NOBODY), new=True)
    figures = (await store.counts(act.session, [notice.id]))[notice.id]
    await act.session.refresh(notice)
    text = views.progress_text(t, act.settings.tzinfo, notice, figures)
    markup = views.progress_markup(t, notice)
    shown, wake = figures.shown() + notice.state.value, notice.scheduled_at or now
    update, context = act.update, act.context

    async def post_progress() -> None:
        message = await reply_chat(update).send_message(text, reply_markup=markup)
        async with context.db.session() as session:
            await store.set_progress_message(session, notice_id, message.chat_id,
                                             message.message_id, shown, now)
        context.branch_app.wake_courier(wake)

    act.before(lambda: drop_buttons(update))
    act.after(post_progress)
    return None


async def discard(act: Act, press: views.Discard) -> Reply:
    """Throw the author's draft away (nothing was sent)."""
    notice = await access.access_own_draft(act, press.notice)
    await store.discard_draft(act.session, notice.id, act.actor.telegram_id)
    act.before(partial(drop_buttons, act.update))
    return Reply(act.t("The notice was discarded."), new=True)


# -- recipients --------------------------------------------------------------------------------


async def mark_read(act: Act, press: views.MarkRead) -> None:
    """已阅: a recipient confirms reading; anyone else's press changes nothing."""
    outcome = await store.record_read(act.session, press.notice, act.actor.person_id, act.now())
    if outcome is store.ReadOutcome.NOT_RECIPIENT:
        act.refuse()
    act.toast = act.t(views.READ_TEXTS[outcome])
    if outcome is store.ReadOutcome.RECORDED:
        query = act.update.callback_query
        markup = keyboard([[press.button(act.t("✅ Read, confirmed"))]])
        assert query is not None

        async def looks_pressed() -> None:
            try:
                await query.edit_message_reply_markup(reply_markup=markup)
            except TelegramError as exc:
                logger.info("could not mark the notice read: %s", exc)

        act.after(looks_pressed)


async def mark_read_in_group(act: Act, press: views.ReadInGroup) -> None:
    """已阅 under a group post: the recipient's read receipt (once, wherever pressed), answered
    with a toast only; anyone else is told it is not addressed to them."""
    outcome = await store.record_read(act.session, press.notice, act.actor.person_id, act.now())
    act.toast = act.t(views.NOT_ADDRESSED if outcome is store.ReadOutcome.NOT_RECIPIENT
                      else views.READ_TEXTS[outcome])


async def list_notices(act: Act, _: CommandArgs) -> Reply:
    """/notices: recent notices addressed to me; leaders also see the ones they sent."""
    actor = act.actor
    received = (await store.received_by(act.session, actor.person_id, limit=RECENT)
                if actor.person_id is not None else [])
    sent = await store.list_by_author(act.session, actor.telegram_id, limit=RECENT)
    text, markup = views.notices_list(act.t, act.settings.tzinfo, received, sent,
                                      leader=actor.is_admin or actor.leads_a_branch)
    return Reply(text, markup, new=True)


async def open_received(act: Act, press: views.OpenReceived) -> Reply | None:
    """A notice I received, again (with 已阅 if still unconfirmed)."""
    notice, row = await access.access_received_notice(act, press.notice)
    if notice.state is NoticeState.WITHDRAWN:
        return Reply(act.t(views.WITHDRAWN), new=True)
    markup = None
    if notice.requires_read and row.read_at is None:
        markup = InlineKeyboardMarkup.de_json(views.read_markup(act.t, notice.id), None)
    steps = ([rules.Step.from_json(p) for p in notice.parts] if notice.parts is not None
             else await store.plan_messages(notice.text_html, notice.attachments))
    act.after(partial(send_notice_copy, act.update, steps, markup))
    return None


# -- authors (and leaders above) -----------------------------------------------------------


async def show_progress(act: Act, press: views.ShowProgress) -> Reply:
    """A fresh progress card (the live one is kept up to date by the job)."""
    notice = await access.access_overseen_notice(act, press.notice)
    figures = (await store.counts(act.session, [notice.id]))[notice.id]
    return Reply(views.progress_text(act.t, act.settings.tzinfo, notice, figures),
                 views.progress_markup(act.t, notice), new=True)


async def list_non_readers(act: Act, press: views.ShowNonReaders) -> Reply:
    """Recipients who have not confirmed, with what became of their copy."""
    notice = await access.access_overseen_notice(act, press.notice)
    rows = await store.non_readers(act.session, notice.id, limit=NON_READERS_SHOWN + 1)
    people = {p.id: p for p in (await act.session.scalars(
        select(Person).where(Person.id.in_([r.person_id for r in rows]))
    )).all()}
    return Reply(views.non_readers_text(act.t, notice, rows, people, NON_READERS_SHOWN),
                 new=True)


async def remind(act: Act, press: views.RemindNonReaders) -> Reply:
    """Remind every delivered non-reader, once; a second press is refused."""
    now, t = act.now(), act.t
    notice = await access.access_overseen_notice(act, press.notice)
    languages = await store.languages_of_recipients(act.session, notice.id)
    first = views.short(notice.text_html, 80)

    def text_for(r: store.NonReader) -> str:
        t = translator(languages.get(r.person_id))
        return t("🔔 Reminder: please read the notice and confirm: {title}", title=first)

    outcome, n = await store.remind_non_readers(
        act.session, notice, actor_telegram_id=act.actor.telegram_id, now=now,
        text_for=text_for,
        markup_for=lambda r: views.read_markup(translator(languages.get(r.person_id)), notice.id),
    )
    if outcome is store.RemindOutcome.ALREADY:
        return Reply(t("Non-readers were already reminded ({when}); a notice is reminded only "
                       "once.", when=views.local(act.settings.tzinfo, notice.reminded_at)),
                     new=True)
    if outcome is store.RemindOutcome.NOT_NEEDED:
        return Reply(t("Nobody needs a reminder: everyone it reached has read it."), new=True)
    act.after(partial(_wake, act.context.branch_app, now))
    return Reply(t.plural("🔔 {n} person will be reminded.", "🔔 {n} people will be reminded.",
                          n), new=True)


async def ask_withdraw(act: Act, press: views.AskWithdraw) -> Reply:
    """Withdrawing needs a confirmation."""
    notice = await access.access_overseen_notice(act, press.notice)
    if notice.state is NoticeState.WITHDRAWN:
        return Reply(act.t(views.WITHDRAWN), new=True)
    t = act.t
    return Reply(t("Withdraw notice #{id}? Copies not sent yet are cancelled and those who "
                   "received it are told it was withdrawn.", id=notice.id),
                 keyboard([[views.Withdraw(press.notice).button(t("↩️ Yes, withdraw")),
                            views.ShowProgress(press.notice).button(t("Keep it"))]]), new=True)


async def withdraw(act: Act, press: views.Withdraw) -> Reply:
    """Cancel what is pending, tell who got it; the record stays."""
    now, t = act.now(), act.t
    notice = await access.access_overseen_notice(act, press.notice)
    languages = await store.languages_of_recipients(act.session, notice.id)
    first = views.short(notice.text_html, 80)

    def text_for(person_id: int) -> str:
        t = translator(languages.get(person_id))
        return t("↩️ The notice “{title}” was withdrawn by its sender. Please disregard it.",
                 title=first)

    applied, cancelled, told = await store.withdraw(
        act.session, notice, actor_telegram_id=act.actor.telegram_id, now=now,
        text_for=text_for)
    act.before(partial(drop_buttons, act.update))
    if not applied:
        return Reply(t(views.WITHDRAWN), new=True)
    posts = await store.sent_group_posts(act.session, notice.id)
    act.after(partial(_wake, act.context.branch_app, now))
    act.after(partial(_take_down, act.context.bot, posts))
    return Reply(t("↩️ Notice #{id} withdrawn: {cancelled} unsent copies cancelled, {told} "
                   "recipients told.", id=notice.id, cancelled=cancelled, told=told), new=True)


async def _take_down(bot: Bot, posts: list[tuple[int, int, str | None]]) -> None:
    """A withdrawn notice's group posts are deleted; one too old to delete loses its text."""
    for chat_id, message_id, language in posts:
        try:
            await bot.delete_message(chat_id, message_id)
            continue
        except TelegramError as exc:
            logger.info("could not delete a withdrawn notice's group post: %s", exc)
        t = translator(language)
        try:
            await bot.edit_message_text(t(views.WITHDRAWN), chat_id=chat_id,
                                        message_id=message_id, reply_markup=None)
        except TelegramError:  # a photo or document: its caption says so instead
            try:
                await bot.edit_message_caption(chat_id=chat_id, message_id=message_id,
                                               caption=t(views.WITHDRAWN), reply_markup=None)
            except TelegramError as exc:
                logger.info("could not mark a group post withdrawn: %s", exc)


async def _wake(services: BranchServices, at: datetime) -> None:
    services.wake_courier(at)


# -- progress messages (JobQueue) ----------------------------------------------------------


async def refresh_progress(application: BranchServices) -> int:
    """Edit authors' progress messages whose figures changed; returns how many were edited.

    Each message is edited at most every PROGRESS_EVERY (by the courier's clock)."""
    now = application.now()
    async with application.database.session() as session:
        await store.advance(session, now)
        notices = await store.progress_due(session, now, PROGRESS_EVERY.total_seconds())
        figures = await store.counts(session, [n.id for n in notices])
        authors = await people.languages_of(session, [n.author_telegram_id for n in notices])
    edited = 0
    shown: list[tuple[int, str]] = []
    for notice in notices:
        counts = figures[notice.id]
        fingerprint = counts.shown() + notice.state.value + ("r" if notice.reminded_at else "")
        shown.append((notice.id, fingerprint))
        if fingerprint == notice.progress_shown:
            continue
        t = translator(authors.get(notice.author_telegram_id))
        try:
            await application.bot.edit_message_text(
                views.progress_text(t, application.settings.tzinfo, notice, counts),
                chat_id=notice.progress_chat_id, message_id=notice.progress_message_id,
                reply_markup=views.progress_markup(t, notice),
            )
            edited += 1
        except TelegramError as exc:
            if "not modified" not in str(exc):
                logger.info("could not update the progress of notice %s: %s", notice.id, exc)
    if shown:
        async with application.database.session() as session:
            for notice_id, fingerprint in shown:
                await store.mark_shown(session, notice_id, fingerprint, now)
    return edited


async def progress_job(context: CallbackContext) -> None:
    """JobQueue callback: keep progress messages current."""
    application: BranchServices = context.application  # type: ignore[assignment]
    await refresh_progress(application)

