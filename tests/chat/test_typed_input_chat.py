"""What people type in other scripts, invisible characters and absurd numbers: each is asked
again with a clear reason (never "Sorry, something went wrong"), and what is stored is clean.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.kit.i18n import translator
from storage.models import Duty, Meeting, Person, TrainingRecord
from tests.chat.test_checkin_chat import SEC
from tests.chat.test_checkin_chat import person as checkin_person
from tests.chat.test_checkin_chat import seed as checkin_seed
from tests.chat.test_duties_chat import press as duty_press
from tests.chat.test_duties_chat import say as duty_say
from tests.chat.test_duties_chat import world as duty_world
from tests.chat.test_registration import seed_branch
from tests.chat.test_training_chat import ALICE, build_world, today, who
from tests.chat.test_training_chat import press as training_press
from tests.chat.test_training_chat import say as training_say
from tests.harness import ADMIN_ID, Bot

t = translator("en")
CRASH = "something went wrong"
ETHIOPIC_ONE = "\u1369"  # ፩: a digit to str.isdigit(), not to int()
ARABIC_INDIC_15 = "\u0661\u0665"  # ١٥


async def test_duty_numbers_in_other_scripts_are_asked_again(bot: Bot) -> None:
    w = await duty_world(bot)
    admin = w.who(ADMIN_ID)
    await w.plan(w.clock[0])
    await duty_say(admin, "/duties")
    await duty_press(admin, "Party dues collection")
    await duty_press(admin, "✏️ Day")
    for typed in (ETHIOPIC_ONE, ARABIC_INDIC_15, "²", "9" * 5000):
        answer = await duty_say(admin, typed)
        assert CRASH not in answer
        assert "Please type a number." in answer
    assert "10 → 15?" in await duty_say(admin, "１５")  # full-width digits of Chinese input
    await duty_press(admin, "‹ Back")
    await duty_press(admin, "✏️ Reminder days")
    for typed in (f"7, {ETHIOPIC_ONE}", ARABIC_INDIC_15, "9" * 5000):
        answer = await duty_say(admin, typed)
        assert CRASH not in answer and "whole numbers from 0 to 180" in answer

    await admin.say("/duties")
    await duty_press(admin, "➕ Add a deadline for everyone")
    await duty_say(admin, "Monthly statistics report")
    await duty_press(admin, "Monthly")
    for typed in (ETHIOPIC_ONE, ARABIC_INDIC_15):
        answer = await duty_say(admin, typed)
        assert CRASH not in answer and "from 1 to 31" in answer
    assert bot.app is not None
    async with bot.app.database.session() as s:
        dues = await s.scalar(select(Duty).where(Duty.code == "dues"))
        assert dues is not None and dues.day == 10


async def test_training_length_title_and_organizer_typed_badly(bot: Bot) -> None:
    await build_world(bot)
    alice = who(bot, ALICE)
    await alice.say("/training")
    await training_press(alice, "➕ Log a training")
    await training_press(alice, "Online study")
    empty_title = t(
        "Please type the title of the training (letters or digits, not only punctuation)."
    )
    assert await training_say(alice, "\u3164") == empty_title  # HANGUL FILLER
    assert await training_say(alice, "\u200b\u2066") == empty_title
    assert "Who organized it?" in await training_say(alice, "\u202eParty history\u200b")
    assert "organizer" in await training_say(alice, "\u3164\u115f")
    assert "On which day did it start?" in await training_say(alice, "District\u202e School")
    yesterday = today() - timedelta(days=1)
    await training_say(alice, yesterday.isoformat())
    assert "How many hours" in await training_say(alice, yesterday.isoformat())
    for typed in ("1" + "0" * 29, "9" * 5000, "1" * 30 + "天"):
        too_many = await training_say(alice, typed)
        assert CRASH not in too_many and "allow at most 24 hours" in too_many
    not_a_number = t("Please type a number, for example 6 or 1.5.")
    for typed in (ETHIOPIC_ONE, ARABIC_INDIC_15, "1e3", "NaN", "1." + "5" * 30):
        assert await training_say(alice, typed) == not_a_number
    assert "Attach evidence" in await training_say(alice, "６")
    await training_press(alice, "Skip")
    await training_press(alice, "✅ Submit")
    assert bot.app is not None
    async with bot.app.database.session() as s:
        record = await s.scalar(select(TrainingRecord))
        assert record is not None
        assert (record.title, record.organizer, record.minutes) == (
            "Party history", "District School", 360)


async def test_invisible_names_and_short_phones_are_refused_at_registration(bot: Bot) -> None:
    _, code = await seed_branch(bot)
    member = bot.person(1001, "Alice")
    await member.say(f"/start {code}")
    await member.tap("中文")
    zh = translator("zh")
    for typed in ("\u3164", "\u115f\u1160", "\u200b\u200b", "\uffa0"):
        assert zh("Please type something.") in (await member.say(typed))[-1].text
    assert "\u3164" not in zh("A name has only letters (and · or - between parts). Please "
                              "retype it.")
    await member.say("王\u3164丽")
    assert zh("A name has only letters (and · or - between parts). Please retype it.") in (
        member.last_text)
    await member.say("\u202e王丽")
    await member.tap("正式党员")
    await member.say("２０１５－０７－０１")
    replies = await member.share_contact("12345")
    assert zh("That does not look like a phone number (7 to 15 digits, optionally starting "
              "with +).") in replies[-1].text
    await member.share_contact("+86 138 0000 1234")
    assert "请核对" in member.last_text
    await member.tap("✅ 提交")
    assert bot.app is not None
    async with bot.app.database.session() as s:
        person = await s.scalar(select(Person).where(Person.telegram_id == 1001))
        assert person is not None
        assert (person.real_name, person.phone) == ("王丽", "+8613800001234")


async def test_minutes_keep_their_lines_but_not_bidi_overrides(bot: Bot) -> None:
    w = await checkin_seed(bot)
    sec = checkin_person(bot, SEC)
    await sec.say("/checkin")
    await sec.tap("Open check-in")
    await sec.tap("📋 Roster")
    await sec.tap("🏁 Close meeting")
    assert "Type the minutes" in sec.last_text
    await sec.say("\u3164\n\u200b\u2066")
    assert sec.last_text == "Please type something."
    await sec.say("\u202eStudied chapter 5.\u202c\nDecided:\u200b a theme day.")
    assert "Minutes noted" in sec.last_text
    await sec.tap("Done")
    await sec.tap("🔒 Close and freeze")
    assert bot.app is not None
    async with bot.app.database.session() as session:
        meeting = await session.get(Meeting, w.meeting)
        assert meeting is not None
        assert meeting.minutes == "Studied chapter 5.\nDecided: a theme day."


async def test_an_absurd_yearly_requirement_is_called_too_large(bot: Bot) -> None:
    await build_world(bot)
    admin = who(bot, ADMIN_ID)
    await admin.say("/training")
    await training_press(admin, "Harbour Committee")
    await training_press(admin, "🎯 Yearly requirement")
    await training_press(admin, "✏️ Set: Party members")
    for typed in ("1" + "0" * 29, "9" * 5000 + " days"):
        answer = await training_say(admin, typed)
        assert CRASH not in answer and "more than 50 days (400 h) a year" in answer
    assert "Please type a number" in await training_say(admin, ETHIOPIC_ONE)
    assert "must be more than zero" in await training_say(admin, "０")
