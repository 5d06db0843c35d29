"""Member development's windows remind the branch's secretary (issue 17): the talk with an
applicant a week before the month is out and on its last day, once each; nothing once the talk
is recorded; the assembly's vote at the end of probation. Planner and courier on the test's
clock."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from pathlib import Path

import pytest

from rules.vocabulary import DevelopmentStage, ReminderKind
from storage import development, people
from storage.development import Votes
from storage.holiday_calendar import import_calendar_file
from tests.chat.test_holiday_calendar import csv_file
from tests.chat.test_reminders import SECRETARY, T0, World, outbox_rows, world
from tests.harness import Bot, Person

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
    for offset in (0, 24, 31, 40, 80, 85, 89, 90, 91):
        await w.plan(T0 + timedelta(days=offset))
    assert not [text for text in w.texts(SECRETARY) if "Talk with the applicant" in text]
    approval = [text for text in w.texts(SECRETARY) if "approval of Newcomer's admission" in text]
    assert approval == ["📮 The upper level's approval of Newcomer's admission is due by "
                        "2030-04-07: three months after the assembly's vote."] * 2


# An official 2030 schedule as the State Council might publish it: the Spring Festival (3
# February) 2–10 February, Saturdays 26 January and 16 February worked instead (调休).
SPRING_2030 = [
    ("2030-01-26", "班", "春节"),
    *((f"2030-02-{d:02d}", "休", "春节") for d in range(2, 11)),
    ("2030-02-16", "班", "春节"),
]


@pytest.mark.parametrize(("loaded", "ends", "vote_from"), [
    (False, "2030-02-07", "2030-02-08"), (True, "2030-02-12", "2030-02-13")])
async def test_a_notice_over_the_spring_festival_ends_after_the_loaded_holiday(
    bot: Bot, tmp_path: Path, loaded: bool, ends: str, vote_from: str,
) -> None:
    """Put up on Wednesday 30 January: three working days before the festival, two after it.
    Without a schedule 2030 is approximate (the statutory 2–5 February), so the notice ends
    on Thursday 7 February; with the official one loaded, on Tuesday 12 February. The card's
    "Next" counts the same days as the reminder: the vote from the day after."""
    w = await world(bot)
    assert bot.app is not None
    if loaded:
        report = await import_calendar_file(
            bot.app.database, csv_file(tmp_path / "2030.csv", SPRING_2030))
        assert report.ok, report.format()
    record_id = await applied(w, date(2029, 1, 7))
    notice_day = date(2030, 1, 30)
    async with bot.app.database.session() as session:
        record = await session.get(development.DevelopmentRecord, record_id)
        assert record is not None
        for stage in (DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE):
            assert await development.take_step(session, record, stage, date(2029, 1, 7), by=1,
                                               today=notice_day, now=T0,
                                               override="test") is None
        assert await development.record_event(session, record, "notice", notice_day,
                                              by=SECRETARY, today=notice_day, now=T0) is None
    for day in range(23, 40):  # 30 January to 15 February, 10:00 each day
        await w.plan(T0 + timedelta(days=day))
    assert [text for text in w.texts(SECRETARY) if "public notice" in text] == [
        f"📢 The public notice for Newcomer ends on {ends} (5 working days): the assembly's "
        "vote on the admission may follow."]
    [row] = [r for r in await outbox_rows(w, ReminderKind.DEVELOPMENT) if "notice" in r.text]
    local = row.due_at.replace(tzinfo=row.due_at.tzinfo or UTC).astimezone(
        bot.app.settings.tzinfo)
    assert (local.date().isoformat(), local.hour) == (ends, 9)  # sent on its last day, 09:00
    sec = Person(bot, SECRETARY, "Sec")
    await sec.say("/development")
    await sec.tap("Newcomer · Candidate for admission")
    assert (f"Next: the assembly's vote on admission, from {vote_from} (after the public "
            "notice)." in sec.last_text)
