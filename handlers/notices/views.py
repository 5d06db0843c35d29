"""Texts, keyboards and buttons of notices (pure: no Telegram calls, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.kit.buttons import ButtonData, NoticeId, OrgId
from handlers.kit.flows import Form
from handlers.kit.i18n import BLANK, N_, Html, Translator, escape, html_format, html_join
from handlers.kit.ui import keyboard, paged_rows, person_name
from handlers.labels import MEMBER_STATUS_LABELS, NOTICE_STATE_LABELS, ROLE_LABELS
from rules import notices as rules
from rules.vocabulary import MemberRole, MemberStatus, NoticeState
from storage import notices as store
from storage.models import Notice, OutboxState, Person

BUTTON_TEXT = 30  # characters of a notice shown on a button
ONLY_FILES = N_("Only photos and documents can be attached to a notice. Please send a photo or "
                "a file, or type the text.")
EMPTY = N_("The notice is empty. Please type its text (or send a photo or document) first.")
TOO_LONG = N_("The notice is too long: at most {limit} characters of text. It was not changed; "
              "please send a shorter text.")
TOO_MANY_FILES = N_("At most {n} attachments per notice.")
CAPTION_TOO_LONG = N_("The text is longer than a caption may be ({limit} characters), so it "
                      "will follow the attachment as a separate message.")
WITHDRAWN = N_("This notice was withdrawn.")
NOBODY = N_("Nobody matches this audience. Please change it.")
NOT_ADDRESSED = N_("This notice is not addressed to you, so there is nothing to confirm.")
IN_PRIVATE = N_("📎 The whole notice is in each recipient's private chat with me (/notices).")
READ_TEXTS = {
    store.ReadOutcome.RECORDED: N_("Thank you: marked as read."),
    store.ReadOutcome.ALREADY: N_("You have already confirmed reading it."),
    store.ReadOutcome.WITHDRAWN: WITHDRAWN,
}
DELIVERY_MARKS = {
    OutboxState.PENDING: "⏳", OutboxState.SENDING: "⏳", OutboxState.SENT: "📨",
    OutboxState.FAILED: "⚠️", OutboxState.CANCELLED: "✖️",
}
Said = Literal["start", "text", "file", "too_long", "too_many", "only_files", "empty"]
View = Literal["audience", "party", "social", "preview"]


class NewNotice(ButtonData, prefix="nt:new"):
    """Compose a notice (also /notice)."""


class ComposeDone(ButtonData, prefix="nt:next"):
    """The text and attachments are complete: the audience next."""


class OpenAudience(ButtonData, prefix="nt:a"):
    """Back to the audience screen (from a picker or the preview)."""


class PartyPage(ButtonData, prefix="nt:op"):
    page: int


class PickParty(ButtonData, prefix="nt:o"):
    org: OrgId


class SocialPage(ButtonData, prefix="nt:sp"):
    page: int


class PickSocial(ButtonData, prefix="nt:so"):
    social: int  # a social organization


class ToggleRole(ButtonData, prefix="nt:r"):
    role: MemberRole


class ToggleStatus(ButtonData, prefix="nt:s"):
    status: MemberStatus


class ToggleRead(ButtonData, prefix="nt:rq"):
    """Require read confirmation, or not."""


class Everyone(ButtonData, prefix="nt:all"):
    """Everyone below the author: no organization chosen."""


class Preview(ButtonData, prefix="nt:pv"):
    """The notice as it will look, with the number of recipients."""


class SendNow(ButtonData, prefix="nt:go"):
    """Send the previewed notice now (a second press sends nothing more)."""

    notice: NoticeId


class Schedule(ButtonData, prefix="nt:sch"):
    notice: NoticeId


class Discard(ButtonData, prefix="nt:del"):
    notice: NoticeId


class MarkRead(ButtonData, prefix="nt:rd"):
    """已阅: a recipient read it."""

    notice: NoticeId


class ReadInGroup(ButtonData, prefix="ntg:rd"):
    """已阅 under a notice's post in a linked group: counted for a recipient, privately."""

    notice: NoticeId


class ToggleGroups(ButtonData, prefix="nt:grp"):
    """Also post the previewed notice in the linked group chats, or not."""

    notice: NoticeId


class OpenReceived(ButtonData, prefix="nt:v"):
    notice: NoticeId


class ShowProgress(ButtonData, prefix="nt:p"):
    notice: NoticeId


class ShowNonReaders(ButtonData, prefix="nt:ur"):
    notice: NoticeId


class RemindNonReaders(ButtonData, prefix="nt:rm"):
    notice: NoticeId


class AskWithdraw(ButtonData, prefix="nt:wd"):
    notice: NoticeId


class Withdraw(ButtonData, prefix="nt:wdy"):
    notice: NoticeId


class NoticeForm(Form):
    """The notice being composed (its draft row once previewed)."""

    scope: OrgId | None  # None: an admin's, to everything
    text: str = ""  # HTML, the author's formatting kept
    # Attached: {"type": "photo" or "document", "file_id", and a document's "name"}.
    files: list[dict[str, str | None]] = Field(default_factory=list)
    orgs: list[int] = Field(default_factory=list)
    social: list[int] = Field(default_factory=list)
    roles: list[MemberRole] = Field(default_factory=list)
    statuses: list[MemberStatus] = Field(default_factory=list)
    read: bool = True
    groups: bool = False  # also posted in the linked group chats
    said: Said = "start"  # what the composing message answers last
    view: View = "audience"
    page: int = 0
    notice: NoticeId | None = None
    send: Literal["now", "later", "discard"] | None = None
    when: datetime | None = None

    def audience(self) -> store.Audience:
        return store.Audience(orgs=tuple(self.orgs), social=tuple(self.social),
                              roles=tuple(self.roles), statuses=tuple(self.statuses))

    def draft(self, paid: bool) -> store.Draft:
        return store.Draft(text_html=self.text.strip(), attachments=list(self.files),
                           audience=self.audience(), requires_read=self.read,
                           paid_broadcast=paid, post_in_groups=self.groups)


def joined(old: str, new: str) -> str:
    return f"{old}\n\n{new}" if old and new else old or new


def compose_text(t: Translator, form: NoticeForm) -> Html:
    """The composing message: how to start, or what the last message did."""
    if form.said == "text":
        return t("✍️ Text received ({n} characters). Send more, or press Next.",
                 n=rules.visible_length(form.text))
    if form.said == "file":
        last = form.files[-1]
        name = last.get("name") or (t("photo") if last["type"] == "photo" else t("document"))
        return t("📎 Attached: {name}. Send more, or press Next.", name=name)
    refused = {"too_long": TOO_LONG, "too_many": TOO_MANY_FILES, "only_files": ONLY_FILES,
               "empty": EMPTY}
    if form.said in refused:
        return t(refused[form.said], limit=rules.MAX_NOTICE_TEXT, n=rules.MAX_ATTACHMENTS)
    return t("📣 New notice. Type its text: bold, italics and links are kept. You may also "
             "send photos or documents (up to {n}). Press Next when it is complete.",
             n=rules.MAX_ATTACHMENTS)


def _mark(on: bool) -> str:
    return "☑️ " if on else "▫️ "


def audience_text(t: Translator, form: NoticeForm, names: Sequence[str]) -> Html:
    roles = [t(ROLE_LABELS[r]) for r in form.roles]
    statuses = [t(MEMBER_STATUS_LABELS[s]) for s in form.statuses]
    return html_join("\n", [
        t("<b>Who receives the notice?</b>"),
        t("Organizations: {names}", names=", ".join(names)) if names
        else t("Organizations: everyone below you"),
        t("Roles: {roles}", roles=", ".join(roles) or t("all")),
        t("Statuses: {statuses}", statuses=", ".join(statuses) or t("all")),
        t("Read confirmation: {value}", value=t("yes") if form.read else t("no")),
    ])


def audience_buttons(t: Translator, form: NoticeForm, *, admin: bool
                     ) -> list[list[InlineKeyboardButton]]:
    def role(r: MemberRole) -> InlineKeyboardButton:
        return ToggleRole(r).button(_mark(r in form.roles) + t(ROLE_LABELS[r]))

    everyone = not form.orgs and not form.social
    pick = [PartyPage(0).button(t("🏛 Party organizations…"))] if admin else []
    pick.append(SocialPage(0).button(t("🏢 Social organizations…")))
    return [
        [Everyone().button(_mark(everyone) + t("Everyone below me"))],
        pick,
        [role(MemberRole.SECRETARY), role(MemberRole.COMMITTEE_MEMBER)],
        [role(MemberRole.DEPUTY_SECRETARY), role(MemberRole.MEMBER)],
        [ToggleStatus(s).button(_mark(s in form.statuses) + t(MEMBER_STATUS_LABELS[s]))
         for s in MemberStatus],
        [ToggleRead().button(_mark(form.read) + t("Require read confirmation"))],
        [Preview().button(t("Preview ›"))],
    ]


def picker(t: Translator, form: NoticeForm, choices: Sequence[tuple[int, str]]
           ) -> tuple[Html, list[list[InlineKeyboardButton]]]:
    """A page of party (or social) organizations to tick, and the way back."""
    social = form.view == "social"
    back = [OpenAudience().button(t("‹ Back"))]
    if not choices:
        return t("There are no social organizations in your scope."), [back]
    chosen = set(form.social if social else form.orgs)
    items = [(PickSocial(i) if social else PickParty(OrgId(i))).button(_mark(i in chosen) + label)
             for i, label in choices]
    prompt = (t("Choose social organizations (members of the branch covering each):") if social
              else t("Choose party organizations (each with everything below it):"))
    return prompt, paged_rows(t, items, form.page, SocialPage if social else PartyPage, [back])


def preview_text(t: Translator, summary: Html, notice: Notice, count: int, parts: int,
                 *, paid: bool) -> Html:
    lines = [summary, BLANK, t.plural("Recipients: {n} person", "Recipients: {n} people", count)]
    if len(notice.attachments) == 1 and not rules.fits_caption(notice.text_html) and (
        rules.visible_text(notice.text_html).strip()
    ):
        lines.append(t(CAPTION_TOO_LONG, limit=rules.MAX_CAPTION))
    if paid and count:
        lines.append(t("Paid broadcast: {stars} Stars ({n} messages at 0.1 Star each).",
                       stars=rules.paid_cost(count, parts), n=count * parts))
    if count == 0:
        lines.append(t(NOBODY))
    return html_join("\n", lines)


def preview_buttons(t: Translator, notice: NoticeId, count: int, *, groups: int = 0,
                    in_groups: bool = False) -> list[list[InlineKeyboardButton]]:
    """Send or schedule, change the audience; where the audience's branches have linked
    group chats, the choice to post it there too (off until pressed)."""
    change = [OpenAudience().button(t("✏️ Change audience"))]
    if count == 0:
        return [change]
    rows = [[SendNow(notice).button(t("📤 Send now")), Schedule(notice).button(t("🕒 Schedule"))]]
    if groups:
        rows.append([ToggleGroups(notice).button(
            _mark(in_groups) + t("Also post in the linked group chats ({n})", n=groups))])
    return [*rows, change]


def group_read_markup(t: Translator, notice_id: int) -> dict[str, Any]:
    """The 已阅 button under a notice's post in a group."""
    return keyboard([[ReadInGroup(NoticeId(notice_id)).button(t("✅ 已阅 / Read"))]]).to_dict()


def group_copy(t: Translator, notice: Notice) -> store.GroupCopy:
    """A notice's post in a linked group (in the group's language): one message, the notice
    itself when it is one, else its start and where the whole is."""
    text, media = rules.group_post(notice.text_html, notice.attachments, t(IN_PRIVATE))
    markup = group_read_markup(t, notice.id) if notice.requires_read else None
    return store.GroupCopy(text, media, markup)


def read_markup(t: Translator, notice_id: int) -> dict[str, Any]:
    """The 已阅 button under a notice (stored with each outbox row)."""
    button = MarkRead(NoticeId(notice_id)).button(t("📖 Mark as read (已阅)"))
    return keyboard([[button]]).to_dict()


def local(tz: ZoneInfo, value: datetime | None) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def short(text: str, limit: int = BUTTON_TEXT) -> str:
    plain = " ".join(rules.visible_text(text).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


def progress_text(t: Translator, tz: ZoneInfo, notice: Notice, counts: store.Counts) -> Html:
    state = t(NOTICE_STATE_LABELS[notice.state])
    lines = [t("📣 Notice #{id}: {state}", id=notice.id, state=state)]
    first = rules.visible_text(notice.text_html).strip().split("\n", 1)[0][:60]
    if first:
        lines.append(html_format("<i>{first}</i>", first=first))
    if notice.state is NoticeState.SCHEDULED and notice.scheduled_at is not None:
        lines.append(t("Scheduled for {when}", when=local(tz, notice.scheduled_at)))
    lines.append(t.plural("Recipients: {n} person", "Recipients: {n} people", counts.recipients))
    lines.append(t("Queued {queued} · sent {sent} · failed {failed}", queued=counts.queued,
                   sent=counts.sent, failed=counts.failed))
    if notice.requires_read:
        lines.append(t("Read: {read} of {sent}", read=counts.read, sent=counts.sent))
    if counts.cancelled:
        lines.append(t("Cancelled: {n}", n=counts.cancelled))
    if notice.post_in_groups:
        lines.append(t("Posted in group chats: {n}", n=counts.groups))
    return html_join("\n", lines)


def progress_markup(t: Translator, notice: Notice) -> InlineKeyboardMarkup:
    notice_id = NoticeId(notice.id)
    rows = []
    if notice.requires_read:
        rows.append([ShowNonReaders(notice_id).button(t("👀 Who has not read"))])
        if notice.state is not NoticeState.WITHDRAWN and notice.reminded_at is None:
            rows.append([RemindNonReaders(notice_id).button(t("🔔 Remind non-readers"))])
    if notice.state is not NoticeState.WITHDRAWN:
        rows.append([AskWithdraw(notice_id).button(t("↩️ Withdraw"))])
    return keyboard(rows)


def notices_list(t: Translator, tz: ZoneInfo, received: Sequence[store.Received],
                 sent: Sequence[store.NoticeRow], *, leader: bool
                 ) -> tuple[Html, InlineKeyboardMarkup | None]:
    """/notices: what reached me (🆕 unread, ✅ read, ↩️ withdrawn), then what I sent."""
    rows: list[list[InlineKeyboardButton]] = []
    lines = [t("<b>📬 Notices</b>")]
    if not received:
        lines.append(t("No notices have been sent to you yet."))
    for item in received:
        mark = "↩️" if item.notice.state is NoticeState.WITHDRAWN else (
            "✅" if item.read_at or not item.notice.requires_read else "🆕")
        day = local(tz, item.delivered_at or item.notice.scheduled_at)[:10]
        rows.append([OpenReceived(NoticeId(item.notice.id)).button(
            f"{mark} {day} {short(item.notice.text_html)}")])
    if sent:
        lines.append(t("Below: notices you sent (📣)."))
        rows.extend([ShowProgress(NoticeId(row.notice.id)).button(
            f"📣 #{row.notice.id} {short(row.notice.text_html)}")] for row in sent)
    if leader:
        rows.append([NewNotice().button(t("📣 New notice"))])
    return html_join("\n", lines), keyboard(rows) if rows else None


def non_readers_text(t: Translator, notice: Notice, rows: Sequence[store.NonReader],
                     people: dict[int, Person], shown: int) -> Html:
    if not rows:
        return t("Everyone has confirmed reading notice #{id}.", id=notice.id)
    lines = [t("<b>Not read yet (notice #{id}):</b>", id=notice.id)]
    for row in rows[:shown]:
        mark = DELIVERY_MARKS.get(row.delivery, "⏳") if row.delivery else "⏳"
        org = " · " + row.org_name if row.org_name else ""
        lines.append(escape(f"{mark} {person_name(t, people[row.person_id])}{org}"))
    if len(rows) > shown:
        lines.append(t("… and more."))
    lines.append(t("📨 delivered · ⏳ queued · ⚠️ could not be delivered"))
    return html_join("\n", lines)
