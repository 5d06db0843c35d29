"""Member development's windows remind the branch's secretary (issue 17): the talk with an
applicant a week before the month is out and on its last day, once each; nothing once the talk
is recorded; the assembly's vote at the end of probation. Planner and courier on the test's
clock."""

from __future__ import annotations

from datetime import date, timedelta

from rules.vocabulary import DevelopmentStage
from storage import development, people
from storage.development import Votes
from tests.chat.test_reminders import SECRETARY, T0, World, world
from tests.harness import Bot

APPLICANT = 81_050
TALK = "Talk with the applicant Newcomer by 2030-02-07"


async def applied(w: World, on: date) -> int:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        person = await people.ensure_person(session, APPLICANT, language="en",
                                            real_name="Newcomer")
        record = await development.open_record(
            session, person_id=person.id, org_id=w.branch, applied_on=on, birth_on=None,
            by=SECRETARY, today=on, now=T0)
        return record.id


async def test_the_talk_with_an_applicant_is_reminded_twice_then_not_once_held(
    bot: Bot,
) -> None:
    w = await world(bot)
    await applied(w, T0.date())  # Monday 7 January 2030: the talk is due by 7 February
    for day in range(0, 40):
        await w.plan(T0 + timedelta(days=day))
    reminders = [text for text in w.texts(SECRETARY) if "Talk with the applicant" in text]
    assert reminders == [f"🗣 {TALK}: within a month of the application."] * 2


async def test_no_reminder_once_the_talk_is_held_and_the_probation_vote_is_due(
    bot: Bot,
) -> None:
    w = await world(bot)
    assert bot.app is not None
    record_id = await applied(w, T0.date())
    async with bot.app.database.session() as session:
        record = await session.get(development.DevelopmentRecord, record_id)
        assert record is not None
        assert await development.record_event(session, record, "talk", T0.date(),
                                              by=SECRETARY, today=T0.date(), now=T0) is None
        # Months later the branch admitted them (earlier steps entered by an admin's override).
        for stage, day in ((DevelopmentStage.ACTIVIST, date(2030, 1, 7)),
                           (DevelopmentStage.CANDIDATE, date(2030, 1, 7))):
            assert await development.take_step(session, record, stage, day, by=1,
                                               today=day, now=T0, override="test") is None
        record.notice_from = date(2029, 12, 2)
        assert await development.take_step(
            session, record, DevelopmentStage.PROBATIONARY, date(2030, 1, 7),
            by=SECRETARY, today=T0.date(), now=T0,
            votes=Votes(entitled=3, present=3, in_favour=3, against=0, abstaining=0)) is None
    for day in (0, 24, 31, 40, 80, 85, 89, 90, 91):
        await w.plan(T0 + timedelta(days=day))
    assert not [text for text in w.texts(SECRETARY) if "Talk with the applicant" in text]
    approval = [text for text in w.texts(SECRETARY) if "approval of Newcomer's admission" in text]
    assert approval == ["📮 The upper level's approval of Newcomer's admission is due by "
                        "2030-04-07: three months after the assembly's vote."] * 2
