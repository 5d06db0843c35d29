"""/appraisal through the chat (issue 17, 民主评议党员): the secretary opens the year's appraisal
and the members are told; Alice writes her self-assessment and grades Bob and the secretary
one by one (changed, withdrawn); Bob grades Alice; members never see counts or others' results,
the secretary sees the counts; results, the assembly's confirmation, closing linked to the
year's 民主评议 meeting; the results in the ledger workbook. A member of another branch and
forged presses change nothing. The bot runs on a fixed clock (10:00 in Shanghai on Wednesday
2030-11-20)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select, update

from handlers.appraisal.views import NOT_OPEN
from handlers.kit.chat import NOT_ALLOWED
from handlers.kit.i18n import translator
from rules.vocabulary import AppraisalGrade, MeetingKind
from storage import meetings
from storage.models import (
    Appraisal,
    AppraisalPeerGrade,
    AppraisalResult,
    AppraisalSelf,
    Membership,
    Person,
)
from tests.chat.test_members_chat import ALICE, BOB, CAROL, SEC_A, SEC_B, Seed, seed
from tests.harness import Bot

NOW = datetime(2030, 11, 20, 2, 0, tzinfo=UTC)
t = translator("en")
G = AppraisalGrade


async def fixed(bot: Bot) -> Seed:
    assert bot.app is not None
    bot.app.courier.clock = lambda: NOW
    s = await seed(bot)
    async with bot.app.database.session() as session:  # the secretary, by name
        await session.execute(update(Person).where(Person.telegram_id == SEC_A)
                              .values(real_name="Sam Secretary"))
    return s


async def person_of(bot: Bot, membership_id: int) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        found = await session.scalar(select(Membership.person_id)
                                     .where(Membership.id == membership_id))
        assert found is not None
        return found


async def rows(bot: Bot, model: type) -> int:
    assert bot.app is not None
    async with bot.app.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_appraisal_from_opening_to_closing(bot: Bot) -> None:
    s = await fixed(bot)
    assert bot.app is not None
    async with bot.app.database.session() as session:  # the year's 民主评议 meeting
        meeting = await meetings.schedule(session, meetings.MeetingPlan(
            org_id=s.branch_a, kind=MeetingKind.APPRAISAL, starts_at=NOW - timedelta(days=2),
            ends_at=NOW - timedelta(days=2, hours=-2), topic="Appraisal meeting",
            place="Room 1"), created_by=SEC_A, now=NOW - timedelta(days=9))
        meeting_id = meeting.id
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    bob = bot.person(BOB, "Bob", language_code="en")
    await bob.say("/start")  # has a chat with the bot
    await alice.say("/appraisal")
    assert alice.last_text == t("The branch has not opened this year's democratic appraisal.")

    await sec_a.say("/appraisal")
    assert "Democratic appraisal of Branch A, 2030" in sec_a.last_text
    assert "This year's appraisal is not open." in sec_a.last_text
    await sec_a.tap("▶ Open this year's appraisal")
    assert "Open the democratic appraisal of 2030 for Branch A?" in sec_a.last_text
    assert "Its 3 full and probationary members are told" in sec_a.last_text
    await sec_a.tap("✅ Open it")
    await bot.settle()
    assert sec_a.saw("✅ The appraisal of 2030 is open.")
    assert sec_a.last_text == "2 members were told."
    for member in (alice, bob):  # in their language, with a way in
        assert "Branch A has opened its democratic appraisal of members for 2030." in (
            member.last_text)
        assert member.buttons() == ["🗳 Open my appraisal"]

    # Alice: her self-assessment (too long first), then grades, one member after another.
    await alice.tap("🗳 Open my appraisal")
    assert "You have not written your self-assessment." in alice.last_text
    assert "You graded 0 of 2 other members" in alice.last_text
    await alice.tap("✍ Write my self-assessment")
    assert "Write your self-assessment for this year" in alice.last_text
    await alice.say("x" * 501)
    assert "That is too long (at most 500 characters)." in alice.last_text
    await alice.say("Studied the Party history.\nLed the volunteers.")
    assert "Submit this self-assessment?" in alice.last_text
    await alice.tap("📨 Submit it")
    assert "✅ Your self-assessment is submitted." in alice.last_text
    assert "Studied the Party history.\nLed the volunteers." in alice.last_text
    assert "✍ Replace my self-assessment" in alice.buttons()

    await alice.tap("🗳 Grade other members")
    assert alice.buttons()[:2] == ["Bob Li", "Sam Secretary"]
    await alice.tap("Bob Li")
    assert "How do you grade Bob Li?" in alice.last_text
    assert alice.buttons()[:4] == ["Excellent (优秀)", "Qualified (合格)",
                                   "Basically qualified (基本合格)", "Unqualified (不合格)"]
    await alice.tap("Excellent (优秀)")
    assert "✅ Your grade of Bob Li: Excellent (优秀)." in alice.last_text
    assert "How do you grade Sam Secretary?" in alice.last_text  # the next one
    await alice.tap("Basically qualified (基本合格)")
    assert alice.buttons()[:2] == ["Bob Li · Excellent (优秀)",
                                   "Sam Secretary · Basically qualified (基本合格)"]
    await alice.tap("Sam Secretary · Basically qualified (基本合格)")
    assert "Your grade now: Basically qualified (基本合格)" in alice.last_text
    await alice.tap("↩ Withdraw my grade")
    assert "↩ Your grade of Sam Secretary is withdrawn." in alice.last_text
    await alice.tap("‹ All members")
    await alice.tap("Bob Li · Excellent (优秀)")
    assert "Skip ›" in alice.buttons()
    await alice.tap("Qualified (合格)")  # changed
    assert "✅ Your grade of Bob Li: Qualified (合格)." in alice.last_text

    await bob.tap("🗳 Open my appraisal")
    await bob.tap("🗳 Grade other members")
    await bob.tap("Alice Wang")
    await bob.tap("Excellent (优秀)")
    assert "Skip ›" not in bob.buttons()  # the secretary is the last one
    await bob.tap("‹ All members")  # not grading the secretary
    assert bob.buttons()[:2] == ["Alice Wang · Excellent (优秀)", "Sam Secretary"]

    # Anonymous: a member sees what she gave, never what she got or others' counts.
    await alice.say("/appraisal")
    assert "You graded 1 of 2 other members" in alice.last_text
    assert "Excellent" not in alice.last_text and "peers" not in alice.last_text
    assert not any("peers:" in text for text in alice.texts())
    await alice.forge(f"ap:br:{s.branch_a}:0")
    assert alice.alerts()[-1] == t(NOT_ALLOWED)

    # The secretary's board has the counts, never who gave them.
    await sec_a.say("/appraisal")
    board = sec_a.last_text
    assert "Self-assessments: 1 of 3" in board and "Results recorded: 0 of 3" in board
    assert ("• Alice Wang: ✍ self-assessment in · peers: Excellent (优秀) 1 · result: "
            "not recorded") in board
    assert "• Bob Li: no self-assessment · peers: Qualified (合格) 1" in board
    assert "• Sam Secretary: no self-assessment · peers: no peer grades" in board

    # The assembly confirms once every member has a result.
    await sec_a.tap("🏛 Record the assembly's confirmation")
    await sec_a.tap("Yesterday")
    await sec_a.tap("✅ Record it")
    assert ("Record every member's result before the assembly's confirmation."
            in sec_a.last_text)
    await sec_a.tap("📝 Alice Wang · —")
    assert "The branch's result for Alice Wang?" in sec_a.last_text
    await sec_a.tap("Excellent (优秀)")
    await sec_a.say("Led the volunteers")
    assert "Record this result?" in sec_a.last_text and "Note: Led the volunteers" in (
        sec_a.last_text)
    await sec_a.tap("✅ Record it")
    assert "✅ Result for Alice Wang: Excellent (优秀)." in sec_a.last_text
    for name, grade in (("Bob Li", "Qualified (合格)"), ("Sam Secretary", "Qualified (合格)")):
        await sec_a.tap(f"📝 {name} · —")
        await sec_a.tap(grade)
        await sec_a.tap("Skip ›")
        await sec_a.tap("✅ Record it")
        assert f"✅ Result for {name}: {grade}." in sec_a.last_text
    assert "Results recorded: 3 of 3" in sec_a.last_text
    await sec_a.tap("🏛 Record the assembly's confirmation")
    await sec_a.say("2030-11-19")
    await sec_a.tap("✅ Record it")
    assert "✅ Confirmed by the assembly on 2030-11-19." in sec_a.last_text

    # Alice sees her own result, not Bob's.
    await alice.say("/appraisal")
    assert "Your result: Excellent (优秀)" in alice.last_text
    assert "Note: Led the volunteers" in alice.last_text
    assert "Bob" not in alice.last_text

    # Closing links the year's 民主评议 meeting; nothing changes afterwards.
    await sec_a.tap("🔒 Close the appraisal")
    assert "Close the appraisal of 2030? Nothing can be changed afterwards." in sec_a.last_text
    assert "Was it held as the year's 民主评议 meeting?" in sec_a.last_text
    await sec_a.tap("🔒 Close: the meeting of 2030-11-18 (Appraisal meeting)")
    assert "🔒 The appraisal of 2030 is closed." in sec_a.last_text
    assert "Held as the 民主评议 meeting of 2030-11-18." in sec_a.last_text
    await alice.say("/appraisal")
    assert "The appraisal was closed on 2030-11-20." in alice.last_text
    assert alice.buttons() == []
    bob_person = await person_of(bot, s.bob)
    await alice.forge(f"ap:pv:{bob_person}:unqualified")
    assert "The appraisal is closed: nothing can be changed any more." in alice.last_text

    async with bot.app.database.session() as session:
        stored = await session.scalar(select(Appraisal))
        assert stored is not None and stored.meeting_id == meeting_id
        assert stored.assembly_confirmed_on == date(2030, 11, 19)
        assert stored.closed_by == SEC_A
        results = dict((await session.execute(
            select(Person.real_name, AppraisalResult.grade)
            .join(Person, Person.id == AppraisalResult.person_id))).all())
        grades = (await session.scalars(select(AppraisalPeerGrade.grade))).all()
    assert results == {"Alice Wang": G.EXCELLENT, "Bob Li": G.QUALIFIED,
                       "Sam Secretary": G.QUALIFIED}
    assert sorted(grades) == sorted([G.QUALIFIED, G.EXCELLENT])
    assert await rows(bot, AppraisalSelf) == 1

    # The year's results are in the branch's ledger workbook.
    await sec_a.forge(f"lg:xlsx:{s.branch_a}:ty")
    await bot.settle()
    document = next(m for m in reversed(bot.emulator.bot_messages(SEC_A))
                    if m.kind == "document")
    sheet = load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id))).worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    title = next(i for i, row in enumerate(cells)
                 if row[0] == "Democratic appraisal of members (民主评议党员)")
    assert cells[title + 1][:5] == ["Year", "Name", "Result", "Note",
                                    "Confirmed by the assembly"]
    assert cells[title + 2][:4] == [2030, "Alice Wang", "Excellent (优秀)", "Led the volunteers"]
    assert cells[title + 2][4].date() == date(2030, 11, 19)


async def test_another_branch_and_forged_presses_change_nothing(bot: Bot) -> None:
    s = await fixed(bot)
    sec_a = bot.person(SEC_A, "Sec A", language_code="en")
    alice = bot.person(ALICE, "Alice", language_code="en")
    carol = bot.person(CAROL, "Carol", language_code="en")
    sec_b = bot.person(SEC_B, "Sec B", language_code="en")
    alice_person = await person_of(bot, s.alice)

    # Before anything is open: a member cannot open it, the other branch's secretary neither.
    await alice.say("/start")
    await carol.say("/start")
    await sec_b.say("/appraisal")
    assert "Democratic appraisal of Branch B" in sec_b.last_text
    for person, data in ((alice, f"ap:opy:{s.branch_a}"), (sec_b, f"ap:opy:{s.branch_a}"),
                         (sec_b, f"ap:br:{s.branch_a}:0"), (carol, f"ap:br:{s.branch_a}:0")):
        await person.forge(data)
        assert person.alerts()[-1] == t(NOT_ALLOWED), data
    assert await rows(bot, Appraisal) == 0

    await sec_a.say("/appraisal")
    await sec_a.tap("▶ Open this year's appraisal")
    await sec_a.tap("✅ Open it")
    await bot.settle()
    assert not carol.saw("democratic appraisal of members for 2030")

    # Carol's branch has none open; she cannot grade Alice nor write into branch A's.
    await carol.say("/appraisal")
    assert carol.last_text == t("The branch has not opened this year's democratic appraisal.")
    for data in (f"ap:pp:{alice_person}", f"ap:pv:{alice_person}:excellent",
                 f"ap:pw:{alice_person}", "ap:sw"):
        await carol.forge(data)
        assert carol.alerts()[-1] in (t(NOT_ALLOWED), t(NOT_OPEN)), data
    # Alice cannot grade herself, record results or close.
    for data in (f"ap:pv:{alice_person}:excellent", f"ap:pp:{alice_person}",
                 f"ap:rs:{s.branch_a}:{alice_person}", f"ap:cly:{s.branch_a}:",
                 f"ap:ca:{s.branch_a}"):
        await alice.forge(data)
        assert alice.alerts()[-1] == t(NOT_ALLOWED), data
    # The other branch's secretary cannot record a result or close branch A's.
    for data in (f"ap:rs:{s.branch_a}:{alice_person}", f"ap:cly:{s.branch_a}:",
                 f"ap:cl:{s.branch_a}"):
        await sec_b.forge(data)
        assert sec_b.alerts()[-1] == t(NOT_ALLOWED), data
    # The secretary cannot link a meeting that is not the branch's 民主评议 meeting.
    assert bot.app is not None
    async with bot.app.database.session() as session:
        assembly = await meetings.schedule(session, meetings.MeetingPlan(
            org_id=s.branch_a, kind=MeetingKind.ASSEMBLY, starts_at=NOW - timedelta(days=1),
            ends_at=NOW - timedelta(hours=22), topic="Assembly", place="Room 1"),
            created_by=SEC_A, now=NOW - timedelta(days=9))
        assembly_id = assembly.id
    await sec_a.forge(f"ap:cly:{s.branch_a}:{assembly_id}")
    assert sec_a.alerts()[-1] == t(NOT_ALLOWED)
    async with bot.app.database.session() as session:
        stored = await session.scalar(select(Appraisal))
        assert stored is not None and stored.closed_at is None
    assert (await rows(bot, AppraisalPeerGrade), await rows(bot, AppraisalResult),
            await rows(bot, AppraisalSelf)) == (0, 0, 0)
