"""Dates typed as people type them (明天 9:00, 下周三 14:30, 12月5日 14:30, 5/12 14:30) or
picked with quick buttons, echoed with the weekday before the flow goes on (handlers/
date_input.py), in every date step: scheduling and postponing a meeting, a notice's send time,
the join date at registration, a deadline's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from handlers.kit.chat import STALE_BUTTON
from handlers.kit.i18n import translator
from rules.vocabulary import MeetingKind, NoticeState
from storage import meetings as meeting_store
from storage.meetings import MeetingPlan
from storage.models import Meeting, Membership, Notice, Person
from tests.chat.test_duties_chat import SEC_A as DUTY_SEC
from tests.chat.test_duties_chat import press as duty_press
from tests.chat.test_duties_chat import say as duty_say
from tests.chat.test_duties_chat import world as duty_world
from tests.chat.test_meetings_chat import SEC, TZ, Seed, meetings_in_db, people_of, seed
from tests.chat.test_notices_chat import build as notice_world
from tests.chat.test_notices_chat import compose
from tests.chat.test_notices_chat import who as notice_who
from tests.chat.test_registration import seed_branch
from tests.harness import ADMIN_ID, Bot

NOW = datetime(2027, 1, 8, 10, 0, tzinfo=TZ)  # a Friday; ahead of the wall clock
zh = translator("zh")
en = translator("en")


async def world(bot: Bot, language: str) -> tuple[Any, Seed]:
    """Branch A's secretary speaking `language`, on the bot's clock set to NOW."""
    assert bot.app is not None
    seeded = await seed(bot)
    crowd = people_of(bot)
    async with bot.app.database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == SEC))
        assert person is not None
        person.language = language
    bot.app.courier.clock = lambda: NOW
    return crowd[SEC], seeded


async def test_chinese_secretary_types_the_start_and_confirms_the_echo(bot: Bot) -> None:
    sec, _ = await world(bot, "zh")
    await sec.say("/schedule")
    await sec.tap(zh("Branch general assembly"))
    quick = sec.buttons()
    assert "今天 · 1月8日 周五" in quick and "明天 · 1月9日 周六" in quick, quick
    assert "下周五 · 1月15日" in quick, quick

    await sec.say("明天 9:00")
    assert "1月9日 周六 09:00" in sec.last_text, sec.last_text
    assert sec.buttons()[:2] == [zh("✅ Yes"), zh("✏️ Change")]
    await sec.tap(zh("✏️ Change"))
    await sec.say("12月5日 14:30")  # no year: the next 5 December
    assert "我理解为：12月5日 周日 14:30。对吗？" == sec.last_text
    await sec.tap(zh("✏️ Change"))
    await sec.say("1月5日 14:30")  # already past this year: next year's, named with its year
    assert "2028年1月5日 周三 14:30" in sec.last_text, sec.last_text
    await sec.tap(zh("✏️ Change"))
    await sec.say("下周三 14:30")
    assert "1月13日 周三 14:30" in sec.last_text, sec.last_text
    await sec.tap(zh("✅ Yes"))
    assert sec.saw("🗓 1月13日 周三 14:30")
    assert sec.last_text == zh("How long is it?")

    await sec.tap(zh("1.5 h"))
    await sec.say("302室")
    await sec.say("学习党章")
    await sec.tap(zh.as_plain("Me ({name})", name="Sally Sec"))
    await sec.say("Rita")
    await sec.tap(zh("Once"))
    await sec.tap(zh("✅ Schedule"))
    (meeting,) = await meetings_in_db(bot)
    assert meeting.starts_at == datetime(2027, 1, 13, 14, 30, tzinfo=TZ)


async def test_quick_buttons_pick_a_day_then_a_time(bot: Bot) -> None:
    sec, _ = await world(bot, "en")
    await sec.say("/schedule")
    await sec.tap("Branch general assembly")
    await sec.tap("Next Fri · 15 Jan")
    assert "Fri 15 Jan: at what time?" in sec.last_text, sec.last_text
    await sec.tap("14:30")
    assert sec.saw("🗓 Fri 15 Jan 14:30")
    assert sec.last_text == en("How long is it?")
    # A time typed after a day was pressed belongs to that day.
    await sec.say("/schedule")
    await sec.tap("Branch committee meeting")
    await sec.tap("Tomorrow · Sat 9 Jan")
    await sec.say("下午3点")
    assert "Sat 9 Jan 15:00" in sec.last_text, sec.last_text


async def test_english_day_first_and_garbage_and_forged_buttons(bot: Bot) -> None:
    sec, _ = await world(bot, "en")
    await sec.say("/schedule")
    await sec.tap("Branch general assembly")
    await sec.say("5/12 14:30")  # day/month for an English reader: 5 December
    assert "Sun 5 Dec 14:30" in sec.last_text, sec.last_text
    for garbage in ("whenever suits", "明天 9:00 还有别的", "١٢/٥ 14:30"):
        await sec.say(garbage)
        assert "could not read a date and time" in sec.last_text, (garbage, sec.last_text)
    await sec.say("tomorrow")
    assert "add the time of day" in sec.last_text
    await sec.say("2月30日 14:00")
    assert "That date does not exist" in sec.last_text
    await sec.say("明天 25:00")
    assert "That time does not exist" in sec.last_text
    await sec.say("yesterday 9:00")
    assert "Thu 7 Jan 09:00 is in the past" in sec.last_text, sec.last_text
    await sec.say("5/12/2029 9:00")
    assert "more than two years ahead" in sec.last_text
    for forged in ("dq:d:20270230", "dq:d:99991231", "dq:d:2027-1-9", "dq:t:0315", "dq:zz",
                   "dq:t:" + "9" * 40, "dq:ok"):
        await sec.forge(forged)
        assert sec.alerts()[-1] == en(STALE_BUTTON), (forged, sec.alerts())
    # A reading confirmed after its time has passed is refused, not scheduled.
    await sec.say("today 10:30")
    assert "Fri 8 Jan 10:30" in sec.last_text
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW + timedelta(minutes=31)
    await sec.tap("✅ Yes")
    assert "Fri 8 Jan 10:30 is in the past" in sec.last_text, sec.last_text
    bot.assert_all_accepted()


async def test_postpone_typed_in_chinese_moves_the_stored_start(bot: Bot) -> None:
    sec, seeded = await world(bot, "zh")
    start = datetime(2027, 1, 11, 10, 0, tzinfo=TZ)
    assert bot.app is not None
    async with bot.app.database.session() as session:
        org = seeded.branch_a
        await meeting_store.schedule(
            session,
            MeetingPlan(org_id=org, kind=MeetingKind.ASSEMBLY, starts_at=start,
                        ends_at=start + timedelta(hours=2), topic="Assembly"),
            created_by=SEC, now=NOW,
        )
    (meeting,) = await meetings_in_db(bot)
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{meeting.id}")
    await sec.tap(zh("⏰ Postpone"))
    await sec.say("2027年1月20日下午2点半")
    assert "1月20日 周三 14:30" in sec.last_text, sec.last_text
    await sec.tap(zh("✅ Yes"))
    assert sec.saw("🗓 1月20日 周三 14:30")
    async with bot.app.database.session() as session:
        moved = await session.get(Meeting, meeting.id)
        assert moved is not None
        assert moved.starts_at == datetime(2027, 1, 20, 14, 30, tzinfo=TZ)
        assert moved.ends_at == datetime(2027, 1, 20, 16, 30, tzinfo=TZ)


async def test_join_date_typed_in_chinese_is_echoed_and_stored(bot: Bot) -> None:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW  # the invite is made and used by the bot's clock
    _, code = await seed_branch(bot)
    member = bot.person(1501, "Wang")
    await member.say(f"/start {code}")
    await member.tap("中文")
    await member.say("王丽")
    await member.tap("正式党员")
    assert member.buttons() == []  # no quick days: nobody joined the party this week
    await member.say("去年春天")
    assert "没有看懂这个日期" in member.last_text, member.last_text
    await member.say("2035年1月1日")
    assert member.last_text == zh("That date is in the future. Please type a past date.")
    await member.say("7月1日")  # no year: the last 1 July, named with its year
    assert member.last_text == "我理解为：2026年7月1日 周三。对吗？"
    await member.tap(zh("✏️ Change"))
    await member.say("2015年7月1日")  # a full date: echoed and taken at once
    assert member.saw("🗓 2015年7月1日 周三")
    await member.say("跳过")
    await member.tap("✅ 提交")
    async with bot.app.database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == 1501))
        assert person is not None
        membership = await session.scalar(
            select(Membership).where(Membership.person_id == person.id))
        assert membership is not None and membership.joined_party_on == date(2015, 7, 1)


async def test_deadline_day_typed_day_first_then_picked_with_a_quick_button(bot: Bot) -> None:
    w = await duty_world(bot)  # the bot's clock: Monday 7 January 2030
    sec = w.who(DUTY_SEC)
    await duty_say(sec, "/duties")
    await duty_press(sec, "➕ Add a deadline")
    await duty_say(sec, "Branch photo archive")
    await duty_press(sec, "Once")
    assert "Tomorrow · Tue 8 Jan" in sec.buttons() and "Next Mon · 14 Jan" in sec.buttons()
    assert "I understood: Fri 15 Feb. Is that right?" in await duty_say(sec, "15/2")
    await sec.tap("✏️ Change")
    await sec.tap("Next Mon · 14 Jan")
    assert sec.saw("🗓 Mon 14 Jan")
    await duty_press(sec, "All members of the branch")
    await duty_press(sec, "7 and 1 days before")
    saved = await duty_press(sec, "✅ Save")
    assert "Branch photo archive (2030-01-14): due ≈2030-01-14" in saved


async def test_notice_time_picked_with_quick_buttons(bot: Bot) -> None:
    w = await notice_world(bot)  # the bot's clock: Monday 7 January 2030, 10:00 in Shanghai
    admin = notice_who(bot, ADMIN_ID)
    await compose(admin, "Secretaries: reports are due")
    await admin.tap(en("Secretary"))
    await admin.tap(en("Preview ›"))
    await admin.tap(en("🕒 Schedule"))
    await admin.tap("Tomorrow · Tue 8 Jan")
    await admin.tap("09:00")
    assert admin.saw("🗓 Tue 8 Jan 09:00")
    assert en("Scheduled for {when}", when="2030-01-08 09:00") in admin.last_text
    assert bot.app is not None
    async with bot.app.database.session() as session:
        notice = await session.scalar(select(Notice).order_by(Notice.id.desc()))
        assert notice is not None and notice.state is NoticeState.SCHEDULED
        assert notice.scheduled_at == datetime(2030, 1, 8, 1, 0, tzinfo=UTC)
    assert w.clock[0] == datetime(2030, 1, 7, 2, 0, tzinfo=UTC)


async def _assembly(bot: Bot, seeded: Seed, start: datetime) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        meeting = await meeting_store.schedule(
            session,
            MeetingPlan(org_id=seeded.branch_a, kind=MeetingKind.ASSEMBLY, starts_at=start,
                        ends_at=start + timedelta(hours=2), topic="Assembly"),
            created_by=SEC, now=NOW,
        )
        return meeting.id


async def _start_of(bot: Bot, meeting_id: int) -> datetime:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting.starts_at


async def test_a_new_time_from_the_summary_is_checked_for_clashes_then_summarised(
    bot: Bot,
) -> None:
    sec, seeded = await world(bot, "en")
    await _assembly(bot, seeded, datetime(2027, 1, 11, 10, 0, tzinfo=TZ))
    await sec.say("/schedule")
    await sec.tap("Branch committee meeting")
    await sec.say("2027-01-12 14:30")  # a full date: taken at once
    await sec.tap("1.5 h")
    await sec.say("Room 1")
    await sec.say("Budget")
    await sec.tap("Me (Sally Sec)")
    await sec.say("Rita")
    await sec.tap("Once")
    assert "Please check the meeting" in sec.last_text
    await sec.tap("🕑 Change date and time")
    assert "When does it start?" in sec.last_text
    assert "Tomorrow · Sat 9 Jan" in sec.buttons()
    await sec.say("2027-01-11 11:00")  # inside the assembly: refused, the time asked again
    assert "clashes" in sec.last_text and "Branch general assembly" in sec.last_text
    await sec.tap("Tomorrow · Sat 9 Jan")
    await sec.tap("19:00")
    summary = sec.last_text
    assert "Please check the meeting" in summary, summary
    assert "2027-01-09 (Saturday) 19:00–20:30" in summary and "Room 1" in summary
    assert "Recorder: Rita" in summary  # the other answers are kept
    await sec.tap("✅ Schedule")
    created = [m for m in await meetings_in_db(bot) if m.topic == "Budget"]
    assert [m.starts_at for m in created] == [datetime(2027, 1, 9, 19, 0, tzinfo=TZ)]
    bot.assert_all_accepted()


async def test_postponing_with_quick_buttons_and_a_step_that_ends(bot: Bot) -> None:
    sec, seeded = await world(bot, "en")
    meeting = await _assembly(bot, seeded, datetime(2027, 1, 11, 10, 0, tzinfo=TZ))
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{meeting}")
    await sec.tap("⏰ Postpone")
    assert "Postpone Branch general assembly" in sec.last_text
    assert {"Tomorrow · Sat 9 Jan", "Cancel"} <= set(sec.buttons())
    await sec.forge("dq:t:1430")  # a time before any day was pressed
    assert sec.alerts()[-1] == en(STALE_BUTTON)
    await sec.tap("Tomorrow · Sat 9 Jan")
    await sec.tap("09:00")
    assert "Postponed." in sec.last_text and "people were told" in sec.last_text
    assert await _start_of(bot, meeting) == datetime(2027, 1, 9, 9, 0, tzinfo=TZ)
    await sec.say("2027-01-20 10:00")  # the step is over: nothing is moved again
    assert "did not understand" in sec.last_text
    # Cancelled midway: a date typed afterwards is not taken either.
    await sec.say("/meetings")
    await sec.tap(f"mt:card:{meeting}")
    await sec.tap("⏰ Postpone")
    await sec.say("/cancel")
    assert sec.last_text == "Cancelled."
    await sec.say("2027-01-20 10:00")
    assert "did not understand" in sec.last_text
    assert await _start_of(bot, meeting) == datetime(2027, 1, 9, 9, 0, tzinfo=TZ)
    bot.assert_all_accepted()
