"""Notices through the chat: compose with formatting and a photo, choose the audience, preview
with the number of recipients, send, read receipts, the author's live progress, reminders,
scheduling, withdrawal, /notices, a double confirm, forged buttons, bad input, and a courier
that dies mid-broadcast. The world is seeded with storage functions; the courier and the
progress job run on a clock the test moves.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select, update

from handlers import notices as handler
from handlers.kit.chat import NOT_ALLOWED
from handlers.kit.i18n import translator
from reminders.delivery import Courier
from rules import notices as rules
from rules.vocabulary import MemberRole, MemberStatus, NoticeState, SocialOrgType
from storage import orgs, outbox
from storage.models import AuditEvent, Notice, NoticeRecipient, OutboxMessage, OutboxState, Person
from tests.harness import ADMIN_ID, Bot, seed_harbour

TZ = ZoneInfo("Asia/Shanghai")
SEC_A, COM_A, ALICE, BOB, AMY = 760_001, 760_002, 760_003, 760_004, 760_005
SEC_B, CAROL = 760_101, 760_102
NAMES = {
    SEC_A: "Sam Secretary", COM_A: "Cora Committee", ALICE: "Alice Wang", BOB: "Bob Li",
    AMY: "Amy Activist", SEC_B: "Tom Secretary", CAROL: "Carol Sun", ADMIN_ID: "Admin",
}
BRANCH_A = (SEC_A, COM_A, ALICE, BOB, AMY)
# Monday 2030-01-07, 10:00 in Shanghai.
T0 = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)
t = translator("en")


@dataclass
class World:
    bot: Bot
    committee: int
    branch_a: int
    branch_b: int
    social_a: int
    social_b: int
    clock: list[datetime]

    @property
    def app(self) -> Any:
        assert self.bot.app is not None
        return self.bot.app

    def at(self, moment: datetime) -> None:
        self.clock[0] = moment

    async def deliver(self) -> int:
        return int(await self.app.courier.deliver_due())

    async def progress(self, seconds: int = 5) -> int:
        """Time passes; the progress job runs once."""
        self.clock[0] += timedelta(seconds=seconds)
        return await handler.refresh_progress(self.app)


async def build(bot: Bot) -> World:
    assert bot.app is not None
    clock = [T0]
    bot.app.courier.clock = lambda: clock[0]
    cast = (
        (SEC_A, "a", MemberRole.SECRETARY, MemberStatus.FULL),
        (COM_A, "a", MemberRole.COMMITTEE_MEMBER, MemberStatus.FULL),
        (ALICE, "a", MemberRole.MEMBER, MemberStatus.FULL),
        (BOB, "a", MemberRole.MEMBER, MemberStatus.PROBATIONARY),
        (AMY, "a", MemberRole.MEMBER, MemberStatus.ACTIVIST),
        (SEC_B, "b", MemberRole.SECRETARY, MemberStatus.FULL),
        (CAROL, "b", MemberRole.MEMBER, MemberStatus.FULL),
    )
    harbour = await seed_harbour(bot, cast, NAMES)
    async with bot.app.database.session() as s:
        social_a = await orgs.create_social_org(
            s, name="Harbour Lawyers", org_type=SocialOrgType.INTERMEDIARY,
            party_org_id=harbour.branches["a"], actor_telegram_id=ADMIN_ID,
        )
        social_b = await orgs.create_social_org(
            s, name="Bay Foundation", org_type=SocialOrgType.FOUNDATION,
            party_org_id=harbour.branches["b"], actor_telegram_id=ADMIN_ID,
        )
        ids = (social_a.id, social_b.id)
    return World(bot, harbour.committee, harbour.branches["a"], harbour.branches["b"], *ids, clock)


def who(bot: Bot, telegram_id: int) -> Any:
    return bot.person(telegram_id, NAMES[telegram_id], language_code="en")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


async def forge(person: Any, data: str, message_id: int | None = None) -> str:
    """Send callback data; the alert it answered ('' if none)."""
    before = len(person.alerts())
    await person.forge(data, message_id)
    alerts = person.alerts()
    return alerts[-1] if len(alerts) > before else ""


async def html(person: Any, source: str) -> list[Any]:
    return list(await person._after(lambda: person.emu.send_html(person.user_id, source)))


async def photo(person: Any, caption: str | None = None) -> list[Any]:
    return list(await person._after(
        lambda: person.emu.send_photo(person.user_id, png(), caption=caption)))


def notices_to(bot: Bot, telegram_id: int, fragment: str) -> list[Any]:
    """The bot's messages to someone (text or caption) containing `fragment`."""
    return [m for m in bot.emulator.bot_messages(telegram_id) if fragment in (m.text or "")]


async def latest_notice(w: World) -> Notice:
    async with w.app.database.session() as s:
        notice = await s.scalar(select(Notice).order_by(Notice.id.desc()).limit(1))
        assert notice is not None
        return notice


async def rows_of(w: World, notice_id: int, kind: str = "notice") -> list[OutboxMessage]:
    async with w.app.database.session() as s:
        return list((await s.scalars(
            select(OutboxMessage).where(OutboxMessage.subject == f"notice:{notice_id}",
                                        OutboxMessage.kind == kind)
        )).all())


async def compose(person: Any, text: str = "<b>Assembly</b> on Friday") -> None:
    await person.say("/notice")
    await html(person, text)
    await person.tap(t("Next: audience ›"))


async def send_to_branch_a(w: World) -> Notice:
    """The admin sends a text notice to Branch A (read confirmation on) and it is delivered."""
    admin = who(w.bot, ADMIN_ID)
    await compose(admin, "<b>Assembly</b> on Friday")
    await admin.tap(t("🏛 Party organizations…"))
    await admin.tap("Branch A")
    await admin.tap(t("‹ Back"))
    await admin.tap(t("Preview ›"))
    await admin.tap(t("📤 Send now"))
    await w.deliver()
    return await latest_notice(w)


# ---------------------------------------------------------------------------------------


async def test_admin_broadcasts_a_formatted_notice_with_a_photo_once_per_person(
    bot: Bot,
) -> None:
    w = await build(bot)
    admin = who(bot, ADMIN_ID)
    await admin.say("/notice")
    await html(admin, '<b>Assembly</b> on <i>Friday</i>\n\nBring the '
                      '<a href="https://example.org/form">form</a>.')
    await photo(admin, "Poster attached")
    await admin.tap(t("Next: audience ›"))
    # Overlapping choices: the committee (everything below it), Branch A, and the social
    # organization Branch A covers: each member of Branch A counts once.
    await admin.tap(t("🏛 Party organizations…"))
    await admin.tap("Harbour Committee")
    await admin.tap("Branch A")
    await admin.tap(t("‹ Back"))
    await admin.tap(t("🏢 Social organizations…"))
    await admin.tap("Harbour Lawyers")
    await admin.tap(t("‹ Back"))
    replies = await admin.tap(t("Preview ›"))
    summary = replies[-1].text
    assert t("Recipients: {n} people", n=7) in summary  # Branch A (5) and Branch B (2)
    shown = [m for m in replies if m.kind == "photo"]
    assert len(shown) == 1 and "<b>Assembly</b>" in (shown[0].html or "")
    assert shown[0].buttons[0].text == t("📖 Mark as read (已阅)")

    # Only Branch A now: the committee is unticked; Branch A and Harbour Lawyers overlap.
    await admin.tap(t("✏️ Change audience"))
    await admin.tap(t("🏛 Party organizations…"))
    await admin.tap("Harbour Committee")
    await admin.tap(t("‹ Back"))
    replies = await admin.tap(t("Preview ›"))
    assert t("Recipients: {n} people", n=5) in replies[-1].text
    await admin.tap(t("📤 Send now"))
    notice = await latest_notice(w)
    assert notice.state is NoticeState.SENDING
    await w.deliver()

    for member in BRANCH_A:
        copies = [m for m in bot.emulator.bot_messages(member) if m.kind == "photo"]
        assert len(copies) == 1, NAMES[member]
        assert '<a href="https://example.org/form">form</a>' in (copies[0].html or "")
        assert "Poster attached" in copies[0].text
    for outsider in (SEC_B, CAROL):
        assert not notices_to(bot, outsider, "Assembly")

    # A second press of "Send now" (a double tap, or forged later) sends nothing more.
    alert = await forge(admin, f"nt:go:{notice.id}")
    assert alert == "" and admin.last_text == t(
        "This notice was already confirmed; it is not sent again.")
    await w.deliver()
    assert len(await rows_of(w, notice.id)) == 5
    assert all(len([m for m in bot.emulator.bot_messages(m_) if m.kind == "photo"]) == 1
               for m_ in BRANCH_A)
    async with w.app.database.session() as s:
        sends = await s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "notice.send", AuditEvent.target_id == notice.id))
    assert sends == 1


async def test_read_receipts_progress_non_readers_and_one_reminder(bot: Bot) -> None:
    w = await build(bot)
    admin, alice, carol = who(bot, ADMIN_ID), who(bot, ALICE), who(bot, CAROL)
    notice = await send_to_branch_a(w)
    progress_id = notice.progress_message_id
    assert progress_id is not None

    await alice.tap(t("📖 Mark as read (已阅)"))
    assert alice.alerts()[-1] == t("Thank you: marked as read.")
    await forge(alice, f"nt:rd:{notice.id}", notices_to(bot, ALICE, "Assembly")[0].message_id)
    assert alice.alerts()[-1] == t("You have already confirmed reading it.")
    # Someone it was not sent to cannot confirm it (forged data).
    await carol.say("/notices")
    assert await forge(carol, f"nt:rd:{notice.id}") == t(NOT_ALLOWED)

    assert await w.progress() == 1
    live = bot.emulator.message(ADMIN_ID, progress_id)
    assert live.edited
    assert t("Queued {queued} · sent {sent} · failed {failed}", queued=0, sent=5,
             failed=0) in live.text
    assert t("Read: {read} of {sent}", read=1, sent=5) in live.text
    assert await w.progress() == 0  # nothing changed: no edit

    replies = await admin.tap(t("👀 Who has not read"), progress_id)
    listing = replies[-1].text
    assert "Bob Li" in listing and "Alice Wang" not in listing and "Carol" not in listing

    replies = await admin.tap(t("🔔 Remind non-readers"), progress_id)
    assert replies[-1].text == t("🔔 {n} people will be reminded.", n=4)
    await w.deliver()
    reminder = t("🔔 Reminder: please read the notice and confirm: {title}",
                 title="Assembly on Friday")
    assert len(notices_to(bot, BOB, reminder)) == 1
    assert not notices_to(bot, ALICE, reminder)
    await forge(admin, f"nt:rm:{notice.id}", progress_id)
    assert "already reminded" in admin.last_text
    await w.deliver()
    assert len(notices_to(bot, BOB, reminder)) == 1
    # Bob confirms from the reminder; the author's message shows it on the next pass.
    await who(bot, BOB).tap(t("📖 Mark as read (已阅)"))
    await w.progress()
    assert t("Read: {read} of {sent}", read=2, sent=5) in bot.emulator.message(
        ADMIN_ID, progress_id).text
    async with w.app.database.session() as s:
        read = await s.scalar(select(func.count(NoticeRecipient.read_at)).where(
            NoticeRecipient.notice_id == notice.id))
    assert read == 2


async def test_secretary_reaches_only_their_branch_whatever_the_buttons_say(bot: Bot) -> None:
    w = await build(bot)
    secretary = who(bot, SEC_A)
    await compose(secretary, "Dues are collected on Monday")
    # Secretaries get no party picker; forged choices outside their branch are refused.
    assert t("🏛 Party organizations…") not in secretary.buttons()
    assert await forge(secretary, f"nt:o:{w.branch_b}") == t(NOT_ALLOWED)
    assert await forge(secretary, f"nt:so:{w.social_b}") == t(NOT_ALLOWED)
    assert await forge(secretary, f"nt:o:{w.committee}") == t(NOT_ALLOWED)
    replies = await secretary.tap(t("Preview ›"))
    assert t("Recipients: {n} people", n=4) in replies[-1].text  # the branch but themselves
    await secretary.tap(t("✏️ Change audience"))
    await secretary.tap(t("Probationary member"))
    replies = await secretary.tap(t("Preview ›"))
    assert t("Recipients: {n} person", n=1) in replies[-1].text
    await secretary.tap(t("📤 Send now"))
    await w.deliver()
    assert len(notices_to(bot, BOB, "Dues are collected")) == 1
    for other in (ALICE, AMY, COM_A, SEC_B, CAROL, ADMIN_ID):
        assert not notices_to(bot, other, "Dues are collected")
    # A member cannot start a notice at all.
    replies = await who(bot, ALICE).say("/notice")
    assert replies[-1].text == t(handler.NOT_A_LEADER)


async def test_scheduled_notice_fires_at_its_time_and_roles_choose_secretaries(
    bot: Bot,
) -> None:
    w = await build(bot)
    admin = who(bot, ADMIN_ID)
    await compose(admin, "Secretaries: reports are due")
    await admin.tap(t("Secretary"))
    await admin.tap(t("Require read confirmation"))  # off
    replies = await admin.tap(t("Preview ›"))
    assert t("Recipients: {n} people", n=2) in replies[-1].text
    await admin.tap(t("🕒 Schedule"))
    replies = await admin.say("2029-12-01 09:00")
    assert "past" in replies[-1].text.lower() or "future" in replies[-1].text.lower()
    replies = await admin.say("tomorrow")
    assert replies[-1].text != ""
    await admin.say("2030-01-08 09:00")  # Shanghai time: 01:00 UTC
    notice = await latest_notice(w)
    assert notice.state is NoticeState.SCHEDULED
    assert notice.scheduled_at == datetime(2030, 1, 8, 1, 0, tzinfo=UTC)
    assert t("Scheduled for {when}", when="2030-01-08 09:00") in admin.last_text

    await w.deliver()
    await w.progress()
    assert not notices_to(bot, SEC_A, "reports are due")
    w.at(datetime(2030, 1, 8, 0, 59, tzinfo=UTC))
    await w.deliver()
    assert not notices_to(bot, SEC_A, "reports are due")
    w.at(datetime(2030, 1, 8, 1, 0, tzinfo=UTC))
    await w.deliver()
    for secretary in (SEC_A, SEC_B):
        copies = notices_to(bot, secretary, "reports are due")
        assert len(copies) == 1 and not copies[0].buttons  # no read confirmation asked
    assert not notices_to(bot, ALICE, "reports are due")
    await w.progress()
    assert (await latest_notice(w)).state is NoticeState.SENT


async def test_withdrawal_cancels_pending_copies_and_tells_who_got_it(bot: Bot) -> None:
    w = await build(bot)
    admin = who(bot, ADMIN_ID)
    sent = await send_to_branch_a(w)
    await admin.tap(t("↩️ Withdraw"), sent.progress_message_id)
    replies = await admin.tap(t("↩️ Yes, withdraw"))
    assert "withdrawn" in replies[-1].text
    await w.deliver()
    for member in BRANCH_A:
        assert len(notices_to(bot, member, "was withdrawn")) == 1
    assert not notices_to(bot, CAROL, "was withdrawn")
    # The record stays; a late 已阅 is refused with a reason.
    assert (await latest_notice(w)).state is NoticeState.WITHDRAWN
    await who(bot, ALICE).tap(t("📖 Mark as read (已阅)"))
    assert who(bot, ALICE).alerts()[-1] == t("This notice was withdrawn.")

    # A scheduled notice withdrawn before its time reaches nobody.
    await compose(admin, "Party day moved")
    await admin.tap(t("Preview ›"))
    await admin.tap(t("🕒 Schedule"))
    await admin.say("2030-01-09 09:00")
    scheduled = await latest_notice(w)
    await forge(admin, f"nt:wd:{scheduled.id}")
    await admin.tap(t("↩️ Yes, withdraw"))
    rows = await rows_of(w, scheduled.id)
    assert rows and all(r.state is OutboxState.CANCELLED for r in rows)
    w.at(datetime(2030, 1, 9, 2, 0, tzinfo=UTC))
    await w.deliver()
    for member in (*BRANCH_A, SEC_B, CAROL):
        assert not notices_to(bot, member, "Party day moved")
    # Nobody but the author or someone above may withdraw.
    await who(bot, SEC_B).say("/notices")
    assert await forge(who(bot, SEC_B), f"nt:wdy:{sent.id}") == t(NOT_ALLOWED)
    async with w.app.database.session() as s:
        actions = set((await s.scalars(select(AuditEvent.action).where(
            AuditEvent.target_type == "notice"))).all())
    assert {"notice.send", "notice.schedule", "notice.withdraw"} <= actions


async def test_members_list_their_notices_and_open_one_again(bot: Bot) -> None:
    w = await build(bot)
    await send_to_branch_a(w)
    alice = who(bot, ALICE)
    replies = await alice.say("/notices")
    assert any("Assembly on Friday" in b for b in alice.buttons(replies[-1]))
    label = next(b for b in alice.buttons(replies[-1]) if "Assembly" in b)
    replies = await alice.tap(label)
    assert "<b>Assembly</b>" in (replies[-1].html or "")
    assert replies[-1].buttons[0].text == t("📖 Mark as read (已阅)")
    replies = await who(bot, CAROL).say("/notices")
    assert t("No notices have been sent to you yet.") in replies[-1].text
    notice = await latest_notice(w)
    assert await forge(who(bot, CAROL), f"nt:v:{notice.id}") == t(NOT_ALLOWED)


async def test_empty_notice_unsupported_attachment_and_long_caption(bot: Bot) -> None:
    w = await build(bot)
    admin = who(bot, ADMIN_ID)
    await admin.say("/notice")
    replies = await admin.tap(t("Next: audience ›"))
    assert replies[-1].text == t(handler.EMPTY)
    replies = await admin._after(lambda: bot.emulator.send_location(ADMIN_ID, 31.2, 121.5))
    assert replies[-1].text == t(handler.ONLY_FILES)
    long_text = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(8))
    assert rules.visible_length(long_text) > rules.MAX_CAPTION
    await photo(admin)
    await admin.say(long_text)
    await admin.tap(t("Next: audience ›"))
    await admin.tap(t("🏛 Party organizations…"))
    await admin.tap("Branch B")
    await admin.tap(t("‹ Back"))
    replies = await admin.tap(t("Preview ›"))
    assert t(handler.CAPTION_TOO_LONG, limit=rules.MAX_CAPTION) in replies[-1].text
    await admin.tap(t("📤 Send now"))
    await w.deliver()
    got = [m for m in bot.emulator.bot_messages(CAROL)]
    assert [m.kind for m in got] == ["photo", "text"]
    assert got[0].text == "" and "Paragraph 7" in got[1].text
    # Too much text in all is refused, and the notice stays as it was.
    await admin.say("/notice")
    for _ in range(3):
        await admin.say("x" * 4000)
    replies = await admin.say("y" * 500)
    assert replies[-1].text == t(handler.TOO_LONG, limit=rules.MAX_NOTICE_TEXT)


async def test_a_courier_dying_mid_broadcast_sends_everyone_at_most_the_batch_twice(
    bot: Bot,
) -> None:
    w = await build(bot)
    admin = who(bot, ADMIN_ID)
    await compose(admin, "Crash-proof notice")
    await admin.tap(t("Preview ›"))
    await admin.tap(t("📤 Send now"))
    notice = await latest_notice(w)
    # A courier claims a batch, sends it, and dies before recording that it did.
    dead = Courier(w.app.database, w.app.bot, clock=lambda: w.clock[0])
    dead.name = "dead-host:1:000000"
    async with w.app.database.session() as s:
        batch = await outbox.claim(s, w.clock[0], limit=3, lease=dead.lease, courier=dead.name)
    for row in batch:
        await dead._send([row])
    await bot.restart()
    assert bot.app is not None
    bot.app.courier.clock = lambda: w.clock[0]
    await w.deliver()  # the rows not in flight go out now
    w.at(T0 + dead.lease + timedelta(seconds=1))
    await w.deliver()  # the dead courier's lease ran out: its rows are sent again
    copies = {m: len(notices_to(bot, m, "Crash-proof")) for m in (*BRANCH_A, SEC_B, CAROL)}
    assert all(n >= 1 for n in copies.values()), copies
    assert sum(copies.values()) - len(copies) <= len(batch)
    rows = await rows_of(w, notice.id)
    assert len(rows) == 7 and all(r.state is OutboxState.SENT for r in rows)


async def test_paid_broadcast_shows_its_cost_and_is_off_by_default(database_url: str) -> None:
    from tests.harness import running_bot

    async for paid_bot in running_bot(database_url, paid_broadcast=True):
        w = await build(paid_bot)
        admin = who(paid_bot, ADMIN_ID)
        await compose(admin, "Paid notice")
        replies = await admin.tap(t("Preview ›"))
        assert t("Paid broadcast: {stars} Stars ({n} messages at 0.1 Star each).",
                 stars="0.7", n=7) in replies[-1].text
        await admin.tap(t("📤 Send now"))
        await w.deliver()
        assert len(notices_to(paid_bot, CAROL, "Paid notice")) == 1
        calls = [c for c in paid_bot.emulator.api_calls if c.method == "sendMessage"
                 and "Paid notice" in str(c.params.get("text"))
                 and str(c.params.get("chat_id")) != str(ADMIN_ID)]  # not the preview
        assert calls and all(str(c.params.get("allow_paid_broadcast")).lower() == "true"
                             for c in calls)
        assert paid_bot.emulator.stars_spent == Decimal("0.7")  # what the preview said
    from bot.config import Settings

    assert Settings().paid_broadcast is False


async def test_a_paid_notice_goes_out_faster_than_the_free_limit(database_url: str) -> None:
    """Paid sends are counted by Telegram in a budget of their own: they are not held to the
    free rate (here 5 a second), and nothing is refused for flooding."""
    from tests.harness import running_bot

    async for paid_bot in running_bot(database_url, paid_broadcast=True, send_rate_per_second=5,
                                      paid_broadcast_rate_per_second=200):
        paid_bot.emulator.set_rates(global_=5)
        w = await build(paid_bot)
        admin = who(paid_bot, ADMIN_ID)
        await compose(admin, "Fast paid notice")
        await admin.tap(t("Preview ›"))
        await admin.tap(t("📤 Send now"))
        await w.deliver()
        notice = {(m, shown.message_id) for m in (*BRANCH_A, SEC_B, CAROL)
                  for shown in notices_to(paid_bot, m, "Fast paid notice")}
        assert len(notice) == 7
        sent_at = sorted(at for at, chat, message in paid_bot.emulator.answered_sends
                         if (chat, message) in notice)
        busiest = max(sum(1 for b in sent_at if a <= b < a + 1.0) for a in sent_at)
        assert busiest > 5, sent_at  # more in one second than the free limit lets through
        assert paid_bot.emulator.flood_refusals == 0
        assert paid_bot.emulator.stars_spent == Decimal("0.7")


async def test_the_read_button_looks_pressed_once_pressed_in_both_languages(bot: Bot) -> None:
    """已阅 pressed must not look like 已阅 to press: the label changes in Chinese too."""
    w = await build(bot)
    async with w.app.database.session() as s:
        await s.execute(update(Person).where(Person.telegram_id == ALICE).values(language="zh"))
    notice = await send_to_branch_a(w)
    for reader, language in ((ALICE, "zh"), (BOB, "en")):
        tl = translator(language)
        person = who(bot, reader)
        shown = notices_to(bot, reader, "Assembly")[0]
        before = shown.buttons[0].text
        assert before == tl("📖 Mark as read (已阅)") and "✅" not in before
        await person.tap(before)
        after = bot.emulator.message(reader, shown.message_id).buttons[0].text
        assert after == tl("✅ Read, confirmed") and after != before and "✅" in after
        assert bool(re.search("[\u4e00-\u9fff]", after)) is (language == "zh")
    assert notice.requires_read
