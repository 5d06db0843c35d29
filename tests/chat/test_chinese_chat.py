"""Chinese-speaking members of an English-speaking secretary's branch read every message about
their meetings in Chinese: the invitation, the leave request and its answer, a postponement and
a cancellation (before, the replies were sent in English). The end-of-test check in
tests/conftest.py fails on any catalog English they were shown."""

from __future__ import annotations

from sqlalchemy import update

from handlers.kit.i18n import translator
from rules.vocabulary import MemberRole
from storage import people
from storage.models import Membership, Person
from tests.chat.test_meetings_chat import (
    ALICE,
    BOB,
    COM,
    DAN,
    SEC,
    invitation,
    local,
    people_of,
    schedule_by_chat,
    seed,
    two_assemblies,
)
from tests.harness import Bot

zh = translator("zh")
CHINESE = (COM, ALICE, BOB, DAN)


async def chinese_members(bot: Bot, deputy: int | None = None) -> None:
    """Some members read Chinese; `deputy` becomes a deputy secretary (a leader) as well."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await session.execute(
            update(Person).where(Person.telegram_id.in_(CHINESE)).values(language="zh"))
        if deputy is not None:
            person = await people.person_by_telegram_id(session, deputy)
            assert person is not None
            await session.execute(update(Membership).where(Membership.person_id == person.id)
                                  .values(role=MemberRole.DEPUTY_SECRETARY))


async def test_leave_asked_and_decided_reads_chinese_to_chinese_members(bot: Bot) -> None:
    await seed(bot)
    await chinese_members(bot, deputy=COM)
    crowd = people_of(bot)
    sec, bob = crowd[SEC], crowd[BOB]
    await schedule_by_chat(bot, sec, "Branch general assembly", local(5))
    await sec.tap("✅ Schedule")
    assert invitation(bob) is None  # the invitation is in Chinese
    await bob.tap(zh.as_plain("🙋 Ask for leave"))
    await bob.say("家里有事")
    request = sec.last
    await sec.tap("✅ Approve leave", request.message_id)
    assert "您的请假已获批准" in bob.last_text
    # The deputy secretary, a leader too, got the request with Chinese buttons.
    asked = [m for m in bot.emulator.bot_messages(COM) if "家里有事" in m.text]
    assert asked and {b.text for b in asked[-1].buttons} >= {
        zh.as_plain("✅ Approve leave"), zh.as_plain("❌ Refuse")}


async def test_postponed_and_cancelled_meetings_read_chinese(bot: Bot) -> None:
    world = await seed(bot)
    await chinese_members(bot)
    crowd = people_of(bot)
    sec = crowd[SEC]
    one, two = await two_assemblies(bot, world.branch_a)
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{one.id}")
    await sec.tap("⏰ Postpone")
    await sec.say(local(7, "15:00"))
    assert "会议改期" in crowd[ALICE].last_text
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{two.id}")
    await sec.tap("✖ Cancel meeting")
    await sec.tap("Yes, cancel the meeting")
    await sec.say("The hall is being repaired")
    assert "会议已取消" in crowd[ALICE].last_text


async def test_role_change_and_transfer_read_chinese(bot: Bot) -> None:
    from tests.chat.test_members_chat import ALICE as M_ALICE
    from tests.chat.test_members_chat import BOB as M_BOB
    from tests.chat.test_members_chat import SEC_A
    from tests.chat.test_members_chat import seed as seed_members

    s = await seed_members(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await session.execute(
            update(Person).where(Person.telegram_id.in_((M_ALICE, M_BOB))).values(language="zh"))
    secretary = bot.person(SEC_A, "Sec A", language_code="en")
    alice, bob = bot.person(M_ALICE, "Alice"), bot.person(M_BOB, "Bob")
    await alice.say("/start")
    await bob.say("/start")
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{s.alice}")
    await secretary.tap("Role")
    await secretary.tap("Committee member")
    assert "您在Branch A的职务现为：" in alice.last_text
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{s.bob}")
    await secretary.tap("📨 Transfer")
    await secretary.tap("An organization outside the bot")
    await secretary.say("Riverside Street Committee")
    await secretary.tap("📨 Issue the letter")
    assert "你的组织关系已凭介绍信" in bob.last_text
    assert "转往Riverside Street Committee" in bob.last_text


async def test_check_in_and_catch_up_read_chinese(bot: Bot) -> None:
    from tests.chat.test_checkin_chat import ALICE as C_ALICE
    from tests.chat.test_checkin_chat import DAVE as C_DAVE
    from tests.chat.test_checkin_chat import SEC as C_SEC
    from tests.chat.test_checkin_chat import person
    from tests.chat.test_checkin_chat import seed as seed_checkin

    await seed_checkin(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        await session.execute(
            update(Person).where(Person.telegram_id.in_((C_ALICE, C_DAVE))).values(language="zh"))
    sec, alice, dave = person(bot, C_SEC), person(bot, C_ALICE), person(bot, C_DAVE)
    await sec.say("/checkin")
    await sec.tap("Open check-in")
    await alice.tap(zh.as_plain("✅ Check in"))
    await sec.tap("🏁 Close meeting")
    await sec.say("Studied the constitution, chapter 5.")
    await sec.tap("Done")
    await sec.tap("🔒 Close and freeze")
    assert dave.buttons() == [zh.as_plain("✅ I have caught up")] == ["✅ 我已补学"]


async def test_the_bots_profile_describes_it_in_chinese_and_english(bot: Bot) -> None:
    """Before anyone presses Start, Telegram shows the bot's description: Chinese by default,
    English to English readers."""
    assert bot.app is not None
    chinese = await bot.app.bot.get_my_description()
    english = await bot.app.bot.get_my_description(language_code="en")
    assert "三会一课" in chinese.description and "Press Start" not in chinese.description
    assert "Press Start to begin." in english.description
    short = await bot.app.bot.get_my_short_description(language_code="en")
    assert short.short_description == ("A party branch's everyday work: meetings, training, "
                                       "notices, dues.")
    assert "党" in (await bot.app.bot.get_my_short_description()).short_description
