"""/talks through the chat (issue 17, 谈心谈话): the secretary records two talks and the "not
talked with yet" list shrinks; a member is refused; another branch's secretary forging presses
for branch A changes nothing; the 党委 secretary above picks the branch first; a committee
member records a talk too; the year's talks are in the ledger workbook. The bot runs on a fixed
clock (10:00 in Shanghai on Sunday 2030-03-10)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select, update

from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.i18n import translator
from rules.vocabulary import MemberRole
from storage.models import AuditEvent, Membership, Person, Talk
from tests.chat.test_members_chat import ALICE, BOB, SEC_A, SEC_B, UPPER_SEC, Seed, seed
from tests.harness import Bot

NOW = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)
t = translator("en")


async def fixed(bot: Bot) -> Seed:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    return await seed(bot)


async def stored(bot: Bot) -> list[tuple[date, str, str, str, int]]:
    """Every talk: day, with whom, by whom, topic, who recorded it."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        by = Person.__table__.alias("by")
        rows = await session.execute(
            select(Talk.held_on, Person.real_name, by.c.real_name, Talk.topic, Talk.created_by)
            .join(Person, Person.id == Talk.person_id)
            .join(by, by.c.id == Talk.by_person_id)
            .order_by(Talk.id))
        return [(day, name, by_name, topic, by) for day, name, by_name, topic, by in rows.all()]


async def test_the_secretary_records_two_talks_and_the_list_shrinks(bot: Bot) -> None:
    await fixed(bot)
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    await alice.say("/start")
    seen_by_alice = len(alice.texts())

    await sec_a.say("/talks")
    assert "One-to-one talks of Branch A" in sec_a.last_text
    assert "0 talks recorded this year." in sec_a.last_text
    assert "Not talked with yet this year: 2" in sec_a.last_text
    assert "Alice Wang, Bob Li" in sec_a.last_text

    await sec_a.tap("📝 Record a talk")
    assert "With whom was the talk?" in sec_a.last_text
    assert sec_a.buttons()[:2] == ["Alice Wang", "Bob Li"]
    await sec_a.tap("Alice Wang")
    assert "On which day was the talk?" in sec_a.last_text
    await sec_a.say("2030-03-11")
    assert "That date is in the future" in sec_a.last_text
    await sec_a.say("2028-12-31")
    assert "That date is too early" in sec_a.last_text
    await sec_a.say("2030-03-09")
    assert "What was it about" in sec_a.last_text
    await sec_a.say("x" * 101)
    assert "That is too long (at most 100 characters)." in sec_a.last_text
    await sec_a.say("  Work and family  ")
    assert "Record this talk?" in sec_a.last_text
    assert "With: Alice Wang" in sec_a.last_text and "By: " in sec_a.last_text
    assert "On: 2030-03-09" in sec_a.last_text and "Topic: Work and family" in sec_a.last_text
    await sec_a.tap("✅ Record it")
    assert "Talk with Alice Wang on 2030-03-09 recorded." in sec_a.last_text
    assert "1 talk recorded this year." in sec_a.last_text
    assert "Not talked with yet this year: 1" in sec_a.last_text
    assert "Alice Wang" not in sec_a.last_text.split("Not talked with yet")[1].split("\n\n")[0]
    assert "• 2030-03-09: Alice Wang, by " in sec_a.last_text

    await sec_a.tap("📝 Record a talk")
    assert sec_a.buttons()[:2] == ["Bob Li", "Alice Wang · ✓ 1"]  # not talked with yet first
    await sec_a.tap("Bob Li")
    await sec_a.tap("Yesterday")
    await sec_a.say("Studies")
    await sec_a.tap("✅ Record it")
    assert "2 talks recorded this year." in sec_a.last_text
    assert "Everyone has been talked with this year." in sec_a.last_text

    talks = await stored(bot)
    assert [(day, name, topic, by) for day, name, _, topic, by in talks] == [
        (date(2030, 3, 9), "Alice Wang", "Work and family", SEC_A),
        (date(2030, 3, 9), "Bob Li", "Studies", SEC_A)]
    assert len({by_name for _, _, by_name, _, _ in talks}) == 1
    # The member is not told (a hint for the leaders, no notification), and the audit keeps
    # that a talk was recorded, not what about.
    assert len(alice.texts()) == seen_by_alice
    assert bot.app is not None
    async with bot.app.database.session() as session:
        details = (await session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "talk.recorded"))).all()
    assert len(details) == 2 and not any("Studies" in str(d) for d in details)


async def test_a_member_is_refused_and_a_forged_press_for_another_branch_changes_nothing(
        bot: Bot) -> None:
    s = await fixed(bot)
    alice = bot.person(ALICE, "Alice", language_code="en")
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    await alice.say("/talks")
    assert alice.last_text == t(NOT_ALLOWED)
    await alice.forge(f"tk:br:{s.branch_a}:0")
    assert alice.alerts()[-1] == t(NOT_ALLOWED)

    await sec_b.say("/talks")
    assert "One-to-one talks of Branch B" in sec_b.last_text
    assert "Alice" not in sec_b.last_text
    for data in (f"tk:br:{s.branch_a}:0", f"tk:new:{s.branch_a}"):
        await sec_b.forge(data)
        assert sec_b.alerts()[-1] == t(NOT_ALLOWED), data
    # Inside a flow for branch B, a forged pick of branch A's member is refused too.
    await sec_b.tap("📝 Record a talk")
    assert "Alice" not in " ".join(sec_b.buttons())
    assert bot.app is not None
    async with bot.app.database.session() as session:
        alice_person = await session.scalar(
            select(Membership.person_id).where(Membership.id == s.alice))
    await sec_b.forge(f"tk:pm:{alice_person}")
    assert sec_b.alerts()[-1] in (t(NOT_ALLOWED), t(STALE_BUTTON))
    assert "On which day" not in sec_b.last_text
    assert await stored(bot) == []


async def test_the_secretary_above_picks_the_branch_and_a_committee_member_records(
        bot: Bot) -> None:
    s = await fixed(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await session.execute(update(Membership).where(Membership.id == s.bob)
                              .values(role=MemberRole.COMMITTEE_MEMBER))
    upper = bot.person(UPPER_SEC, "Upper", language_code="en")
    await upper.say("/talks")
    assert "Whose one-to-one talks? Pick an organization." in upper.last_text
    await upper.tap("Branch A")
    assert "One-to-one talks of Branch A" in upper.last_text
    assert "Alice Wang, Bob Li" in upper.last_text  # a committee member is talked with too
    assert "‹ Back" in upper.buttons()

    bob = bot.person(BOB, "Bob", language_code="en")
    await bob.say("/talks")
    assert "One-to-one talks of Branch A" in bob.last_text
    await bob.tap("📝 Record a talk")
    assert "Bob Li" not in bob.buttons()  # not with oneself
    await bob.tap("Alice Wang")
    await bob.tap("Today")
    await bob.say("Volunteering")
    await bob.tap("✅ Record it")
    assert "Talk with Alice Wang on 2030-03-10 recorded." in bob.last_text
    [(_, name, by_name, _, by)] = await stored(bot)
    assert (name, by_name, by) == ("Alice Wang", "Bob Li", BOB)

    # The year's talks are in the branch's ledger workbook.
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    await sec_a.say("/talks")
    await sec_a.forge(f"lg:xlsx:{s.branch_a}:ty")
    await bot.settle()
    document = next(m for m in reversed(bot.emulator.bot_messages(SEC_A))
                    if m.kind == "document")
    sheet = load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id))).worksheets[0]
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    title = next(i for i, row in enumerate(cells) if row[0] == "One-to-one talks")
    assert list(cells[title + 1][:4]) == ["Date", "With whom", "By whom", "Topic"]
    assert list(cells[title + 2][1:4]) == ["Alice Wang", "Bob Li", "Volunteering"]
