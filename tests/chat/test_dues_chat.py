"""/dues through the chat (issue 16): a member states their base and reports a payment, the
secretary confirms it (a forged press by another branch's secretary changes nothing); the
secretary records payments (months already recorded are said, not doubled), the owed list
follows, the ledger workbook holds the amounts; an admin sees arrears and totals. The bot runs
on a fixed clock (10:00 in Shanghai on Sunday 2030-03-10)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select, update

from rules.dues import Month
from rules.vocabulary import DuesCategory, DuesMethod, DuesPaymentState, MemberStatus
from storage import dues, people
from storage.models import DuesPayment, Membership, Person
from tests.chat.test_members_chat import ALICE, BOB, SEC_A, SEC_B, Seed, seed
from tests.harness import ADMIN_ID, Bot

NOW = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)
ACTIVIST = 724_001


async def fixed(bot: Bot) -> Seed:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    return await seed(bot)


async def person_of(bot: Bot, membership_id: int) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        found = await session.get(Membership, membership_id)
        assert found is not None
        return found.person_id


async def payments(bot: Bot, person_id: int) -> list[tuple[str, int, DuesPaymentState]]:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        rows = await session.execute(
            select(DuesPayment.year, DuesPayment.month, DuesPayment.amount_fen,
                   DuesPayment.state)
            .where(DuesPayment.person_id == person_id)
            .order_by(DuesPayment.year, DuesPayment.month))
        return [(f"{y}-{m:02d}", fen, state) for y, m, fen, state in rows.all()]


async def test_a_member_reports_and_the_secretary_confirms(bot: Bot) -> None:
    s = await fixed(bot)
    alice_person = await person_of(bot, s.alice)
    alice = bot.person(ALICE, "Alice", language_code="en")
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    await sec_a.say("/dues")  # nothing recorded yet: nobody owes in the bot
    assert "Members owing dues: 3; paid up: 3." in sec_a.last_text

    await alice.say("/dues")
    assert "Your Party dues" in alice.last_text
    assert "Standard: not stated yet" in alice.last_text
    assert "Paid in 2030: none recorded" in alice.last_text

    await alice.tap("📝 State my dues base")
    await alice.tap("Employed (share of the monthly base pay)")
    assert "monthly base pay" in alice.last_text
    await alice.say("lots")
    assert "Please type a number" in alice.last_text
    await alice.say("6000")
    assert "Your dues: 90.00 yuan a month." in alice.last_text
    await alice.tap("📝 Save")
    assert "Your dues base for 2030 was saved." in alice.last_text
    assert "90.00 yuan a month" in alice.last_text and "not confirmed" in alice.last_text
    await sec_a.say("/dues")
    assert ("• Alice Wang: Employed (share of the monthly base pay), 90.00 yuan a month"
            in sec_a.last_text)
    await sec_a.tap("✅ Standard: Alice Wang")
    assert "Standard confirmed for Alice Wang." in sec_a.last_text
    assert "Standards stated" not in sec_a.last_text
    assert ("Your secretary confirmed your Party dues standard for 2030: 90.00 yuan a month."
            in alice.last_text)

    await alice.tap("🧾 Report a payment")
    assert "Which month does the payment begin with?" in alice.last_text
    await alice.say("2030-13")
    assert "Please type a month like 2026-11." in alice.last_text
    await alice.say("2030年1月")
    await alice.say("12")
    assert "your branch has not agreed to payments ahead" in alice.last_text
    await alice.say("2")
    assert "The standard for 2 months is 180.00 yuan" in alice.last_text
    await alice.say("-5")
    assert "Please type a number in the digits 0-9" in alice.last_text
    await alice.say("0")
    assert "The amount must be more than zero." in alice.last_text
    await alice.say("5000")
    assert "more than 10 times the standard" in alice.last_text
    await alice.tap("‹ Back")
    await alice.tap("180.00 yuan")
    await alice.tap("Bank transfer")
    await alice.say("2030-03-11")
    assert "That date is in the future" in alice.last_text
    await alice.say("2030-03-09")
    assert "Report this payment to your secretary?" in alice.last_text
    assert "Amount: 180.00 yuan" in alice.last_text
    await alice.tap("🧾 Report it")
    assert "Reported for 2030-01–2030-02" in alice.last_text
    assert "Reported, waiting for the secretary: 2030-01–2030-02" in alice.last_text
    assert await payments(bot, alice_person) == [
        ("2030-01", 9000, DuesPaymentState.REPORTED), ("2030-02", 9000, DuesPaymentState.REPORTED)]
    assert ("Alice Wang reports paying Party dues for 2030-01–2030-02: 180.00 yuan"
            in sec_a.last_text)

    # Another branch's secretary forges the confirmation: refused, nothing changes.
    await sec_b.say("/dues")
    await sec_b.forge(f"fee:dec:{alice_person}:1")
    assert "not allowed" in sec_b.alerts()[-1]
    assert {state for _, _, state in await payments(bot, alice_person)} == {
        DuesPaymentState.REPORTED}

    await sec_a.tap("✅ Confirm")
    assert "Confirmed for Alice Wang: 2030-01–2030-02." in sec_a.last_text
    assert "Your secretary confirmed your Party dues for 2030-01–2030-02." in alice.last_text
    assert {state for _, _, state in await payments(bot, alice_person)} == {
        DuesPaymentState.CONFIRMED}
    await alice.say("/dues")
    assert "Paid in 2030: 2030-01–2030-02" in alice.last_text
    assert "Owed: 2030-03" in alice.last_text
    bot.assert_all_accepted()


async def test_the_secretary_records_and_exports_the_ledger(bot: Bot) -> None:
    s = await fixed(bot)
    bob_person = await person_of(bot, s.bob)
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    bob = bot.person(BOB, "Bob", language_code="en")
    await bob.say("/dues")
    await sec_a.say("/dues")
    assert "Party dues of Branch A through 2030-03" in sec_a.last_text
    await sec_a.tap("✍️ Record a payment")
    assert "Whose payment?" in sec_a.last_text
    await sec_a.tap("Bob Li")
    await sec_a.say("2030-01")
    await sec_a.say("1")
    assert "How much was paid, in yuan? Type it like 30" in sec_a.last_text
    await sec_a.say("abc")
    assert "Please type a number in the digits 0-9" in sec_a.last_text
    await sec_a.say("12.5")
    await sec_a.tap("Cash")
    await sec_a.say("2030-03-01")
    assert "Who paid?" in sec_a.last_text
    await sec_a.tap("The member")
    assert "Record this payment for Bob Li?" in sec_a.last_text
    assert "Paid for the member by" not in sec_a.last_text
    await sec_a.tap("✅ Record it")
    assert "✅ Recorded for 2030-01." in sec_a.last_text
    # The books opened in January: Bob owes February and March, Alice all three.
    assert "• Bob Li: 2 months (2030-02–2030-03)" in sec_a.last_text
    assert "• Alice Wang: 3 months (2030-01–2030-03)" in sec_a.last_text
    assert "Your branch recorded your Party dues for 2030-01" in bob.last_text

    # January again with February, paid for Bob by his mother (代缴): January is said, not
    # doubled.
    await sec_a.tap("✍️ Record a payment")
    await sec_a.tap("Bob Li")
    await sec_a.say("2030-01")
    await sec_a.say("2")
    await sec_a.say("20")
    await sec_a.tap("Online payment")
    await sec_a.say("2030-03-02")
    await sec_a.tap("Someone else for them")
    assert "Who paid it for them?" in sec_a.last_text
    await sec_a.say("x" * 51)
    assert "That is too long (at most 50 characters)." in sec_a.last_text
    await sec_a.say("  Li   Hua  ")
    assert "Paid for the member by: Li Hua" in sec_a.last_text
    await sec_a.tap("✅ Record it")
    assert "Your branch recorded your Party dues for 2030-02, paid for you by Li Hua." in (
        bob.last_text)
    assert "✅ Recorded for 2030-02." in sec_a.last_text
    assert "Already recorded or reported, so not counted again: 2030-01." in sec_a.last_text
    assert "• Bob Li: 1 month (2030-03)" in sec_a.last_text
    assert await payments(bot, bob_person) == [
        ("2030-01", 1250, DuesPaymentState.CONFIRMED),
        ("2030-02", 2000, DuesPaymentState.CONFIRMED)]
    assert bot.app is not None
    async with bot.app.database.session() as session:
        assert list(await session.scalars(
            select(DuesPayment.paid_by_name).where(DuesPayment.person_id == bob_person)
            .order_by(DuesPayment.month))) == [None, "Li Hua"]

    await sec_a.tap("📊 Dues ledger (.xlsx)")
    [document] = [m for m in bot.emulator.bot_messages(SEC_A) if m.kind == "document"]
    book = load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    assert book.sheetnames[:2] == ["Year per member", "2030-01"]
    january = [[cell for cell in row] for row in book["2030-01"].iter_rows(values_only=True)]
    assert january[1][6] == "Paid by"
    assert ["Bob Li", "not stated", 12.5, datetime(2030, 3, 1), "Cash", "paid", None] in january
    february = [list(row) for row in book["2030-02"].iter_rows(values_only=True)]
    assert ["Bob Li", "not stated", 20, datetime(2030, 3, 2), "Online payment", "paid",
            "Li Hua"] in february
    assert any(row[0] == "Alice Wang" and row[5] == "owed" for row in january)
    year = [list(row) for row in book["Year per member"].iter_rows(values_only=True)]
    bob_row = next(row for row in year if row[0] == "Bob Li")
    assert bob_row[2:4] == [12.5, 20] and bob_row[14] == 32.5
    assert any(row[0] == "The year's total (confirmed)" and row[14] == 32.5 for row in year)
    bot.assert_all_accepted()


async def test_an_admin_sees_arrears_and_totals(bot: Bot) -> None:
    s = await fixed(bot)
    bob_person = await person_of(bot, s.bob)
    assert bot.app is not None
    async with bot.app.database.session() as session:  # the books open in November 2029
        await dues.record_payment(
            session, person_id=bob_person, org_id=s.branch_a,
            months=[Month(2029, 11), Month(2029, 12), Month(2030, 1)], amount=Decimal(45),
            paid_on=date(2030, 1, 5), method=DuesMethod.CASH, by=SEC_A, now=NOW)
        activist = await people.submit_registration(session, people.RegistrationForm(
            telegram_id=ACTIVIST, language="en", real_name="Activist Ma", org_id=s.branch_a,
            status=MemberStatus.ACTIVIST, joined_party_on=None, phone=None, invite_id=None))
        await people.decide_registration(session, activist.id, approve=True, decided_by=SEC_A)
    ma = bot.person(ACTIVIST, "Ma", language_code="en")
    await ma.say("/dues")  # activists owe none, and cannot report any
    assert "Applicants and activists pay no Party dues" in ma.last_text and ma.buttons() == []
    await ma.forge("fee:rep")
    assert "Applicants and activists pay no Party dues" in ma.last_text
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    await admin.say("/dues")
    text = admin.last_text
    assert "Members with 3 or more months unpaid" in text
    assert "• Alice Wang: 5 months" in text  # 2029-11 through 2030-03
    assert "Activist" not in text
    assert "Bob Li" not in text  # 2 months behind
    assert "Branch A: 01: 15.00; year 15.00 yuan" in text

    await admin.tap("🏢 A branch's dues")
    await admin.tap("Branch A")
    assert "Party dues of Branch A through 2030-03" in admin.last_text
    bot.assert_all_accepted()


async def test_the_dues_chat_reads_chinese(bot: Bot) -> None:
    """Chinese readers (the default) go through a report, its confirmation and the overview;
    the harness fails the test on any English they are shown."""
    s = await fixed(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await session.execute(update(Person).values(language="zh"))
    alice = bot.person(ALICE, "Alice")
    sec_a = bot.person(SEC_A, "Sec A")
    admin = bot.person(ADMIN_ID, "Admin")
    await bot.person(BOB, "Bob").say("/dues")
    await sec_a.say("/dues")
    assert "Branch A党费情况" in sec_a.last_text
    await alice.say("/dues")
    assert "您的党费" in alice.last_text
    await alice.tap("🧾 报缴党费")
    await alice.say("2030-02")
    await alice.say("2")
    await alice.say("40")
    await alice.tap("现金")
    await alice.say("2030-03-08")
    await alice.tap("🧾 报缴")
    assert "已报缴2030-02–2030-03的党费，待书记确认。" in alice.last_text
    assert "Alice Wang报缴了2030-02–2030-03的党费：40.00元" in sec_a.last_text
    await sec_a.tap("✅ 确认")
    assert "已确认Alice Wang的党费" in sec_a.last_text
    await sec_a.tap("✍️ 登记党费")
    await sec_a.tap("Bob Li")
    await sec_a.say("2030-02")
    await sec_a.say("2")
    await sec_a.say("abc")
    await sec_a.say("30")
    await sec_a.tap("网上缴纳")
    await sec_a.say("2030-03-09")
    await sec_a.tap("党员本人")
    await sec_a.tap("✅ 登记")
    assert "已登记2030-02–2030-03的党费" in sec_a.last_text
    await admin.say("/dues")
    assert "Branch A：02: 35.00 · 03: 35.00；全年70.00元" in admin.last_text
    assert s.branch_a
    bot.assert_all_accepted()


async def test_the_secretary_records_one_month_for_many(bot: Bot) -> None:
    """"These paid 2030-02 in full": each at their own standard; one already recorded stays as
    it was, one without a standard is left out and said."""
    s = await fixed(bot)
    alice_person, bob_person = await person_of(bot, s.alice), await person_of(bot, s.bob)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await dues.set_profile(session, alice_person, 2030, DuesCategory.EMPLOYED,
                               base=Decimal(6000), fixed=None, by=SEC_A, confirmed=True, now=NOW)
        await dues.set_profile(session, bob_person, 2030, DuesCategory.STUDENT, base=None,
                               fixed=None, by=SEC_A, confirmed=True, now=NOW)
        await dues.record_payment(session, person_id=bob_person, org_id=s.branch_a,
                                  months=[Month(2030, 2)], amount=Decimal("0.2"),
                                  paid_on=date(2030, 2, 3), method=DuesMethod.CASH, by=SEC_A,
                                  now=NOW)
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/dues")
    await sec_a.say("/dues")
    await sec_a.tap("👥 One month for many")
    assert "Who paid the month in full?" in sec_a.last_text
    await sec_a.tap("Next (0 ticked) ›")
    assert "Tick at least one member first." in sec_a.texts()[-1]
    for name in ("Alice Wang", "Bob Li", "Member without a name"):
        await sec_a.tap(name)
    await sec_a.tap("Next (3 ticked) ›")
    await sec_a.say("2030-02")
    await sec_a.tap("Cash")
    await sec_a.say("2030-03-05")
    assert "Record 2030-02 in full for 2 members, each at their monthly standard?" in (
        sec_a.last_text)
    assert "Alice Wang (90.00 yuan), Bob Li (0.20 yuan)" in sec_a.last_text
    assert "Left out, no standard stated yet: Member without a name" in sec_a.last_text
    await sec_a.tap("✅ Record them")
    assert "2030-02 recorded for 1 member." in sec_a.last_text
    assert "Already recorded before, left as they were: Bob Li" in sec_a.last_text
    assert await payments(bot, alice_person) == [("2030-02", 9000, DuesPaymentState.CONFIRMED)]
    assert await payments(bot, bob_person) == [("2030-02", 20, DuesPaymentState.CONFIRMED)]
    assert "Your branch recorded your Party dues for 2030-02" in alice.last_text
