"""A past meeting entered afterwards, through the chat: kind, day, topic, who was there,
minutes; it is marked so in the record, the list and the ledger, counts for compliance and
asks nobody to catch up. Branch A of tests/chat/test_checkin_chat.py, in the bot for 400 days."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from sqlalchemy import select

from rules import meetings as rules
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState
from storage import meeting_counts
from storage.models import Attendance, Meeting, MeetingCount, PartyOrganization, utcnow
from tests.chat import test_checkin_chat as ck
from tests.harness import Bot

STALE = "This button is no longer valid. Please open the menu again."


async def test_a_past_meeting_is_entered_afterwards_and_counts(bot: Bot) -> None:
    w = await ck.seed(bot, starts_in=timedelta(days=3))  # one upcoming meeting besides
    assert bot.app is not None
    async with bot.app.database.session() as session:
        branch = await session.get(PartyOrganization, w.branch)
        assert branch is not None  # the bot was down, or the branch came to it later
        branch.created_at = utcnow() - timedelta(days=400)
    today = utcnow().astimezone(ck.SHANGHAI).date()
    last_quarter = rules.period_of(rules.period_of(today, rules.Period.QUARTER)[0]
                                   - timedelta(days=1), rules.Period.QUARTER)
    day = last_quarter[0] + timedelta(days=9)
    sec, carol, alice, frank = (ck.person(bot, i) for i in (ck.SEC, ck.CAROL, ck.ALICE,
                                                             ck.FRANK))
    await sec.say("/compliance")
    await sec.tap("Last quarter")
    assert "❌ Branch general assembly (at least 1 a quarter)" in sec.last_text

    await sec.say("/meetings")
    await sec.tap("📝 Record a past meeting")
    assert "Record a past meeting" in sec.last_text and "Nobody is asked to catch up" in (
        sec.last_text)
    await sec.tap("Branch general assembly")
    assert "On which day was it held?" in sec.last_text
    await sec.say((today + timedelta(days=2)).isoformat())
    assert "That day is in the future" in sec.last_text
    await sec.say((today - timedelta(days=500)).isoformat())
    assert "before the branch existed (it is known from " in sec.last_text
    await sec.say("sometime")
    assert "Please type the day like" in sec.last_text
    await sec.say(f"{day.isoformat()} 14:30")
    weekday = day.strftime("%A")
    assert f"Understood: {day.isoformat()} {weekday} 14:30." in sec.last_text
    await sec.say("Review of the half year")

    people = sec.last
    assert "Who was there?" in people.text
    assert "Present 6 · on leave 0 · absent 0" in people.text  # the activist is not counted
    await sec.tap("✅ Bob Brown")
    await sec.tap("✅ Carol Chen")
    await sec.tap("🟡 Carol Chen")
    shown = bot.emulator.message(ck.SEC, people.message_id).text
    assert "Present 4 · on leave 1 · absent 1" in shown
    assert "❌ Carol Chen" in sec.buttons(bot.emulator.message(ck.SEC, people.message_id))
    await sec.forge("pm:t:999999", people.message_id)  # no such member in this draft
    assert sec.alerts()[-1] == STALE
    await sec.tap("Continue ›")
    await sec.say("Reviewed the half year. Decided: a theme day in May.")
    assert "Expected 6 · present 4 · on leave 1 · absent 1" in sec.last_text
    await sec.tap("💾 Save the record")
    record = next(t for t in reversed(sec.texts()) if "Record" in t)
    assert "📝 Entered afterwards by Sam Secretary on" in record
    assert "Absent: Carol Chen" in record and "On leave: Bob Brown" in record
    assert not carol.saw("You were absent from")  # no 补学 request for a long-past meeting
    if day.year == today.year:  # /record shows this year
        await carol.say("/record")
        assert f"{day.isoformat()} · Branch general assembly: absent · 📝 entered afterwards" in (
            carol.last_text)

    async with bot.app.database.session() as session:
        meeting = await session.scalar(select(Meeting).where(Meeting.entered_afterwards))
        assert meeting is not None
        lines = {a.membership_id: a.status for a in (await session.scalars(
            select(Attendance).where(Attendance.meeting_id == meeting.id))).all()}
        count = await session.get(MeetingCount, (
            w.branch, MeetingKind.ASSEMBLY, 0, meeting_counts.month_of(meeting.starts_at,
                                                                        ck.SHANGHAI)))
    assert meeting.state is MeetingState.CLOSED and meeting.closed_by == ck.SEC
    assert meeting.starts_at.astimezone(ck.SHANGHAI).strftime("%Y-%m-%d %H:%M") == (
        f"{day.isoformat()} 14:30")
    assert lines[w.memberships[ck.CAROL]] is AttendanceStatus.ABSENT
    assert lines[w.memberships[ck.BOB]] is AttendanceStatus.ON_LEAVE
    assert w.memberships[ck.GINA] not in lines
    assert count is not None and count.held == 1

    # The verdict sees it, the ledger marks it.
    await sec.say("/compliance")
    await sec.tap("Last quarter")
    assert "✅ Branch general assembly (at least 1 a quarter)" in sec.last_text
    await sec.say("/ledger")
    replies = await sec.tap("Last quarter")
    document = next(r for r in replies if r.kind == "document")
    workbook = openpyxl.load_workbook(io.BytesIO(bot.emulator.file_bytes(document.file_id)))
    header, *rows = list(workbook["Branch general assembly"].iter_rows(values_only=True))
    assert [row[header.index("Entered afterwards")] for row in rows] == ["yes"]
    assert [row[header.index("Topic")] for row in rows] == ["Review of the half year"]

    # The same kind on the same day is not entered twice; others may not enter one at all.
    await sec.say("/meetings")
    await sec.tap("📝 Record a past meeting")
    await sec.tap("Branch general assembly")
    await sec.say(day.isoformat())
    await sec.say("Again")
    await sec.tap("Continue ›")
    await sec.say("Duplicate")
    await sec.tap("💾 Save the record")
    assert sec.alerts()[-1] == (
        "A meeting of this kind is already recorded on that day; it is not entered twice.")
    for who in (alice, frank):
        await who.say("/help")
        await who.forge(f"pm:new:{w.branch}")
        assert who.alerts()[-1] == ck.NOT_ALLOWED
        for data in ("pm:kind:assembly", "pm:t:1", "pm:save", "pm:next"):
            await who.forge(data)
            assert who.alerts()[-1] == STALE, data
    bot.assert_all_accepted()
