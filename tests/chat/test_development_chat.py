"""/development through the chat (issue 17): the secretary's pipeline and a person's card; a
step too early refused with the rule's day (an admin records it with a reason); a review
recorded; the assembly's vote on full membership recorded with its figures, which makes the
member full everywhere; a vote that did not pass changes nothing; the person sees their own
stage; another branch's secretary is refused. Fixed clock: 10:00 in Shanghai, 2030-03-10."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from handlers.development.views import DevPerson, TakeStep
from handlers.kit.buttons import PersonId
from rules.vocabulary import DevelopmentStage, MemberStatus
from storage import development, people
from storage.models import AuditEvent, DevelopmentRecord, DevelopmentStep, Membership
from tests.chat.test_members_chat import ALICE, BOB, SEC_A, SEC_B, Seed, seed
from tests.harness import ADMIN_ID, Bot, Person

NOW = datetime(2030, 3, 10, 2, 0, tzinfo=UTC)
ACTIVIST, PROBATIONARY = 725_001, 725_002
# Who plays in the /development tests (tests/chat/test_development_people_chat.py too).
PLAYERS = {SEC_A: "Sec A", SEC_B: "Sec B", ADMIN_ID: "Admin", ACTIVIST: "Ann", ALICE: "Alice",
           BOB: "Bob"}


def player(bot: Bot, telegram_id: int) -> Person:
    """One of PLAYERS, writing in English."""
    return bot.person(telegram_id, PLAYERS[telegram_id], language_code="en")


async def branch(bot: Bot) -> tuple[Seed, int, int]:
    """Branch A with an activist (applied 2029-01-05, registered 2029-06-01) and a probationary
    member (admitted 2029-03-01); returns their person ids."""
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    s = await seed(bot)
    found = []
    async with bot.app.database.session() as session:
        for telegram_id, name, status, day in (
                (ACTIVIST, "Ann Activist", MemberStatus.ACTIVIST, date(2029, 1, 5)),
                (PROBATIONARY, "Pat Probation", MemberStatus.PROBATIONARY, date(2029, 3, 1))):
            membership = await people.submit_registration(session, people.RegistrationForm(
                telegram_id=telegram_id, language="en", real_name=name, org_id=s.branch_a,
                status=status, joined_party_on=day, phone=None, invite_id=None))
            await people.decide_registration(session, membership.id, approve=True,
                                             decided_by=SEC_A,
                                             now=datetime(2029, 6, 1, 2, tzinfo=UTC))
            found.append(membership.person_id)
    return s, found[0], found[1]


async def status_of(bot: Bot, person_id: int) -> MemberStatus:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return (await session.scalars(select(Membership.status).where(
            Membership.person_id == person_id))).one()


async def record_of(bot: Bot, person_id: int) -> DevelopmentRecord | None:
    """The person's open development record, as stored now."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return await development.open_record_of(session, person_id)


async def steps_named(bot: Bot, step: str) -> list[DevelopmentStep]:
    """The recorded development steps of one kind (e.g. "review")."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return list((await session.scalars(select(DevelopmentStep).where(
            DevelopmentStep.step == step))).all())


async def step_named(bot: Bot, step: str) -> DevelopmentStep:
    """The one recorded development step of that kind."""
    [found] = await steps_named(bot, step)
    return found


async def audited(bot: Bot, action: str) -> bool:
    """An audit event of `action` (e.g. "development.closed") was written."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return await session.scalar(select(AuditEvent.id).where(
            AuditEvent.action == action)) is not None


async def test_the_secretary_follows_and_records_the_pipeline(bot: Bot) -> None:
    _, activist_id, probationary_id = await branch(bot)
    sec = player(bot, SEC_A)
    await sec.say("/development")
    text = sec.last_text
    assert "Member development — Branch A" in text
    assert "Activist (1)" in text and "Probationary member (1)" in text
    assert "Ann Activist — ⚠️ overdue: half-yearly review by 2029-12-01" in text

    await sec.tap("Ann Activist · Activist")
    card = sec.last_text
    assert "Application: 2029-01-05" in card and "Activist from 2029-06-01" in card
    assert "Next: candidate for admission, from 2030-06-01 (a year as an activist)." in card

    # A review recorded: the overdue line goes.
    await sec.tap("📋 Half-yearly review held")
    await sec.say("2030-03-01")
    await sec.tap("No note")
    await sec.tap("✅ Record it")
    assert "✅ Recorded: 📋 Half-yearly review held." in sec.last_text
    assert "Latest half-yearly review: 2030-03-01" in sec.last_text
    assert "half-yearly review by 2030-09-01" in sec.last_text

    # Too early for a candidate: refused with the rule's day, asked again.
    await sec.tap("➡️ Made a candidate for admission")
    await sec.say("2030-03-09")
    assert ("Too early: the rules allow it from 2030-06-01 (at least a year as an activist)"
            in sec.last_text)
    record = await record_of(bot, activist_id)
    assert record is not None and record.stage is DevelopmentStage.ACTIVIST
    await sec.say("/cancel")

    # Pat's probation ended on 2030-03-01: the assembly voted on 2030-03-05.
    await sec.say("/development")
    await sec.tap("Pat Probation · Probationary member")
    assert "Next: the assembly's vote on full membership, from 2030-03-01" in sec.last_text
    await sec.tap("➡️ Full member by the assembly's vote")
    await sec.say("2030-03-05")
    await sec.say("支发〔2030〕2号")
    assert "The branch has 3 full members on record." in sec.last_text
    await sec.tap("3")  # the count offered as a button
    await sec.say("2")  # present
    await sec.say("1")  # in favour: 1 of 3 entitled is not more than half
    await sec.say("1")
    assert "Vote: 2 of 3 present; 1 in favour, 1 against, 0 abstaining" in sec.last_text
    await sec.tap("✅ Record it")
    assert "the vote did not pass, so nothing changes" in sec.last_text
    assert await status_of(bot, probationary_id) is MemberStatus.PROBATIONARY

    await sec.tap("➡️ Full member by the assembly's vote")
    await sec.say("2030-03-05")
    await sec.tap("No reference")
    await sec.tap("3")
    for typed in ("3", "2", "0"):
        await sec.say(typed)
    await sec.tap("✅ Record it")
    assert "✅ Recorded: Full member." in sec.last_text
    assert "Full member on 2030-03-05" in sec.last_text
    assert await status_of(bot, probationary_id) is MemberStatus.FULL
    step = await step_named(bot, "full")
    assert (step.votes_entitled, step.votes_present, step.votes_for, step.votes_against,
            step.votes_abstaining, step.document) == (3, 3, 2, 0, 1, None)


async def test_an_admin_records_an_early_step_with_a_reason(bot: Bot) -> None:
    _, activist_id, _ = await branch(bot)
    admin = player(bot, ADMIN_ID)
    await admin.say("/development")
    await admin.tap("Branch A")
    await admin.tap("Ann Activist · Activist")
    await admin.tap("➡️ Made a candidate for admission")
    await admin.say("2030-03-09")
    assert "As an administrator you may record it earlier" in admin.last_text
    await admin.say("The upper level's written approval of 2030-03-01")
    await admin.tap("No reference")
    assert "Recorded before the rule's day, because: The upper level's" in admin.last_text
    await admin.tap("✅ Record it")
    assert "✅ Recorded: Candidate for admission." in admin.last_text
    record = await record_of(bot, activist_id)
    assert record is not None and record.candidate_on == date(2030, 3, 9)
    step = await step_named(bot, "candidate")
    assert step.override_reason == "The upper level's written approval of 2030-03-01"


async def test_people_see_their_own_way_and_other_branches_are_refused(bot: Bot) -> None:
    _, activist_id, _ = await branch(bot)
    ann = player(bot, ACTIVIST)
    await ann.say("/development")
    assert "Your way to membership: Activist" in ann.last_text
    assert "Next: candidate for admission, from 2030-06-01" in ann.last_text
    assert "The branch owes" not in ann.last_text  # the branch's to-do is the leaders'

    sec_b = player(bot, SEC_B)
    await sec_b.say("/development")
    for data in (DevPerson(PersonId(activist_id)).pack(), TakeStep(PersonId(activist_id)).pack()):
        await sec_b.forge(data)
        assert "not allowed" in sec_b.alerts()[-1]
    await ann.forge(TakeStep(PersonId(activist_id)).pack())
    assert "not allowed" in ann.alerts()[-1]
    record = await record_of(bot, activist_id)
    assert record is not None and record.stage is DevelopmentStage.ACTIVIST
