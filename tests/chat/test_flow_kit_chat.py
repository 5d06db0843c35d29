"""What the flow kit (handlers/kit/flows.py) gives every conversation, seen through one
(recording a past meeting): back, cancel, stale presses, the form kept across a restart,
re-asking after a bad answer and going back to the step the final check points at."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import Meeting, PartyOrganization, utcnow
from tests.chat import test_checkin_chat as ck
from tests.harness import Bot, Person

STALE = "This button is no longer valid. Please open the menu again."


async def _begin(bot: Bot) -> tuple[Person, object]:
    w = await ck.seed(bot, starts_in=timedelta(days=3))
    assert bot.app is not None
    async with bot.app.database.session() as session:
        branch = await session.get(PartyOrganization, w.branch)
        assert branch is not None
        branch.created_at = utcnow() - timedelta(days=400)
    sec = ck.person(bot, ck.SEC)
    await sec.say("/meetings")
    await sec.tap("📝 Record a past meeting")
    return sec, w


async def _meetings(bot: Bot) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Meeting)) or 0)


async def test_back_returns_to_the_previous_step_and_keeps_the_answers(bot: Bot) -> None:
    sec, _w = await _begin(bot)
    assert "‹ Back" not in sec.buttons()  # nothing before the first step
    await sec.tap("Branch general assembly")
    assert "On which day was it held?" in sec.last_text
    await sec.tap("‹ Back")
    assert "Which kind of meeting was it?" in sec.last_text
    await sec.tap("Party lesson")
    day = (utcnow().astimezone(ck.SHANGHAI) - timedelta(days=30)).date()
    await sec.say(day.isoformat())
    await sec.say("Topic one")
    await sec.tap("Continue ›")
    await sec.say("Minutes.")
    assert "Party lesson «Topic one»" in sec.last_text  # the changed answer counts
    bot.assert_all_accepted()


async def test_a_bad_answer_is_explained_and_the_same_step_asked_again(bot: Bot) -> None:
    sec, _w = await _begin(bot)
    await sec.tap("Branch general assembly")
    await sec.say("x" * 10)
    assert "Please type the day like" in sec.last_text
    day = (utcnow().astimezone(ck.SHANGHAI) - timedelta(days=30)).date()
    await sec.say(day.isoformat())
    await sec.say("")  # an empty topic
    await sec.say("t" * 201)
    assert "That is too long (at most 200 characters)." in sec.last_text
    await sec.say("A fine topic")
    assert "Who was there?" in sec.last_text


async def test_cancel_drops_the_form_and_its_buttons_go_stale(bot: Bot) -> None:
    sec, _w = await _begin(bot)
    kinds = sec.message_with_button("Branch general assembly")
    await sec.say("/cancel")
    assert "Cancelled." in sec.last_text
    await sec.tap("Branch general assembly", kinds)
    assert sec.alerts()[-1] == STALE
    assert await _meetings(bot) == 1  # only the seeded upcoming meeting


async def test_an_old_steps_button_is_stale_while_a_later_step_is_current(bot: Bot) -> None:
    sec, _w = await _begin(bot)
    await sec.tap("Branch general assembly")
    await sec.forge("pm:kind:lesson")
    assert sec.alerts()[-1] == STALE
    await sec.forge("pm:save")
    assert sec.alerts()[-1] == STALE
    assert "On which day was it held?" in sec.last_text


async def test_the_form_survives_a_restart(bot: Bot) -> None:
    sec, _w = await _begin(bot)
    await sec.tap("Branch general assembly")
    await bot.restart()
    day = (utcnow().astimezone(ck.SHANGHAI) - timedelta(days=30)).date()
    await sec.say(day.isoformat())
    assert "Understood:" in sec.last_text and "What was the topic?" in sec.last_text


async def test_the_final_check_goes_back_to_the_step_it_points_at(bot: Bot) -> None:
    sec, _w = await _begin(bot)
    day = (utcnow().astimezone(ck.SHANGHAI) - timedelta(days=30)).date()
    for topic in ("First", "Second"):
        if topic == "Second":
            await sec.say("/meetings")
            await sec.tap("📝 Record a past meeting")
        await sec.tap("Branch general assembly")
        await sec.say(day.isoformat())
        await sec.say(topic)
        await sec.tap("Continue ›")
        await sec.say("Minutes.")
        await sec.tap("💾 Save the record")
    assert sec.alerts()[-1] == (
        "A meeting of this kind is already recorded on that day; it is not entered twice.")
    assert "On which day was it held?" in sec.last_text  # asked again, the rest kept
    await sec.say((day - timedelta(days=1)).isoformat())
    assert "Record this meeting as entered afterwards?" in sec.last_text  # straight back
    assert "«Second»" in sec.last_text
    assert await _meetings(bot) == 2  # the seeded one and the first past meeting
    await sec.tap("💾 Save the record")
    assert await _meetings(bot) == 3


async def test_a_keyboard_label_pressed_during_a_flow_leaves_it_and_runs_its_command(
        bot: Bot) -> None:
    sec, _w = await _begin(bot)
    day = (utcnow().astimezone(ck.SHANGHAI) - timedelta(days=30)).date()
    # A command of a feature registered before the flow's, one registered after it, a flow.
    for label, shows in (("👥 Members", "active members"), ("📈 My attendance", "attendance"),
                         ("📣 Notice", "notice")):
        await sec.tap("Branch general assembly")
        assert "On which day was it held?" in sec.last_text
        await sec.say(label)
        assert shows in sec.last_text.lower(), (label, sec.last_text)
        await sec.say(day.isoformat())  # no longer an answer to the flow that was left
        assert "What was the topic?" not in sec.last_text, label
        await sec.say("/cancel")
        await sec.say("/meetings")
        await sec.tap("📝 Record a past meeting")
