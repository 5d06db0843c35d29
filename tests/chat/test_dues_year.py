"""/dues as a branch settles it (issue 16): paying ahead only with the branch's consent (a
leader sets how far; recording it is the branch's consent), the secretary setting a member's
standard (confirmed, the member told), and the province's standard from the settings. The bot
runs on a fixed clock (10:00 in Shanghai on Sunday 2030-03-10), but for the branch's year,
whose clock moves through 2030 with the planner and courier on it (tests/chat/test_reminders.py)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from rules.vocabulary import DuesCategory, DuesPaymentState
from storage import dues
from storage.models import AuditEvent, DuesProfile, PartyOrganization
from tests.chat.test_drift import joined_at, membership_of
from tests.chat.test_dues_chat import NOW, fixed, payments, person_of
from tests.chat.test_members_chat import ALICE, BOB, SEC_A, SEC_B
from tests.chat.test_reminders import ALICE as ALICE_Y
from tests.chat.test_reminders import BOB as BOB_Y
from tests.chat.test_reminders import SECRETARY as SECRETARY_Y
from tests.chat.test_reminders import T0, World, world
from tests.harness import Bot, running_bot


async def test_members_pay_ahead_only_as_far_as_the_branch_agreed(bot: Bot) -> None:
    s = await fixed(bot)
    alice_person = await person_of(bot, s.alice)
    alice = bot.person(ALICE, "Alice", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    await sec_b.say("/dues")
    await alice.say("/dues")
    await alice.tap("🧾 Report a payment")
    await alice.say("2030-03")
    await alice.say("3")  # through May: two months ahead, and the branch has not agreed
    assert ("That pays ahead, and your branch has not agreed to payments ahead: the last month "
            "can be this month at most.") in alice.last_text

    await sec_b.forge(f"fee:ahd:{s.branch_a}")  # another branch's secretary: refused
    assert "not allowed" in sec_b.alerts()[-1]
    await sec_a.say("/dues")
    await sec_a.tap("⏩ Paying ahead: 0 months")
    assert ("How far ahead may the members of Branch A pay, after this month? Now: 0 months."
            in sec_a.last_text)
    await sec_a.tap("2 months (a quarter at once)")
    assert "Members may now pay up to 2 months ahead." in sec_a.last_text
    assert "⏩ Paying ahead: 2 months" in sec_a.buttons()
    assert bot.app is not None
    async with bot.app.database.session() as session:
        org = await session.get(PartyOrganization, s.branch_a)
        assert org is not None and org.dues_months_ahead == 2

    await alice.say("4")  # the flow is still open: one month past the branch's limit
    assert ("That pays too far ahead: your branch lets members pay at most 2 months after this "
            "month.") in alice.last_text
    await alice.say("3")
    assert "How much was paid, in yuan?" in alice.last_text
    await alice.say("45")
    await alice.tap("Cash")
    await alice.say("2030-03-09")
    await alice.tap("🧾 Report it")
    assert "Reported for 2030-03–2030-05" in alice.last_text
    assert [month for month, _, _ in await payments(bot, alice_person)] == [
        "2030-03", "2030-04", "2030-05"]

    # A year: the secretary may record up to 11 months after this one, not 12.
    await sec_a.say("/dues")
    await sec_a.tap("⏩ Paying ahead: 2 months")
    await sec_a.tap("11 months (a year at once)")
    await sec_a.tap("✍️ Record a payment")
    await sec_a.tap("Bob Li")
    await sec_a.say("2030-03")
    await sec_a.say("13")
    assert ("at most 11 months after this month can be recorded (the branch's limit, at least "
            "a quarter)") in sec_a.last_text
    await sec_a.say("12")
    assert "How much was paid" in sec_a.last_text
    bot.assert_all_accepted()


async def test_a_secretary_records_a_quarter_ahead_without_the_setting(bot: Bot) -> None:
    """Recording it is the branch's consent: a quarter, though members may pay none ahead."""
    s = await fixed(bot)
    bob_person = await person_of(bot, s.bob)
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    await bot.person(BOB, "Bob", language_code="en").say("/dues")
    await sec_a.say("/dues")
    await sec_a.tap("✍️ Record a payment")
    await sec_a.tap("Bob Li")
    await sec_a.say("2030-03")
    await sec_a.say("4")
    assert "at most 2 months after this month can be recorded" in sec_a.last_text
    await sec_a.say("3")
    await sec_a.say("30")
    await sec_a.tap("Cash")
    await sec_a.say("2030-03-10")
    await sec_a.tap("The member")
    await sec_a.tap("✅ Record it")
    assert "✅ Recorded for 2030-03–2030-05." in sec_a.last_text
    assert await payments(bot, bob_person) == [
        (month, 1000, DuesPaymentState.CONFIRMED) for month in ("2030-03", "2030-04", "2030-05")]
    bot.assert_all_accepted()


async def test_the_secretary_sets_a_members_standard(bot: Bot) -> None:
    s = await fixed(bot)
    alice_person, bob_person = await person_of(bot, s.alice), await person_of(bot, s.bob)
    alice = bot.person(ALICE, "Alice", language_code="en")
    bob = bot.person(BOB, "Bob", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    await alice.say("/dues")
    await bob.say("/dues")
    await sec_a.say("/dues")
    await sec_a.tap("✏️ Set a member's standard")
    assert "Whose standard? Pick the member." in sec_a.last_text
    await sec_a.tap("Alice Wang")
    assert "Which describes Alice Wang this year?" in sec_a.last_text
    await sec_a.tap("Employed (share of the monthly base pay)")
    assert "Type Alice Wang's monthly base pay in yuan" in sec_a.last_text
    await sec_a.say("much")
    assert "Please type a number" in sec_a.last_text
    await sec_a.say("8000")
    text = sec_a.last_text
    assert "Set this standard for Alice Wang for 2030? It is saved as confirmed." in text
    assert "Monthly base: 8000.00 yuan" in text and "Dues: 120.00 yuan a month." in text
    await sec_a.tap("✅ Set it")
    assert "✅ Standard set for Alice Wang: 120.00 yuan a month." in sec_a.last_text
    assert ("Your secretary set your Party dues standard for 2030: Employed (share of the "
            "monthly base pay), 120.00 yuan a month.") in alice.last_text
    await alice.say("/dues")
    assert ("Standard: Employed (share of the monthly base pay), 120.00 yuan a month."
            in alice.last_text)
    assert "not confirmed" not in alice.last_text

    # A farmer's amount outside the standard's range is refused and asked again.
    await sec_a.tap("✏️ Set a member's standard")
    await sec_a.tap("Bob Li")
    await sec_a.tap("Farmer (a fixed amount)")
    assert "Type the monthly amount the branch set for Bob Li, from 0.20 to 1.00 yuan." in (
        sec_a.last_text)
    await sec_a.say("1.5")
    assert "A farmer's monthly dues lie between 0.20 and 1.00 yuan." in sec_a.last_text
    await sec_a.say("0.5")
    await sec_a.tap("✅ Set it")
    assert "Standard set for Bob Li: 0.50 yuan a month." in sec_a.last_text
    assert bot.app is not None
    async with bot.app.database.session() as session:
        profiles = {p.person_id: p for p in await session.scalars(select(DuesProfile))}
        assert profiles[alice_person].base_fen == 800_000
        assert profiles[alice_person].confirmed_by == SEC_A
        assert profiles[bob_person].category is DuesCategory.FARMER
        assert profiles[bob_person].fixed_fen == 50
        audited = [str(e.details) for e in await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dues.profile"))]
    assert len(audited) == 2 and not any("8000" in line for line in audited)  # bases unlogged
    bot.assert_all_accepted()


@pytest.fixture
async def provincial(database_url: str) -> AsyncIterator[Bot]:
    """A bot whose province sets its own standard: 1% of a base up to 5,000, 3% above."""
    async for running in running_bot(
            database_url, dues_standard={"employed": [[5000, 1], [None, 3]]}):
        yield running


async def test_the_provinces_standard_sets_the_monthly_amount(provincial: Bot) -> None:
    bot = provincial
    await fixed(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/dues")
    await alice.tap("📝 State my dues base")
    await alice.tap("Employed (share of the monthly base pay)")
    await alice.say("6000")
    assert "Your dues: 180.00 yuan a month." in alice.last_text  # 2008: 90.00
    await alice.tap("📝 Save")
    assert "Standard: Employed (share of the monthly base pay), 180.00 yuan a month." in (
        alice.last_text)
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    await sec_a.say("/dues")
    assert "• Alice Wang: Employed (share of the monthly base pay), 180.00 yuan a month" in (
        sec_a.last_text)
    assert NOW.year == 2030
    bot.assert_all_accepted()


# -- a branch's year of dues -----------------------------------------------------------------

YEAR_REMINDER = "📋 Reminder: Party dues collection ({month})"


def at(day: date) -> datetime:
    return datetime.combine(day, time(2), UTC)  # 10:00 in Shanghai


async def plan_month(w: World, month: int) -> None:
    """The planner and the courier, day by day (10:00 local) through the month."""
    day = date(2030, month, 1)
    while day.month == month:
        await w.plan(at(day))
        day += timedelta(days=1)


def reminded(w: World, telegram_id: int, month: str) -> int:
    return sum(YEAR_REMINDER.format(month=month) in text for text in w.texts(telegram_id))


async def test_a_branchs_year_of_dues(bot: Bot) -> None:
    """January: Alice pays a quarter ahead (the branch agreed), Bob pays nothing; the collection
    day reminds Bob only. February: Bob's January (补缴) and February are paid by his wife
    (代缴). March: the reminder again skips Alice. December: the month for both at once. The
    ledger holds every row of it."""
    w = await world(bot)
    await joined_at(w, T0)
    alice_m, bob_m = await membership_of(w, ALICE_Y), await membership_of(w, BOB_Y)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        for person, base in ((alice_m.person_id, 6000), (bob_m.person_id, 3000)):
            await dues.set_profile(session, person, 2030, DuesCategory.EMPLOYED,
                                   base=Decimal(base), fixed=None, by=SECRETARY_Y,
                                   confirmed=True, now=T0)
    sec = bot.person(SECRETARY_Y, "Sec", language_code="en")
    alice = bot.person(ALICE_Y, "Alice", language_code="en")
    bob = bot.person(BOB_Y, "Bob", language_code="en")

    w.clock[0] = at(date(2030, 1, 8))
    await sec.say("/dues")
    await sec.tap("⏩ Paying ahead: 0 months")
    await sec.tap("2 months (a quarter at once)")
    await alice.say("/dues")
    await alice.tap("🧾 Report a payment")
    for typed in ("2030-01", "3"):
        await alice.say(typed)
    await alice.tap("270.00 yuan")
    await alice.tap("Bank transfer")
    await alice.say("2030-01-08")
    await alice.tap("🧾 Report it")
    await sec.tap("✅ Confirm")
    assert "Confirmed for Name 81002: 2030-01–2030-03." in sec.last_text

    await plan_month(w, 2)
    assert reminded(w, BOB_Y, "2030-02") == 1  # at most once a month
    assert reminded(w, ALICE_Y, "2030-02") == 0  # paid ahead

    w.clock[0] = at(date(2030, 2, 20))
    await sec.say("/dues")
    assert "• Name 81003: 2 months (2030-01–2030-02)" in sec.last_text
    await sec.tap("✍️ Record a payment")
    await sec.tap("Name 81003")
    for typed in ("2030-01", "2"):
        await sec.say(typed)
    await sec.tap("30.00 yuan")
    await sec.tap("Cash")
    await sec.say("2030-02-20")
    await sec.tap("Someone else for them")
    await sec.say("Li Hua")
    await sec.tap("✅ Record it")
    assert "✅ Recorded for 2030-01–2030-02." in sec.last_text
    assert "paid for you by Li Hua" in bob.last_text

    await plan_month(w, 3)
    assert reminded(w, BOB_Y, "2030-03") == 1
    assert reminded(w, ALICE_Y, "2030-03") == 0

    w.clock[0] = at(date(2030, 12, 15))
    await sec.say("/dues")
    await sec.tap("👥 One month for many")
    for name in ("Name 81002", "Name 81003"):
        await sec.tap(name)
    await sec.tap("Next (2 ticked) ›")
    await sec.say("2030-12")
    await sec.tap("Online payment")
    await sec.say("2030-12-15")
    await sec.tap("✅ Record them")
    assert "2030-12 recorded for 2 members." in sec.last_text

    await sec.tap("📊 Dues ledger (.xlsx)")
    [document] = [m for m in bot.emulator.bot_messages(SECRETARY_Y) if m.kind == "document"]
    assert document.file_id is not None
    book = load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    assert book.sheetnames == ["Year per member", *(f"2030-{n:02d}" for n in range(1, 13))]

    def rows(sheet: str) -> dict[str, list[object]]:
        return {str(row[0]): list(row[1:]) for row in book[sheet].iter_rows(
            min_row=3, values_only=True) if row[0] and row[0] != "Total"}

    january, february, march = rows("2030-01"), rows("2030-02"), rows("2030-03")
    assert january["Name 81002"] == [90, 90, datetime(2030, 1, 8), "Bank transfer", "paid", None]
    assert january["Name 81003"] == [15, 15, datetime(2030, 2, 20), "Cash", "paid", "Li Hua"]
    assert february["Name 81003"] == [15, 15, datetime(2030, 2, 20), "Cash", "paid", "Li Hua"]
    assert march["Name 81002"][:5] == [90, 90, datetime(2030, 1, 8), "Bank transfer", "paid"]
    assert march["Name 81003"] == [15, None, None, None, "owed", None]
    assert rows("2030-12")["Name 81003"][4:] == ["paid", None]
    year = {str(row[0]): list(row[1:]) for row in book["Year per member"].iter_rows(
        min_row=7, values_only=True) if row[0]}
    assert year["Name 81002"] == [90, 90, 90, 90, *["owed"] * 8, 90, 360]
    assert year["Name 81003"] == [15, 15, 15, *["owed"] * 9, 15, 45]
    assert year["The year's total (confirmed)"][-1] == 405
    bot.assert_all_accepted()
