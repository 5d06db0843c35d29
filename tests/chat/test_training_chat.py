"""Training hours through the chat: members log with evidence, leaders log for many, verify,
reject and correct, lessons count from attendance, who is behind, secretaries on track, the
export, every bad input re-asked with its reason, and totals checked against SQL.

The world is seeded with the storage functions; everything under test goes through the bot.
Dates are taken relative to today (the bot uses the wall clock), chosen so that each test
means the same on any day of the year.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
from PIL import Image
from sqlalchemy import select, text

from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.i18n import translator
from handlers.training import due_duration, duration
from rules import training as rules
from rules.training import TrainingDraft
from rules.vocabulary import (
    CheckinMethod,
    MeetingKind,
    MemberRole,
    MemberStatus,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)
from storage import meetings, people
from storage import training as store
from storage.models import AuditEvent, TrainingEvidence, TrainingRecord, TrainingYear
from tests.harness import ADMIN_ID, Bot, seed_harbour

TZ = ZoneInfo("Asia/Shanghai")
SEC_A, COM_A, ALICE, BOB, AMY = 750_001, 750_002, 750_003, 750_004, 750_005
SEC_B, CAROL = 750_101, 750_102
NAMES = {
    SEC_A: "Sam Secretary", COM_A: "Cora Committee", ALICE: "Alice Wang", BOB: "Bob Li",
    AMY: "Amy Activist", SEC_B: "Tom Secretary", CAROL: "Carol Sun", ADMIN_ID: "Admin",
}
HPD = 8  # the default hours per day
t = translator("en")


@dataclass
class World:
    committee: int
    branch_a: int
    branch_b: int
    person: dict[int, int]  # Telegram id -> person id
    membership: dict[int, int]  # Telegram id -> membership id


def today() -> date:
    return datetime.now(TZ).date()


async def build_world(bot: Bot) -> World:
    assert bot.app is not None
    cast = (
        (SEC_A, "a", MemberRole.SECRETARY, MemberStatus.FULL),
        (COM_A, "a", MemberRole.COMMITTEE_MEMBER, MemberStatus.FULL),
        (ALICE, "a", MemberRole.MEMBER, MemberStatus.FULL),
        (BOB, "a", MemberRole.MEMBER, MemberStatus.PROBATIONARY),
        (AMY, "a", MemberRole.MEMBER, MemberStatus.ACTIVIST),
        (SEC_B, "b", MemberRole.SECRETARY, MemberStatus.FULL),
        (CAROL, "b", MemberRole.MEMBER, MemberStatus.FULL),
    )
    harbour = await seed_harbour(bot, cast, NAMES)
    return World(harbour.committee, harbour.branches["a"], harbour.branches["b"],
                 harbour.person, harbour.membership)


def who(bot: Bot, telegram_id: int) -> Any:
    return bot.person(telegram_id, NAMES[telegram_id], language_code="en")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def send_photo(bot: Bot, person: Any, data: bytes) -> list[Any]:
    return await person._after(lambda: bot.emulator.send_photo(person.user_id, data))


async def send_document(
    bot: Bot, person: Any, data: bytes, name: str, mime: str = "application/pdf"
) -> list[Any]:
    return await person._after(
        lambda: bot.emulator.send_document(person.user_id, data, name, mime)
    )


def joined(replies: list[Any]) -> str:
    return "\n".join(r.text for r in replies)


# Leaders also get reminders from the planner at any moment, so what a step answered is read
# from the step's own replies (and the message it edited), never from "the last message".


async def say(person: Any, text: str) -> str:
    """Type; what the bot answered."""
    return joined(await person.say(text))


async def press(person: Any, label: str, message_id: int | None = None) -> str:
    """Tap a button; the tapped message as it is now, then the bot's new messages."""
    target = message_id if message_id is not None else person.message_with_button(label)
    replies = await person.tap(label, target)
    return "\n".join([person.emu.message(person.user_id, target).text,
                      *(r.text for r in replies)])


async def forge(person: Any, data: str, message_id: int | None = None) -> str:
    """Send callback data; the alert it answered ('' if none)."""
    before = len(person.alerts())
    await person.forge(data, message_id)
    alerts = person.alerts()
    return alerts[-1] if len(alerts) > before else ""


def newest(person: Any, fragment: str) -> Any:
    """The bot's newest message to this person containing `fragment`."""
    for message in reversed(person.emu.bot_messages(person.user_id)):
        if fragment in message.text:
            return message
    raise AssertionError(f"{person.name} was never told {fragment!r}")


def count(person: Any, fragment: str) -> int:
    return sum(fragment in text for text in person.texts())


async def seed_record(
    bot: Bot, w: World, telegram_id: int, title: str, starts_on: date, minutes: int, *,
    ends_on: date | None = None, kind: TrainingKind = TrainingKind.CONCENTRATED,
    verify_by: int | None = None,
) -> int:
    """A record logged (and maybe verified) through storage, as if done earlier."""
    assert bot.app is not None
    async with bot.app.database.session() as s:
        record = await store.log_training(
            s, w.person[telegram_id],
            TrainingDraft(title=title, kind=kind, starts_on=starts_on,
                          ends_on=ends_on or starts_on, minutes=minutes),
            by=telegram_id, today=today(), now=bot.app.now(),
        )
        if verify_by is not None:
            assert await store.decide(s, record.id, approve=True, by=verify_by,
                                      now=bot.app.now())
        return record.id


async def records(bot: Bot) -> list[TrainingRecord]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        return list((await s.scalars(select(TrainingRecord).order_by(TrainingRecord.id))).all())


async def audit_actions(bot: Bot) -> list[tuple[str, int | None]]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        rows = await s.execute(
            select(AuditEvent.action, AuditEvent.actor_telegram_id)
            .where(AuditEvent.action.like("training.%"))
            .order_by(AuditEvent.id)
        )
        return [(action, actor) for action, actor in rows.all()]


def d(minutes: int) -> str:
    """A duration as the bot shows it in English."""
    return duration(t, minutes, HPD)


def due(minutes: int) -> str:
    """A pro-rata target or gap as the bot shows it (whole hours, rounded up)."""
    return due_duration(t, minutes, HPD)


# ---------------------------------------------------------------------------------------
# A member logs with evidence; the secretary looks at it and verifies
# ---------------------------------------------------------------------------------------


async def test_member_logs_with_evidence_and_the_secretary_verifies(bot: Bot) -> None:
    w = await build_world(bot)
    alice, sec, bob = who(bot, ALICE), who(bot, SEC_A), who(bot, BOB)
    year = today().year

    view = await say(alice, "/training")
    assert f"My training in {year}" in view
    assert "Requirement for Party members: 4 days (32 h) a year" in view
    assert "Done and counted: 0 hours" in view
    assert "░░░░░░░░░░ 0%" in view
    assert "count automatically" in view  # lessons attended need no logging
    help_text = await say(alice, "/help")
    assert "/training — " in help_text and "/verify" not in help_text
    assert "📚 Training" in alice.keyboard()

    step = await press(alice, "➕ Log a training")
    assert "Which kind of training?" in step and "count automatically" in step
    assert "title" in await press(alice, "Concentrated training")
    assert "Who organized it?" in await say(alice, "Party history course")
    assert "On which day did it start?" in await say(alice, "District Party School")
    await press(alice, "Today")
    assert "How many hours" in await press(alice, f"Same day ({today().isoformat()})")
    assert "Attach evidence" in await say(alice, "6")
    assert "Received: photo" in joined(await send_photo(bot, alice, png()))
    received = joined(await send_document(bot, alice, PDF, "certificate.pdf"))
    assert "Received: certificate.pdf" in received
    summary = await press(alice, "Done (2 files)")
    for part in ("Title: Party history course", "Organizer: District Party School",
                 "Kind: Concentrated training", "Length: 6 hours", "Evidence: 2 files"):
        assert part in summary, (part, summary)
    after = await press(alice, "✅ Submit")
    assert "Logged: Party history course, 6 hours" in after
    assert "Waiting for verification: 6 hours" in after
    assert "⏳" in after and "(waiting for verification)" in after

    [record] = await records(bot)
    assert record.state is TrainingState.PENDING and record.minutes == 360
    assert record.person_id == w.person[ALICE] and record.organizer == "District Party School"
    assert bot.app is not None
    async with bot.app.database.session() as s:
        evidence = (await s.execute(
            select(TrainingEvidence.mime_type, TrainingEvidence.file_name,
                   TrainingEvidence.size_bytes).order_by(TrainingEvidence.id)
        )).all()
    assert [(m, n) for m, n, _size in evidence] == [
        ("image/jpeg", None), ("application/pdf", "certificate.pdf"),
    ]
    assert evidence[1][2] == len(PDF)
    # Nothing was downloaded: size and type came from what Telegram reported.
    assert bot.emulator.call_count("getFile") == 0

    # The secretary was asked, with the buttons to decide.
    card = newest(sec, "Training to verify")
    assert "Alice Wang" in card.text and "Evidence: 2 files" in card.text
    assert {"✅ Verify", "❌ Reject", "📎 Evidence (2 files)"} <= set(sec.buttons(card))
    replies = await sec.tap("📎 Evidence (2 files)", card.message_id)
    assert sorted(r.kind for r in replies if r.kind != "text") == ["document", "photo"]
    edited = await press(sec, "✅ Verify", card.message_id)
    assert "✅ Verified." in edited and "State: Verified" in edited
    assert "✅ Verify" not in sec.buttons(bot.emulator.message(SEC_A, card.message_id))
    assert "Your training was verified" in newest(alice, "verified").text
    [record] = await records(bot)
    assert record.state is TrainingState.VERIFIED and record.decided_by == SEC_A
    assert await audit_actions(bot) == [("training.log", ALICE), ("training.verify", SEC_A)]
    # Pressed again (an old copy of the button): decided once.
    await forge(sec, f"tr:ok:{record.id}", card.message_id)
    assert "already decided" in bot.emulator.message(SEC_A, card.message_id).text
    assert await audit_actions(bot) == [("training.log", ALICE), ("training.verify", SEC_A)]

    view = await say(alice, "/training")
    assert "Done and counted: 6 hours" in view
    assert "Concentrated training: 6 hours" in view
    assert "Waiting for verification" not in view
    # Bob (same branch, not a leader) may not see Alice's evidence.
    await bob.say("/training")
    assert await forge(bob, f"tr:ev:{record.id}") == t(NOT_ALLOWED)
    assert {m.kind for m in bot.emulator.bot_messages(BOB)} <= {"text"}


# ---------------------------------------------------------------------------------------
# A leader corrects the length and rejects with a reason; the member is told each time
# ---------------------------------------------------------------------------------------


async def test_secretary_corrects_the_length_then_rejects_with_a_reason(bot: Bot) -> None:
    w = await build_world(bot)
    day = today()
    record_id = await seed_record(bot, w, BOB, "Online course on the constitution", day, 8 * 60,
                                  kind=TrainingKind.ONLINE)
    await seed_record(bot, w, CAROL, "A course in branch B", day, 60)
    sec, bob = who(bot, SEC_A), who(bot, BOB)

    queue = await say(sec, "/verify")
    assert "Training waiting for verification: 1" in queue
    assert "Branch B" not in queue and "A course in branch B" not in queue
    message = newest(sec, "Training waiting for verification")
    assert any("Bob Li" in b for b in sec.buttons(message))
    assert not any("Carol" in b for b in sec.buttons(message))
    card = await press(sec, "Bob Li", message.message_id)
    assert "Member: Bob Li · Branch A" in card
    assert "Length: 1 day (8 h)" in card and "State: Waiting for verification" in card

    assert "Now 1 day (8 h)" in await press(sec, "✏️ Correct the length", message.message_id)
    assert await say(sec, "-2") == t(
        "The length must be more than zero. Please type the hours again, for example 6 or 1.5."
    )
    too_many = await say(sec, "30")
    assert "more than 24 hours for each day" in too_many and "at most 24 hours" in too_many
    assert "Please type a number" in await say(sec, "about four")
    corrected = await say(sec, "4")
    assert "✏️ Corrected: 1 day (8 h) → 4 hours." in corrected
    assert "Length: 4 hours" in corrected
    told = newest(bob, "Your training record was corrected").text
    assert "Length: 1 day (8 h) → 4 hours" in told
    [record] = [r for r in await records(bot) if r.id == record_id]
    assert record.minutes == 240 and record.state is TrainingState.PENDING
    assert bot.app is not None
    async with bot.app.database.session() as s:
        edit = await s.scalar(select(AuditEvent).where(AuditEvent.action == "training.edit"))
        years = (await s.execute(
            select(TrainingYear.year, TrainingYear.minutes).where(
                TrainingYear.record_id == record_id)
        )).all()
    assert edit is not None and edit.actor_telegram_id == SEC_A
    assert edit.details["before"] == {"minutes": 480}
    assert edit.details["after"] == {"minutes": 240}
    assert [tuple(row) for row in years] == [(day.year, 240)]

    # Asked for a reason, the secretary starts logging a training of their own instead: the
    # title typed then is a title, not a reason. Pressing Reject again leaves that log.
    assert "not accepted?" in await press(sec, "❌ Reject")
    await sec.say("/training")
    await press(sec, "➕ Log a training")
    await press(sec, "Concentrated training")
    assert "Who organized it?" in await say(sec, "My own course")
    [record] = [r for r in await records(bot) if r.id == record_id]
    assert record.state is TrainingState.PENDING
    asked = await press(sec, "❌ Reject")
    assert "Why is Online course on the constitution of Bob Li not accepted?" in asked
    rejected = await say(sec, "No certificate, and the platform shows 2 hours")
    assert "Not accepted; Bob Li was told." in rejected
    assert "Reason: No certificate, and the platform shows 2 hours" in rejected
    told = newest(bob, "Your training was not accepted").text
    assert "Reason: No certificate, and the platform shows 2 hours" in told
    [record] = [r for r in await records(bot) if r.id == record_id]
    assert record.state is TrainingState.REJECTED
    assert record.reject_reason == "No certificate, and the platform shows 2 hours"
    assert len(await records(bot)) == 2  # nothing logged for the secretary
    assert [a for a, _by in await audit_actions(bot)][-2:] == ["training.edit", "training.reject"]

    view = await say(bob, "/training")
    assert "Not accepted: No certificate, and the platform shows 2 hours" in view
    assert "Done and counted: 0 hours" in view
    # Nothing left to verify; an old Verify button decides nothing.
    assert "Nothing is waiting for verification." in await say(sec, "/verify")
    await forge(sec, f"tr:ok:{record_id}", message.message_id)
    assert "already decided" in bot.emulator.message(SEC_A, message.message_id).text
    [record] = [r for r in await records(bot) if r.id == record_id]
    assert record.state is TrainingState.REJECTED


# ---------------------------------------------------------------------------------------
# One training for many, and the leaders' three days
# ---------------------------------------------------------------------------------------


async def test_bulk_logging_and_the_three_day_rule_for_a_secretary(bot: Bot) -> None:
    w = await build_world(bot)
    last_year = today().year - 1
    first, last = date(last_year, 12, 9), date(last_year, 12, 11)
    sec, com, admin = who(bot, SEC_A), who(bot, COM_A), who(bot, ADMIN_ID)

    await sec.say("/training")
    assert "Training · Branch A" in await press(sec, "🏢 Branch training")
    picker = await press(sec, "👥 Log for members")
    assert "Who attended?" in picker
    await press(sec, "Select all")
    assert "Next › (5 chosen)" in sec.buttons(newest(sec, "Who attended?"))
    await press(sec, "☑ Amy Activist · Member")  # untick the activist
    assert "☐ Amy Activist · Member" in sec.buttons(newest(sec, "Who attended?"))
    assert "Which kind of training?" in await press(sec, "Next › (4 chosen)")
    await press(sec, "Concentrated training")
    await say(sec, "Annual training of branch leaders")
    step = await press(sec, "Skip")
    assert "On which day did it start?" in step
    await say(sec, first.isoformat())
    await say(sec, last.isoformat())
    await press(sec, "3 days = 24 h")
    summary = await press(sec, "Skip")
    assert f"Dates: {first.isoformat()} – {last.isoformat()} (3 days)" in summary
    assert "Length: 3 days (24 h)" in summary
    assert "For 4 members: Sam Secretary, Cora Committee, Alice Wang, Bob Li" in summary
    done = await press(sec, "✅ Log and verify")
    assert "Logged for 4 members of Branch A." in done
    assert "3 records are verified." in done
    assert "Your own record waits for another leader or the level above." in done
    assert "3 people were told." in done

    logged = await records(bot)
    assert len(logged) == 4 and len({r.batch_id for r in logged}) == 1
    states = {r.person_id: r.state for r in logged}
    assert states[w.person[SEC_A]] is TrainingState.PENDING
    assert {states[w.person[x]] for x in (COM_A, ALICE, BOB)} == {TrainingState.VERIFIED}
    assert w.person[AMY] not in states
    told = newest(com, "Sam Secretary logged a training for you").text
    assert "Verified: it counts in your year." in told

    # The committee member's three days are done, in last year.
    await com.say("/training")
    view = await press(com, "Last year")
    assert f"My training in {last_year}" in view
    assert "Requirement for Secretaries and committee members: 3 days (24 h) a year" in view
    assert "Counts toward it: Concentrated training" in view
    assert "Done and counted: 3 days (24 h)" in view
    assert "██████████ 100%" in view
    assert f"The requirement for {last_year} is met." in view

    # The secretary's own record waits for the level above; they may not verify it.
    own = next(r.id for r in logged if r.person_id == w.person[SEC_A])
    assert await forge(sec, f"tr:ok:{own}") == t(
        "You cannot verify or correct your own training; another leader or the level above "
        "does."
    )
    await sec.say("/training")
    view = await press(sec, "Last year")
    assert "Done and counted: 0 hours" in view
    assert "Waiting for verification: 3 days (24 h)" in view

    # The admin verifies it; now the secretary has the three days too.
    await admin.say("/verify")
    await press(admin, "Sam Secretary")
    await press(admin, "✅ Verify")
    assert count(sec, "Your training was verified") == 1
    await sec.say("/training")
    view = await press(sec, "Last year")
    assert "Done and counted: 3 days (24 h)" in view and "is met" in view
    # A leader owes the members' yearly study too, and sees both (issue 14).
    assert "Also owed, like every member: 4 days (32 h) a year of Concentrated training" in view
    assert "; done and counted: 3 days (24 h)" in view
    assert "Still to do: 1 day (8 h)" in view

    # Across the branches below the admin: neither secretary is on track for last year (the
    # 3 days do not make the members' 32 h that bind secretaries too).
    assert "Training of which organization?" in await say(admin, "/training")
    panel = await press(admin, "Harbour Committee")
    assert "Training · Harbour Committee" in panel
    panel_message = newest(admin, "Training · Harbour Committee")
    assert "👥 Log for members" not in admin.buttons(panel_message)  # a 党委 has no members
    await press(admin, "📊 Secretaries on track")
    report = await press(admin, "Last year")
    assert "On track: 0 of 2 secretaries (0%)" in report
    assert "⚠️ Branch A: 0 of 1" in report and "⚠️ Branch B: 0 of 1" in report

    # Logged again for someone who has it: caught at the first day, with a way out.
    await sec.say("/training")
    await press(sec, "🏢 Branch training")
    await press(sec, "👥 Log for members")
    await press(sec, "☐ Alice Wang · Member")
    await press(sec, "Next › (1 chosen)")
    await press(sec, "Concentrated training")
    await say(sec, "Annual training of branch LEADERS!")  # the same course, written otherwise
    await press(sec, "Skip")
    again = await say(sec, first.isoformat())
    assert "All the chosen members already have" in again
    assert "✏️ Change the title" in sec.buttons(newest(sec, "All the chosen members"))
    await press(sec, "Cancel")
    # With Amy too, only Amy is logged and Alice is named as skipped.
    await sec.say("/training")
    await press(sec, "🏢 Branch training")
    await press(sec, "👥 Log for members")
    await press(sec, "☐ Alice Wang · Member")
    await press(sec, "☐ Amy Activist · Member")
    await press(sec, "Next › (2 chosen)")
    await press(sec, "Concentrated training")
    await say(sec, "Annual training of branch leaders")
    await press(sec, "Skip")
    await say(sec, first.isoformat())
    await say(sec, last.isoformat())
    await press(sec, "3 days = 24 h")
    summary = await press(sec, "Skip")
    assert "For 1 member: Amy Activist" in summary
    assert "Already logged, skipped: Alice Wang" in summary
    done = await press(sec, "Log, verify later")
    assert "Logged for 1 member of Branch A." in done
    assert "0 records are verified." in done
    assert "1 member already had it and was skipped." in done
    logged = await records(bot)
    assert len(logged) == 5
    assert logged[-1].person_id == w.person[AMY] and logged[-1].state is TrainingState.PENDING


# ---------------------------------------------------------------------------------------
# Lessons count from attendance; a course over New Year counts in each year; SQL agrees
# ---------------------------------------------------------------------------------------


async def hold_lesson(bot: Bot, w: World, starts: datetime, minutes: int,
                      present: list[int]) -> int:
    """A party lesson of branch A, checked in and closed, through storage."""
    assert bot.app is not None
    async with bot.app.database.session() as s:
        lesson = await meetings.schedule(
            s, meetings.MeetingPlan(
                org_id=w.branch_a, kind=MeetingKind.LESSON, starts_at=starts,
                ends_at=starts + timedelta(minutes=minutes), topic="New Year lesson",
                place="Room 101", lecturer="Sam Secretary",
            ),
            created_by=SEC_A, now=starts - timedelta(days=1),
        )
        for telegram_id in present:
            result = await meetings.check_in(
                s, lesson, w.membership[telegram_id], method=CheckinMethod.MANUAL, now=starts,
                by=SEC_A,
            )
            assert result.outcome == "present"
        await meetings.close(s, lesson, minutes="notes", by=SEC_A,
                             now=starts + timedelta(minutes=minutes))
        return lesson.id


async def sql_minutes(bot: Bot, person_id: int, year: int) -> int:
    """Verified minutes of a person's year, summed directly: records' shares of the year plus
    party lessons attended (closed, present), by the lesson's local start."""
    assert bot.app is not None
    async with bot.app.database.session() as s:
        logged = await s.scalar(text(
            "SELECT COALESCE(SUM(y.minutes), 0) FROM training_years y "
            "JOIN training_records r ON r.id = y.record_id "
            "WHERE r.person_id = :person AND r.state = 'verified' AND y.year = :year"
        ), {"person": person_id, "year": year})
        lessons = (await s.execute(text(
            "SELECT m.starts_at, m.ends_at FROM meetings m "
            "JOIN attendances a ON a.meeting_id = m.id "
            "JOIN memberships ms ON ms.id = a.membership_id "
            "WHERE ms.person_id = :person AND m.kind = 'lesson' AND m.state = 'closed' "
            "AND a.status = 'present'"
        ), {"person": person_id})).all()

    def moment(value: Any) -> datetime:
        value = datetime.fromisoformat(value) if isinstance(value, str) else value
        return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))

    attended = sum(
        round((moment(end) - moment(start)).total_seconds() / 60)
        for start, end in lessons
        if moment(start).astimezone(TZ).year == year
    )
    return int(logged) + attended


async def test_lessons_count_from_attendance_and_totals_agree_with_sql(bot: Bot) -> None:
    w = await build_world(bot)
    year = today().year
    alice, sec = who(bot, ALICE), who(bot, SEC_A)
    # 1 January, 09:00-10:30: Alice attended the party lesson, Bob did not.
    lesson_start = datetime.combine(date(year, 1, 1), time(9), tzinfo=TZ)
    await hold_lesson(bot, w, lesson_start, 90, [ALICE, SEC_A])

    view = await say(alice, "/training")
    assert "Done and counted: 1 hour 30 minutes" in view
    assert (f"📖 {year}-01-01 · Party lesson · New Year lesson · 1 hour 30 minutes "
            "(attendance, counted automatically)") in view
    assert "Party lesson: 1 hour 30 minutes" in view
    bob_view = await say(who(bot, BOB), "/training")
    assert "Done and counted: 0 hours" in bob_view and "New Year lesson" not in bob_view

    # A three-day course from 30 December to 1 January counts in the year of each day.
    await press(alice, "➕ Log a training")
    await press(alice, "Concentrated training")
    await say(alice, "Course across the New Year")
    await press(alice, "Skip")
    await say(alice, f"{year - 1}-12-30")
    await say(alice, f"{year}-01-01")
    await press(alice, "3 days = 24 h")
    summary = await press(alice, "Skip")
    assert (f"Counted per year: {year - 1}: 2 days (16 h) · {year}: 1 day (8 h)") in summary
    await press(alice, "✅ Submit")
    card = newest(sec, "Training to verify")
    await press(sec, "✅ Verify", card.message_id)

    view = await say(alice, "/training")
    total = await sql_minutes(bot, w.person[ALICE], year)
    assert total == 8 * 60 + 90
    assert f"Done and counted: {d(total)}" in view
    assert d(total) == "1 day 1 hour 30 minutes (9.5 h)"
    assert (f"✅ {year - 1}-12-30 – {year}-01-01 · Concentrated training · "
            "Course across the New Year · 1 day (8 h) of 3 days (24 h)") in view
    last_view = await press(alice, "Last year")
    last_total = await sql_minutes(bot, w.person[ALICE], year - 1)
    assert last_total == 16 * 60
    assert f"Done and counted: {d(last_total)}" in last_view
    # The same totals as the views of storage.
    assert bot.app is not None
    async with bot.app.database.session() as s:
        mine = await store.person_year(s, w.person[ALICE], year, tz=TZ)
    assert mine.counted == total and mine.done_by_kind[TrainingKind.LESSON] == 90

    # The export: one line per member, one per course (the lesson from the meeting).
    await sec.say("/training")
    await press(sec, "🏢 Branch training")
    replies = await sec.tap(f"📤 Export {year}")
    [document] = [r for r in replies if r.kind == "document"]
    assert document.file_name == f"training-{w.branch_a}-{year}.xlsx"
    assert f"Training record of Branch A, {year}: 4 members, 2 courses." in document.text
    book = openpyxl.load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    members_sheet, courses_sheet = book.worksheets
    header = [cell.value for cell in members_sheet[6]]
    assert header[:5] == ["Name", "Organization", "Requirement group", "Required (h)",
                          "Counted (h)"]
    rows = {row[0]: row for row in members_sheet.iter_rows(min_row=7, values_only=True)}
    assert set(rows) == {"Sam Secretary", "Cora Committee", "Alice Wang", "Bob Li"}
    assert rows["Alice Wang"][4] == total / 60
    assert rows["Alice Wang"][3] == 32 and rows["Sam Secretary"][3] == 24
    assert rows["Bob Li"][4] == 0
    courses = {row[0]: row for row in courses_sheet.iter_rows(min_row=2, values_only=True)}
    assert courses["New Year lesson"][1] == "Party lesson in the bot (Sam Secretary)"
    assert courses["Course across the New Year"][5] == 1  # verified participants
    assert courses["Course across the New Year"][6] == 8  # hours in this year


# ---------------------------------------------------------------------------------------
# Who is behind the pro-rata target, and secretaries on track
# ---------------------------------------------------------------------------------------


async def test_behind_list_is_pro_rata_and_sorted_by_gap(bot: Bot) -> None:
    w = await build_world(bot)
    day = today()
    assert bot.app is not None
    async with bot.app.database.session() as s:
        # Branch A's members owe 8 hours a year; its leaders the default 3 days.
        await store.set_requirement(s, w.branch_a, TrainingGroup.MEMBER, 8 * 60, by=ADMIN_ID)
    await seed_record(bot, w, SEC_A, "Leaders' course", day, 24 * 60, verify_by=ADMIN_ID)
    await seed_record(bot, w, ALICE, "Members' course", day, 8 * 60, verify_by=SEC_A)
    await seed_record(bot, w, BOB, "Waiting course", day, 4 * 60)  # pending: not counted
    due_leader = rules.pro_rata_target(24 * 60, day, day.year)
    due_member_a = rules.pro_rata_target(8 * 60, day, day.year)
    due_member_b = rules.pro_rata_target(32 * 60, day, day.year)
    sec, sec_b, admin, bob = who(bot, SEC_A), who(bot, SEC_B), who(bot, ADMIN_ID), who(bot, BOB)

    listed = await say(sec, "/behind")
    assert "Below the target: 2" in listed
    cora = f"1. Cora Committee · Committee member: 0 hours of {due(due_leader)} due, " \
           f"{due(due_leader)} short"
    bob_line = (f"2. Bob Li · Member: 0 hours of {due(due_member_a)} due, "
                f"{due(due_member_a)} short")
    assert cora in listed and bob_line in listed
    # A leader's line shows both requirements: 3 days concentrated and the yearly study.
    assert f"{cora}; yearly study: 0 hours of {due(due_member_a)} due" in listed
    for name in ("Alice Wang", "Sam Secretary", "Amy Activist", "Carol Sun", "Tom Secretary"):
        assert name not in listed, name

    listed_b = await say(sec_b, "/behind")
    assert "Carol Sun" in listed_b and "Tom Secretary" in listed_b
    assert "Bob Li" not in listed_b and "Cora" not in listed_b

    # The admin sees every branch: biggest gap first, with the branch named.
    everyone = await say(admin, "/behind")
    # Tom owes the members' 32 h of study too, a bigger gap than his 3 days (issue 14).
    order = ["Carol Sun (Branch B)", "Tom Secretary (Branch B)", "Cora Committee (Branch A)",
             "Bob Li (Branch A)"]
    positions = [everyone.index(name) for name in order]
    assert positions == sorted(positions), everyone
    assert f"{due(due_member_b)} short" in everyone

    # Members may not see who is behind.
    await bob.say("/training")
    assert await say(bob, "/behind") == t(NOT_ALLOWED)

    # Secretaries on track this year: Sam yes, Tom no.
    await say(admin, "/training")
    panel = await press(admin, "Harbour Committee")
    assert "Secretaries on track: 1 of 2" in panel
    assert "Below the pro-rata target today: 4" in panel
    report = await press(admin, "📊 Secretaries on track")
    # Sam's 3 days also cover branch A's 8 h of members' study, which binds him too.
    assert "Like every member, a secretary also owes 4 days (32 h) of" in report
    assert "On track: 1 of 2 secretaries (50%)" in report
    assert "✅ Branch A: 1 of 1" in report and "⚠️ Branch B: 0 of 1" in report
    # The branch panel links the same lists.
    await sec.say("/training")
    panel = await press(sec, "🏢 Branch training")
    assert "Below the pro-rata target today: 2" in panel
    assert "Cora Committee" in await press(sec, "⚠️ Who is behind (2)")


# ---------------------------------------------------------------------------------------
# Bad input: each step says why, in the member's language, and asks again
# ---------------------------------------------------------------------------------------


async def test_bad_input_is_refused_with_a_reason_and_the_step_asked_again(bot: Bot) -> None:
    w = await build_world(bot)
    alice = who(bot, ALICE)
    day = today()
    year = day.year
    last_year = year - 1

    # This year: a first or last day in the future.
    await alice.say("/training")
    await press(alice, "➕ Log a training")
    await press(alice, "Online study")
    await say(alice, "Study of the Party history")
    await press(alice, "Skip")
    tomorrow = day + timedelta(days=1)
    future = await say(alice, tomorrow.isoformat())
    assert f"{tomorrow.isoformat()} is in the future" in future
    assert f"up to today ({day.isoformat()})" in future
    await press(alice, "Today")
    future = await say(alice, tomorrow.isoformat())
    assert f"{tomorrow.isoformat()} is in the future" in future
    assert "On which day did it end?" not in future  # the last day is asked again, alone
    await press(alice, "Cancel")

    # Last year: every step refuses what does not fit and asks again.
    await alice.say("/training")
    await press(alice, "Last year")
    assert f"counts in {last_year}" in await press(alice, "➕ Log a training")
    await press(alice, "Online study")
    assert await say(alice, "!!!") == t(
        "Please type the title of the training (letters or digits, not only punctuation)."
    )
    assert await say(alice, "x" * 201) == t(
        "That title is too long (at most {limit} characters). Please type a shorter one.",
        limit=200,
    )
    assert "Who organized it?" in await say(alice, "Study of the Party history")
    assert "On which day did it start?" in await press(alice, "Skip")
    await bot.restart()  # the step and what was typed so far survive a restart
    assert "I could not read a date in that." in await say(alice, "last spring")
    assert await say(alice, f"{last_year}-02-30") == t(
        "That date does not exist. Please check the day and the month."
    )
    not_in_year = await say(alice, day.isoformat())
    assert f"That training has no day in {last_year}" in not_in_year
    assert "On which day did it end?" in await say(alice, f"{year - 3}-05-01")
    outside = await say(alice, f"{year - 3}-05-02")
    assert f"Only training of {last_year} and {year} can be logged now" in outside
    assert "On which day did it start?" in outside  # the whole range is asked again
    await say(alice, f"{last_year}-05-10")
    assert (await say(alice, f"{last_year}-05-09")).endswith(t(  # after the echoed day
        "The last day {end} is before the first day {start}. Please type the last day again.",
        end=f"{last_year}-05-09", start=f"{last_year}-05-10",
    ))
    assert "How many hours" in await say(alice, f"{last_year}-05-11")
    not_positive = t("The length must be more than zero. Please type the hours again, "
                     "for example 6 or 1.5.")
    assert await say(alice, "-3") == not_positive
    assert await say(alice, "0") == not_positive
    assert await say(alice, "lots") == t("Please type a number, for example 6 or 1.5.")
    absurd = await say(alice, "49")
    assert "2 day(s) allow at most 48 hours" in absurd
    assert "How many days" in await press(alice, "Type days instead")
    assert "Attach evidence" in await say(alice, "1.5")  # days: 12 hours

    # Evidence: neither a photo nor a PDF; too large (by the size Telegram reports); text.
    wrong = joined(await send_document(
        bot, alice, b"PK\x03\x04 not really", "minutes.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ))
    assert "That is not a photo or a PDF." in wrong
    big = joined(await send_document(bot, alice, b"%PDF" + b"0" * (12 * 1024 * 1024),
                                     "scan.pdf"))
    assert "That file is 12 MB; at most 10 MB is accepted." in big
    assert "Please send a photo or a PDF" in await say(alice, "it is on my desk")
    assert bot.emulator.call_count("getFile") == 0
    summary = await press(alice, "Skip")
    assert "Length: 1 day 4 hours (12 h)" in summary and "Evidence: 0 files" in summary
    await press(alice, "✅ Submit")
    [record] = await records(bot)
    assert (record.starts_on, record.ends_on, record.minutes) == (
        date(last_year, 5, 10), date(last_year, 5, 11), 12 * 60,
    )
    assert record.title == "Study of the Party history" and record.kind is TrainingKind.ONLINE

    # The same course again (same title up to case and punctuation, same first day).
    await alice.say("/training")
    await press(alice, "Last year")
    await press(alice, "➕ Log a training")
    await press(alice, "Online study")
    await say(alice, "study of the party history.")
    await press(alice, "Skip")
    twice = await say(alice, f"{last_year}-05-10")
    assert "You have already logged study of the party history. starting on" in twice
    assert "type its first day again or change the title" in twice
    await press(alice, "Cancel")
    assert len(await records(bot)) == 1

    # A pending record may be withdrawn by its member, and logged again.
    view = await say(alice, "/training")
    assert "Study of the Party history" not in view  # it counts in last year
    await press(alice, "Last year")
    withdrawn = await press(alice, "↩ Withdraw: Study of the Party history")
    assert "Withdrawn: Study of the Party history." in withdrawn
    [record] = await records(bot)
    assert record.state is TrainingState.WITHDRAWN
    assert w.person[ALICE] == record.person_id


async def test_chinese_is_the_default_language(bot: Bot) -> None:
    w = await build_world(bot)
    assert bot.app is not None
    async with bot.app.database.session() as s:
        await people.set_language(s, CAROL, "zh")
    await seed_record(bot, w, CAROL, "党史学习教育专题培训", today(), 12 * 60, verify_by=SEC_B)
    carol = bot.person(CAROL, NAMES[CAROL])  # a Chinese Telegram client
    zh = translator("zh")
    view = await say(carol, "/training")
    assert zh("📚 <b>My training in {year}</b>", year=today().year).replace(
        "<b>", "").replace("</b>", "") in view
    assert "党员年度要求：4 天（32 学时）" in view
    assert "已完成并计入：1 天 4 小时（12 学时）" in view
    assert "· 集中培训：1 天 4 小时（12 学时）" in view and "党史学习教育专题培训" in view
    assert "➕ 登记培训" in carol.buttons(newest(carol, "年度培训学时"))


# ---------------------------------------------------------------------------------------
# Admins set a branch's yearly requirement; members add evidence to a pending record
# ---------------------------------------------------------------------------------------


async def requirement_rows(bot: Bot) -> list[tuple[int, str, int]]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        rows = await s.execute(text(
            "SELECT party_organization_id, role_group, required_minutes "
            "FROM training_requirements ORDER BY party_organization_id, role_group"
        ))
        return [(int(o), str(g).lower(), int(m)) for o, g, m in rows.all()]


async def test_admin_sets_and_clears_a_yearly_requirement_others_are_refused(bot: Bot) -> None:
    w = await build_world(bot)
    admin, sec, alice = who(bot, ADMIN_ID), who(bot, SEC_A), who(bot, ALICE)

    # A secretary sees no requirement button and cannot forge one.
    await sec.say("/training")
    panel = await press(sec, "🏢 Branch training")
    assert "Training · Branch A" in panel
    assert "🎯 Yearly requirement" not in sec.buttons(newest(sec, "Training · Branch A"))
    for data in (f"tr:rq:{w.branch_a}", f"tr:rs:{w.branch_a}:member",
                 f"tr:rx:{w.branch_a}:member", f"tr:rxy:{w.branch_a}:member"):
        assert await forge(sec, data) == t(NOT_ALLOWED), data
    assert await forge(sec, "tr:rok") == t(STALE_BUTTON)  # no draft: nothing to confirm
    assert await requirement_rows(bot) == []

    await admin.say("/training")
    await press(admin, "Harbour Committee")
    view = await press(admin, "🎯 Yearly requirement")
    assert "Yearly training requirement · Harbour Committee" in view
    assert "Party members: 4 days (32 h) (default of this deployment)" in view
    await press(admin, "✏️ Set: Party members")
    assert "Please type a number" in await say(admin, "a lot")
    assert "must be more than zero" in await say(admin, "0")
    assert "must be more than zero" in await say(admin, "-5")
    assert "more than 50 days (400 h) a year" in await say(admin, "90 days")
    assert await requirement_rows(bot) == []
    confirm = await say(admin, "5 days")
    assert "4 days (32 h) → 5 days (40 h)" in confirm
    saved = await press(admin, "✅ Confirm")
    assert "✅ Saved." in saved and "Party members: 5 days (40 h) (set here)" in saved
    assert await requirement_rows(bot) == [(w.committee, "member", 40 * 60)]

    # The branch inherits it; Alice's year shows it.
    assert "Requirement for Party members: 5 days (40 h) a year" in await say(alice, "/training")
    await admin.say("/training")
    await press(admin, "Branch A")
    view = await press(admin, "🎯 Yearly requirement")
    assert "Party members: 5 days (40 h) (inherited from Harbour Committee)" in view
    await press(admin, "✏️ Set: Secretaries and committee members")
    await say(admin, "30")
    await press(admin, "✅ Confirm")
    assert sorted(await requirement_rows(bot)) == sorted(
        [(w.committee, "member", 2400), (w.branch_a, "leader", 1800)]
    )
    # A confirm pressed twice (an old copy) changes nothing more.
    assert await forge(admin, "tr:rok") == t(STALE_BUTTON)

    # Clearing asks first; the value then comes from above again.
    ask = await press(admin, "↩ Clear: Secretaries and committee members")
    assert "Remove the yearly requirement" in ask
    cleared = await press(admin, "↩ Yes, remove it")
    assert "↩ Removed." in cleared
    assert "Secretaries and committee members: 3 days (24 h) (default of this deployment)" \
        in cleared
    assert await requirement_rows(bot) == [(w.committee, "member", 2400)]
    assert bot.app is not None
    async with bot.app.database.session() as s:
        events = (await s.execute(
            select(AuditEvent.actor_telegram_id, AuditEvent.target_id, AuditEvent.details)
            .where(AuditEvent.action == "training.requirement").order_by(AuditEvent.id)
        )).all()
    assert [(actor, target, details["before"], details["after"])
            for actor, target, details in events] == [
        (ADMIN_ID, w.committee, None, 2400), (ADMIN_ID, w.branch_a, None, 1800),
        (ADMIN_ID, w.branch_a, 1800, None),
    ]
    # The secretary still cannot clear the committee's value.
    assert await forge(sec, f"tr:rxy:{w.committee}:member") == t(NOT_ALLOWED)
    assert await requirement_rows(bot) == [(w.committee, "member", 2400)]


async def evidence_rows(bot: Bot, record_id: int) -> list[tuple[str, str | None]]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        rows = await s.execute(
            select(TrainingEvidence.mime_type, TrainingEvidence.file_name)
            .where(TrainingEvidence.record_id == record_id).order_by(TrainingEvidence.id)
        )
        return [(m, n) for m, n in rows.all()]


async def test_member_adds_evidence_to_a_pending_record_only(bot: Bot) -> None:
    w = await build_world(bot)
    day = today()
    pending = await seed_record(bot, w, ALICE, "Study week", day, 6 * 60)
    verified = await seed_record(bot, w, ALICE, "Verified course", day, 2 * 60,
                                 verify_by=SEC_A)
    alice, bob, sec = who(bot, ALICE), who(bot, BOB), who(bot, SEC_A)

    view = await say(alice, "/training")
    assert "Study week" in view
    ask = await press(alice, "📎 Add a file")
    assert "Send a photo of the certificate or a PDF for Study week" in ask
    refused = joined(await send_document(bot, alice, b"PK\x03\x04", "notes.docx",
                                         "application/vnd.openxmlformats"))
    assert "That is not a photo or a PDF" in refused
    assert "Please send a photo or a PDF" in await say(alice, "here it is")
    assert "📎 Added to Study week: certificate.pdf" in joined(
        await send_document(bot, alice, PDF, "certificate.pdf"))
    assert "📎 Added to Study week: photo" in joined(await send_photo(bot, alice, png()))
    done = await press(alice, "Done")
    assert "My training in" in done
    assert await evidence_rows(bot, pending) == [
        ("application/pdf", "certificate.pdf"), ("image/jpeg", None),
    ]
    assert bot.emulator.call_count("getFile") == 0
    assert [a for a, by in await audit_actions(bot) if by == ALICE].count(
        "training.evidence_add") == 2
    # The leader's card now shows the files.
    await sec.say("/verify")
    card = await press(sec, "Alice Wang")
    assert "Evidence: 2 files" in card

    # Someone else's record, or a verified one of mine: refused, nothing stored.
    await bob.say("/training")
    assert await forge(bob, f"tr:ea:{pending}") == t(NOT_ALLOWED)
    assert await forge(sec, f"tr:ea:{pending}") == t(NOT_ALLOWED)
    closed = await forge(alice, f"tr:ea:{verified}")
    assert "only while a record waits for verification" in closed
    assert await evidence_rows(bot, verified) == []
    # Verified while Alice is sending: the next file is refused too.
    await alice.say("/training")
    await press(alice, "📎 Add a file")
    assert bot.app is not None
    async with bot.app.database.session() as s:
        assert await store.decide(s, pending, approve=True, by=SEC_A, now=bot.app.now())
    await send_photo(bot, alice, png())
    assert "only while a record waits for verification" in "\n".join(
        [*alice.alerts(), *alice.texts()[-2:]])
    assert len(await evidence_rows(bot, pending)) == 2


async def test_logging_a_lesson_already_attended_is_hinted_and_counted_once(bot: Bot) -> None:
    w = await build_world(bot)
    alice = who(bot, ALICE)
    starts = datetime.now(TZ).replace(hour=0, minute=5, second=0, microsecond=0)
    await hold_lesson(bot, w, starts.astimezone(UTC), 30, [ALICE])
    await say(alice, "/training")
    await press(alice, "➕ Log a training")
    await press(alice, "Party lesson")
    await say(alice, "New Year lesson")
    await say(alice, "Branch A")
    await press(alice, "Today")
    await press(alice, f"Same day ({today().isoformat()})")
    await say(alice, "2")
    await press(alice, "Skip")
    after = await press(alice, "✅ Submit")
    assert "Logged: New Year lesson, 2 hours" in after
    assert (f"ℹ️ You attended the party lesson «New Year lesson» on {today().isoformat()}; it "
            "already counts from the attendance record, so this entry will not be counted a "
            "second time.") in after
    [record] = await records(bot)
    assert bot.app is not None
    async with bot.app.database.session() as s:
        assert await store.decide(s, record.id, approve=True, by=SEC_A, now=bot.app.now())
    async with bot.app.database.session() as s:
        year = await store.person_year(s, w.person[ALICE], today().year, tz=TZ)
    assert year.counted == 30  # the lesson once, not 30 + 120
