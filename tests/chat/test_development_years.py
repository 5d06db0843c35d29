"""A person's way from applicant to full member over two-odd years (issue 17), played on the
bot's clock (planner and courier passes at 10:00 in Shanghai, the handlers' clock with them):
the talk within a month (reminded before), chosen as an activist, half-yearly reviews reminded
and recorded, a candidate after a year (a day early refused), the public notice over the
Spring Festival with the official schedule loaded (the vote refused until the holiday's working
days are counted), admitted by the assembly's vote (its figures kept), the end of probation
reminded a year later, full membership by the assembly's vote, and the member full everywhere:
/me, the branch's members list, and Party dues owed from the month they became probationary.

The chat's registration offers no applicant (registering is for activists and members), so
the application is seeded in storage as the branch receives it (storage.people and
storage.development.open_record); everything after it goes through the chat. Extending
probation has no chat yet (handlers/development is being extended in parallel): it is covered
at the storage level in the last test, with the planner's reminder it moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.development import notice_ends, probation_ends
from rules.dues import Month
from rules.validation import Invalid
from rules.vocabulary import DevelopmentStage, DuesMethod, MemberStatus
from storage import development, dues, people
from storage.development import Votes
from storage.holiday_calendar import import_calendar_file
from storage.models import DevelopmentRecord, DevelopmentStep, Membership
from storage.models import Person as PersonRow
from tests.chat.test_holiday_calendar import csv_file
from tests.chat.test_reminders import ALICE, SECRETARY, World, world
from tests.harness import Bot, Person

NEWCOMER = 81_070
# The State Council's 2031 schedule as it might be published: the Spring Festival (23 January)
# from the eve, Wednesday 22 January, to Wednesday 29 January; Sunday 19 January and Saturday
# 8 February worked instead (调休).
SCHEDULE_2031 = [
    ("2031-01-01", "休", "元旦"),
    ("2031-01-19", "班", "春节"),
    *((f"2031-01-{d}", "休", "春节") for d in range(22, 30)),
    ("2031-02-08", "班", "春节"),
]


def at(w: World, day: date, hour: int = 10) -> datetime:
    assert w.bot.app is not None
    return datetime.combine(day, time(hour), w.bot.app.settings.tzinfo).astimezone(UTC)


async def days(w: World, first: date, last: date) -> None:
    """A planner and courier pass at 10:00 on each day from first to last."""
    day = first
    while day <= last:
        await w.plan(at(w, day))
        day += timedelta(days=1)


def reminded(w: World, start: str) -> list[str]:
    """The secretary's reminders beginning so (not the cards, which say the same things)."""
    return [text for text in w.texts(SECRETARY) if text.startswith(start)]


async def record_of(session: AsyncSession) -> DevelopmentRecord:
    record = await session.scalar(select(DevelopmentRecord).join(
        PersonRow, PersonRow.id == DevelopmentRecord.person_id).where(
        PersonRow.telegram_id == NEWCOMER))
    assert record is not None
    return record


async def stage(w: World) -> DevelopmentStage:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        return (await record_of(session)).stage


async def apply(w: World, on: date) -> int:
    """The application as the branch receives it (no chat offers it: see the module's note);
    the branch's dues books opened earlier (Alice's January 2029 recorded)."""
    assert w.bot.app is not None
    async with w.bot.app.database.session() as session:
        person = await people.ensure_person(session, NEWCOMER, language="en",
                                            real_name="Newcomer")
        await development.open_record(
            session, person_id=person.id, org_id=w.branch, applied_on=on,
            birth_on=date(2005, 5, 1), by=SECRETARY, today=on, now=at(w, on))
        alice = await people.ensure_person(session, ALICE, language="en")
        await dues.record_payment(
            session, person_id=alice.id, org_id=w.branch, months=[Month(2029, 1)],
            amount=Decimal(10), paid_on=date(2029, 1, 10), method=DuesMethod.CASH,
            by=SECRETARY, now=at(w, on))
        return person.id


async def open_card(sec: Person) -> None:
    await sec.say("/development")
    await sec.tap(next(label for label in _buttons(sec) if label.startswith("Newcomer · ")))


def _buttons(who: Person) -> list[str]:
    return [button.text for row in who.bot.emulator.bot_messages(who.user_id)[-1].inline_keyboard
            for button in row]


async def event(sec: Person, button: str, on: date, note: str | None = None) -> None:
    await open_card(sec)
    await sec.tap(button)
    await sec.say(on.isoformat())
    if note is None:
        await sec.tap("No note")
    else:
        await sec.say(note)
    await sec.tap("✅ Record it")
    assert "✅ Recorded:" in sec.last_text


async def vote(sec: Person, button: str, on: date, document: str,
               figures: tuple[str, str, str]) -> None:
    await open_card(sec)
    await sec.tap(button)
    await sec.say(on.isoformat())
    await sec.say(document)
    assert "The branch has 3 full members on record." in sec.last_text
    await sec.tap("3")
    for typed in figures:
        await sec.say(typed)
    await sec.tap("✅ Record it")


async def test_an_applicant_becomes_a_full_member_over_two_years(bot: Bot,
                                                                 tmp_path: Path) -> None:
    w = await world(bot)
    assert bot.app is not None
    sec = Person(bot, SECRETARY, "Sec")
    newcomer = bot.person(NEWCOMER, "Newcomer", language_code="en")

    # Monday 5 November 2029: the application. The talk is due within a month, by 5 December.
    await w.plan(at(w, date(2029, 11, 5)))
    person_id = await apply(w, date(2029, 11, 5))
    await newcomer.say("/development")
    assert "Your way to membership: Applicant" in newcomer.last_text
    await days(w, date(2029, 11, 6), date(2029, 12, 2))
    talk = ("🗣 Talk with the applicant Newcomer by 2029-12-05: within a month of the "
            "application.")
    assert reminded(w, "🗣 Talk with the applicant") == [talk]  # a week before, 28 November
    await sec.say("/development")
    assert "Newcomer — ⏰ talk with the applicant by 2029-12-05" in sec.last_text
    await days(w, date(2029, 12, 3), date(2029, 12, 3))
    await event(sec, "🗣 Talk held", date(2029, 12, 3), "Motivated; reads the Party Constitution")
    assert "Talk with the applicant: 2029-12-03" in sec.last_text
    await days(w, date(2029, 12, 4), date(2029, 12, 10))
    assert reminded(w, "🗣 Talk with the applicant") == [talk]  # not again on 5 December

    # Monday 10 December: chosen as an activist; reviewed every half year.
    await open_card(sec)
    await sec.tap("➡️ Chosen as an activist")
    await sec.say("2029-12-10")
    await sec.tap("No reference")
    await sec.tap("✅ Record it")
    assert "✅ Recorded: Activist." in sec.last_text
    assert "half-yearly review by 2030-06-10" in sec.last_text
    await newcomer.say("/development")
    assert "Your way to membership: Activist" in newcomer.last_text
    assert "Next: candidate for admission, from 2030-12-10" in newcomer.last_text

    await days(w, date(2030, 5, 27), date(2030, 6, 4))
    first_review = "📋 The half-yearly review of the activist Newcomer is due by 2030-06-10."
    assert reminded(w, "📋 The half-yearly review") == [first_review]  # 3 June, a week before
    await event(sec, "📋 Half-yearly review held", date(2030, 6, 4), "Studies well")
    assert "half-yearly review by 2030-12-04" in sec.last_text
    await days(w, date(2030, 6, 5), date(2030, 6, 12))
    assert reminded(w, "📋 The half-yearly review") == [first_review]
    # The second: reminded a week before and on the day, recorded then.
    await days(w, date(2030, 11, 25), date(2030, 12, 4))
    second = "📋 The half-yearly review of the activist Newcomer is due by 2030-12-04."
    assert reminded(w, "📋 The half-yearly review") == [first_review, second, second]
    await event(sec, "📋 Half-yearly review held", date(2030, 12, 4))

    # A candidate (发展对象) after a year as an activist: a day early is refused.
    await days(w, date(2030, 12, 9), date(2030, 12, 9))
    await open_card(sec)
    await sec.tap("➡️ Made a candidate for admission")
    await sec.say("2030-12-09")
    assert ("Too early: the rules allow it from 2030-12-10 (at least a year as an activist)"
            in sec.last_text)
    await sec.say("/cancel")
    assert await stage(w) is DevelopmentStage.ACTIVIST
    await days(w, date(2030, 12, 10), date(2030, 12, 10))
    await open_card(sec)
    await sec.tap("➡️ Made a candidate for admission")
    await sec.say("2030-12-10")
    await sec.say("支发〔2030〕9号")
    await sec.tap("✅ Record it")
    assert "✅ Recorded: Candidate for admission." in sec.last_text

    # The admin loads the official 2031 schedule (the command line's import).
    report = await import_calendar_file(bot.app.database,
                                        csv_file(tmp_path / "2031.csv", SCHEDULE_2031))
    assert report.ok, report.format()

    # Monday 20 January 2031: the public notice, two working days before the Spring Festival.
    # Approximately (the statutory 22–25 January only) it would end on Wednesday 29 January;
    # with the loaded 22–29 January it ends on Monday 3 February.
    assert notice_ends(date(2031, 1, 20)) == date(2031, 1, 29)
    await days(w, date(2031, 1, 20), date(2031, 1, 20))
    await event(sec, "📢 Public notice put up", date(2031, 1, 20), "Notice board, 3rd floor")
    assert "Public notice from 2031-01-20" in sec.last_text
    # The card counts the loaded holiday as the reminder does: the vote from 4 February.
    assert ("Next: the assembly's vote on admission, from 2031-02-04 (after the public notice)"
            in sec.last_text)
    await days(w, date(2031, 1, 21), date(2031, 1, 30))
    await open_card(sec)
    await sec.tap("➡️ Admitted by the assembly")
    await sec.say("2031-01-30")
    assert ("Too early: the rules allow it from 2031-02-04 (after the public notice of 5 "
            "working days)" in sec.last_text)
    await sec.say("/cancel")
    assert reminded(w, "📢 The public notice") == []
    await days(w, date(2031, 1, 31), date(2031, 2, 5))
    assert reminded(w, "📢 The public notice") == [
        "📢 The public notice for Newcomer ends on 2031-02-03 (5 working days): the "
        "assembly's vote on the admission may follow."]

    # Wednesday 5 February: the assembly admits a probationary member, 3 of 3 in favour.
    await vote(sec, "➡️ Admitted by the assembly", date(2031, 2, 5), "支发〔2031〕1号",
               ("3", "3", "0"))
    assert "✅ Recorded: Probationary member." in sec.last_text
    async with bot.app.database.session() as session:
        step = (await session.scalars(select(DevelopmentStep).where(
            DevelopmentStep.step == "probationary"))).one()
        assert (step.votes_entitled, step.votes_present, step.votes_for, step.votes_against,
                step.votes_abstaining, step.document) == (3, 3, 3, 0, 0, "支发〔2031〕1号")
        membership = (await session.scalars(select(Membership).where(
            Membership.person_id == person_id))).one()
        assert (membership.status, membership.joined_party_on) == (
            MemberStatus.PROBATIONARY, date(2031, 2, 5))
    await days(w, date(2031, 3, 20), date(2031, 3, 20))
    await event(sec, "📮 Admission approved above", date(2031, 3, 20))

    # A year later: the end of probation is reminded a week before and on the day.
    await days(w, date(2032, 1, 26), date(2032, 2, 4))
    probation = ("🗳 Newcomer's probation ends on 2032-02-05: the assembly's vote on full "
                 "membership is due.")
    assert reminded(w, "🗳 Newcomer's probation ends") == [probation]  # 29 January
    # The admission was approved in time: never reminded.
    assert not reminded(w, "📮 The upper level's approval of Newcomer's admission")
    await open_card(sec)
    await sec.tap("➡️ Full member by the assembly's vote")
    await sec.say("2032-02-04")
    assert ("Too early: the rules allow it from 2032-02-05 (a year of probation from the "
            "assembly's vote)" in sec.last_text)
    await sec.say("/cancel")
    await days(w, date(2032, 2, 5), date(2032, 2, 6))
    assert reminded(w, "🗳 Newcomer's probation ends") == [probation, probation]
    await vote(sec, "➡️ Full member by the assembly's vote", date(2032, 2, 6),
               "支发〔2032〕2号", ("3", "2", "0"))
    assert "✅ Recorded: Full member." in sec.last_text
    assert "Full member on 2032-02-06" in sec.last_text
    await newcomer.say("/development")
    assert "Your way to membership: Full member" in newcomer.last_text
    await days(w, date(2032, 3, 1), date(2032, 3, 1))
    # The upper level's approval closes the record: its last card says so.
    await event(sec, "📮 Full membership approved above", date(2032, 3, 1))
    assert "Member development complete" in sec.last_text

    # Full everywhere: their profile, the branch's members, and dues from February 2031.
    await newcomer.say("/me")
    assert "Full member" in newcomer.last_text
    await sec.say("/members")
    [label] = [text for text in _buttons(sec) if "Newcomer" in text]
    assert label == "Newcomer · Full member · Member"
    await sec.tap(label)
    assert "Status: Full member" in sec.last_text
    assert "Joined the party: 2031-02-05" in sec.last_text  # the assembly's admission
    await newcomer.say("/dues")
    assert "Owed: 2031-02–2032-03" in newcomer.last_text  # from the probationary month
    async with bot.app.database.session() as session:
        mine = await dues.member_dues(session, w.branch, person_id, Month(2032, 3))
        assert mine is not None and mine.owed[0] == Month(2031, 2)
        assert len(mine.owed) == 14
        membership = (await session.scalars(select(Membership).where(
            Membership.person_id == person_id))).one()
        assert membership.status is MemberStatus.FULL
        assert await development.open_record_of(session, person_id) is None  # approved, closed
    await newcomer.say("/development")
    assert "No member development is on record for you" in newcomer.last_text


async def test_probation_extended_once_moves_the_reminder_of_its_end(bot: Bot) -> None:
    """No chat extends probation yet: storage.development.extend_probation, once, by 6 to 12
    months; the planner reminds of the vote at the extended end."""
    w = await world(bot)
    assert bot.app is not None
    await w.plan(at(w, date(2030, 1, 7)))
    await apply(w, date(2029, 1, 7))
    admitted = date(2030, 1, 7)
    async with bot.app.database.session() as session:
        record = await record_of(session)
        for reached in (DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE):
            assert await development.take_step(session, record, reached, date(2029, 2, 1),
                                               by=1, today=admitted, now=w.clock[0],
                                               override="entered late") is None
        record.notice_from = date(2029, 12, 2)
        assert await development.take_step(
            session, record, DevelopmentStage.PROBATIONARY, admitted, by=SECRETARY,
            today=admitted, now=w.clock[0], votes=Votes(3, 3, 3, 0, 0)) is None
        on = date(2030, 12, 20)
        assert await development.extend_probation(
            session, record, 13, by=SECRETARY, now=w.clock[0], on=on,
            reason="x") == Invalid("number_range", 12, 6)
        assert await development.extend_probation(
            session, record, 6, by=SECRETARY, now=w.clock[0], on=on,
            reason="Needs to study the Constitution further") is None
        assert await development.extend_probation(
            session, record, 6, by=SECRETARY, now=w.clock[0], on=on,
            reason="again") == Invalid("already_extended")
        assert probation_ends(development.milestones(record)) == date(2031, 7, 7)
    await days(w, date(2030, 12, 28), date(2031, 1, 8))
    assert reminded(w, "🗳 Newcomer's probation ends") == []  # a year on: extended, not due
    await days(w, date(2031, 6, 29), date(2031, 7, 7))
    assert reminded(w, "🗳 Newcomer's probation ends") == [
        "🗳 Newcomer's probation ends on 2031-07-07: the assembly's vote on full membership "
        "is due."] * 2
    async with bot.app.database.session() as session:
        step = (await session.scalars(select(DevelopmentStep).where(
            DevelopmentStep.step == "extended"))).one()
        assert (step.taken_on, step.note) == (date(2030, 12, 20),
                                              "Needs to study the Constitution further")


async def test_the_approval_of_full_membership_through_the_chat_is_kept(bot: Bot) -> None:
    """The approval closes the record: the secretary sees its last card (nothing left to
    press but the way back to the branch), the branch's pipeline no longer lists the member."""
    w = await world(bot)
    assert bot.app is not None
    today = date(2030, 3, 1)
    await w.plan(at(w, today))
    await apply(w, date(2028, 1, 7))
    async with bot.app.database.session() as session:
        record = await record_of(session)
        for reached in (DevelopmentStage.ACTIVIST, DevelopmentStage.CANDIDATE):
            assert await development.take_step(session, record, reached, date(2028, 2, 1),
                                               by=1, today=today, now=w.clock[0],
                                               override="entered late") is None
        record.notice_from = date(2029, 1, 2)
        for reached, on in ((DevelopmentStage.PROBATIONARY, date(2029, 1, 20)),
                            (DevelopmentStage.FULL, date(2030, 1, 20))):
            assert await development.take_step(
                session, record, reached, on, by=SECRETARY, today=today, now=w.clock[0],
                votes=Votes(3, 3, 3, 0, 0)) is None
    sec = Person(bot, SECRETARY, "Sec")
    await open_card(sec)
    await sec.tap("📮 Full membership approved above")
    await sec.say("2030-03-01")
    await sec.tap("No note")
    await sec.tap("✅ Record it")
    assert "This button is no longer valid" not in " ".join(sec.alerts())
    card = sec.last_text
    assert card.startswith("✅ Recorded: 📮 Full membership approved above.")
    assert "Newcomer: Full member" in card
    assert "Full member on 2030-01-20" in card
    assert "Full membership approved above: 2030-03-01" in card
    assert "Member development complete" in card
    assert "The branch owes" not in card and "Next:" not in card
    assert _buttons(sec) == ["‹ The branch's development"]
    async with bot.app.database.session() as session:
        record = await record_of(session)
        assert (record.confirmation_approved_on, record.closed_on) == (today, today)
        assert record.closed_reason == "approved"
        assert await session.scalar(select(DevelopmentStep.id).where(
            DevelopmentStep.record_id == record.id,
            DevelopmentStep.step == "confirmation_approval")) is not None
    await sec.tap("‹ The branch's development")
    assert "Nobody is on the way to membership" in sec.last_text
