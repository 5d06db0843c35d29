"""Reporting deadlines and renewals through the chat (issue 6): a secretary lists the branch's
deadlines and marks them done with a document or without, after which their reminders stop;
an admin edits the calendar and adds a custom deadline that is reminded on working days at
the branch's morning hour; an admin records a renewal and renewal reminders stop; forged
presses are refused with nothing stored; bad input is asked again.

Planner and courier run on a clock the test moves (as in test_reminders.py); the chat's
"today" is that clock's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON
from handlers.kit.i18n import translator
from handlers.privacy import PRIVATE_ONLY_BUTTON
from reminders.planner import PlanSettings, plan_all
from rules.vocabulary import MemberRole, MemberStatus
from storage.models import (
    AuditEvent,
    Duty,
    DutyCompletion,
    OutboxMessage,
    OutboxState,
    PartyOrganization,
    TermRenewal,
)
from tests.harness import ADMIN_ID, Bot, seed_harbour

SEC_A, ALICE, BOB, SEC_B = 82_001, 82_002, 82_003, 82_101
NAMES = {SEC_A: "Sam Secretary", ALICE: "Alice Wang", BOB: "Bob Li", SEC_B: "Tom Secretary",
         ADMIN_ID: "Admin"}
# Monday 2030-01-07, 10:00 in Shanghai.
T0 = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)
t = translator("en")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class World:
    bot: Bot
    committee: int
    branch_a: int
    branch_b: int
    person: dict[int, int]
    clock: list[datetime]

    async def plan(self, at: datetime) -> int:
        """A planner pass at `at`, then the courier delivers what is due; the chat's clock."""
        assert self.bot.app is not None
        self.clock[0] = at
        settings = PlanSettings(tz=self.bot.app.settings.tzinfo, admins=frozenset({ADMIN_ID}))
        async with self.bot.app.database.session() as session:
            added = await plan_all(session, at, settings)
        await self.bot.app.courier.deliver_due()
        return added

    def who(self, telegram_id: int) -> Any:
        return self.bot.person(telegram_id, NAMES[telegram_id], language_code="en")

    def texts(self, telegram_id: int, fragment: str) -> list[str]:
        return [m.text for m in self.bot.emulator.bot_messages(telegram_id) if fragment in m.text]


async def world(bot: Bot) -> World:
    assert bot.app is not None
    clock = [T0]
    bot.app.courier.clock = lambda: clock[0]
    cast = ((SEC_A, "a", MemberRole.SECRETARY), (ALICE, "a", MemberRole.MEMBER),
            (BOB, "a", MemberRole.MEMBER), (SEC_B, "b", MemberRole.SECRETARY))
    harbour = await seed_harbour(
        bot, [(telegram_id, key, role, MemberStatus.FULL) for telegram_id, key, role in cast],
        NAMES)
    return World(bot, harbour.committee, harbour.branches["a"], harbour.branches["b"],
                 harbour.person, clock)


def joined(replies: list[Any]) -> str:
    return "\n".join(r.text for r in replies)


async def press(person: Any, label: str) -> str:
    """Tap a button; the tapped message as it is now, then the bot's new messages."""
    target = person.message_with_button(label)
    replies = await person.tap(label, target)
    return "\n".join([person.emu.message(person.user_id, target).text,
                      *(r.text for r in replies)])


async def say(person: Any, text: str) -> str:
    return joined(await person.say(text))


async def forge(person: Any, data: str) -> str:
    before = len(person.alerts())
    if person.emu.last_bot_message(person.user_id) is None:
        await person.say("/help")
    await person.forge(data)
    alerts = person.alerts()
    return alerts[-1] if len(alerts) > before else ""


async def completions(w: World) -> list[tuple[int, int, str, str | None, str | None]]:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as s:
        rows = await s.execute(select(
            DutyCompletion.duty_id, DutyCompletion.party_organization_id,
            DutyCompletion.occurrence, DutyCompletion.file_name, DutyCompletion.file_id,
        ).order_by(DutyCompletion.id))
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def duty_by_code(w: World, code: str) -> Duty:
    assert w.bot.app is not None
    async with w.bot.app.database.session() as s:
        duty = await s.scalar(select(Duty).where(Duty.code == code))
        assert duty is not None
        return duty


def local(day: date, hour: int = 8) -> datetime:
    """A local (Shanghai, UTC+8) time on `day` as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


# ---------------------------------------------------------------------------------------


async def test_secretary_marks_deadlines_done_with_and_without_a_document(bot: Bot) -> None:
    w = await world(bot)
    sec = w.who(SEC_A)
    await w.plan(T0)  # stores the default calendar
    report = "Secretary's annual report and appraisal"
    # 30, 14, 7 and 1 days before 31 January: the 14-day reminder comes on 17 January.
    await w.plan(local(date(2030, 1, 17)))
    assert len(w.texts(SEC_A, f"📋 {report} for Branch A (2030)")) == 1

    view = await say(sec, "/duties")
    assert "Deadlines · Branch A (today 2030-01-17)" in view
    assert f"· {report} (2030): due ≈2030-01-31 — ⏳ 14 days left" in view
    # 31 March 2030 is a Sunday: the deadline moves to Monday 1 April.
    assert "due ≈2030-04-01 (moved from 2030-03-31, a rest day)" in view
    # Missed since the calendar exists: overdue, and it can still be marked done.
    assert "Party dues collection (2030-01): due ≈2030-01-10 — ❗ 7 days overdue" in view

    ask = await press(sec, "✅ Mark done: Secretary's annual report")
    assert "send the document handed in" in ask
    bad = joined(await sec._after(lambda: bot.emulator.send_document(
        SEC_A, b"PK\x03\x04", "report.docx", "application/vnd.openxmlformats")))
    assert "That is not a photo or a PDF" in bad
    assert "Please send a photo or a PDF" in await say(sec, "done!")
    confirm = joined(await sec._after(lambda: bot.emulator.send_document(
        SEC_A, PDF, "report-2029.pdf", "application/pdf")))
    assert f"Mark {report} (2030) for Branch A done?" in confirm
    assert "Document: report-2029.pdf" in confirm
    assert await completions(w) == []  # nothing before the confirmation
    done = await press(sec, "✅ Confirm")
    assert f"✅ Marked done: {report} (2030)." in done
    assert f"· {report} (2030): due ≈2030-01-31 — ✅ done 📎" in done
    duty = await duty_by_code(w, "secretary_report")
    [row] = await completions(w)
    assert row[:4] == (duty.id, w.branch_a, "2030", "report-2029.pdf") and row[4]
    assert bot.emulator.call_count("getFile") == 0

    # Its later reminders (7 and 1 days before) are not sent; other branches still get theirs.
    await w.plan(local(date(2030, 1, 24)))
    await w.plan(local(date(2030, 1, 30)))
    assert len(w.texts(SEC_A, f"📋 {report}")) == 1
    assert len(w.texts(SEC_B, f"📋 {report} for Branch B")) == 3

    # Without a document; an old confirm pressed again marks nothing twice.
    await sec.say("/duties")
    await press(sec, "✅ Mark done: Annual inspection: party-b")
    confirm = await press(sec, "Done without a document")
    assert "Without a document." in confirm
    done = await press(sec, "✅ Confirm")
    assert "✅ Marked done: Annual inspection: party-building checklist" in done
    assert len(await completions(w)) == 2
    inspection = await duty_by_code(w, "inspection_supervisor")
    assert (await completions(w))[1][:4] == (inspection.id, w.branch_a, "2030", None)
    await w.plan(local(date(2030, 3, 2)))  # its 30-day reminder
    assert w.texts(SEC_A, "📋 Annual inspection: party-building") == []
    assert len(w.texts(SEC_B, "📋 Annual inspection: party-building")) == 1
    assert bot.app is not None
    async with bot.app.database.session() as s:
        actions = (await s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("duty.%")))).all()
    assert list(actions) == ["duty.done", "duty.done"]


async def test_forged_presses_are_refused_and_nothing_is_stored(bot: Bot) -> None:
    w = await world(bot)
    await w.plan(T0)
    alice, sec_b, sec_a = w.who(ALICE), w.who(SEC_B), w.who(SEC_A)
    duty = await duty_by_code(w, "secretary_report")
    async with bot.app.database.session() as s:  # type: ignore[union-attr]
        branch = await s.get(PartyOrganization, w.branch_a)
        assert branch is not None
        branch.term_started_on = date(2027, 1, 10)
        duties_before = await s.scalar(select(func.count()).select_from(Duty))

    assert t(NOT_ALLOWED) in await say(alice, "/duties")
    for data in (f"du:o:{duty.id}:{w.branch_a}:2030", f"du:l:{w.branch_a}", "du:cal:0",
                 f"du:offy:{duty.id}:0", f"du:e:{duty.id}:d", "du:new:0",
                 f"du:new:{w.branch_a}", f"rn:o:{w.branch_a}", "rn:pick:0"):
        assert await forge(alice, data) == t(NOT_ALLOWED), data
    for data in (f"du:o:{duty.id}:{w.branch_a}:2030", f"du:l:{w.branch_a}",
                 f"du:new:{w.branch_a}", f"du:offy:{duty.id}:0", f"rn:o:{w.branch_a}"):
        assert await forge(sec_b, data) == t(NOT_ALLOWED), data
    # A secretary adds deadlines for their own branch only, and does not edit the calendar.
    for data in ("du:new:0", f"du:e:{duty.id}:l", f"du:offy:{duty.id}:0", f"du:d:{duty.id}",
                 "du:cal:0"):
        assert await forge(sec_a, data) == t(NOT_ALLOWED), data
    # An occurrence the duty does not have is stale, not stored.
    assert "no longer valid" in await forge(sec_a, f"du:o:{duty.id}:{w.branch_a}:1999")
    # A confirmation with no flow behind it does nothing.
    assert "no longer valid" in await forge(sec_a, "du:ok")
    assert "no longer valid" in await forge(sec_a, "rn:ok")

    assert await completions(w) == []
    async with bot.app.database.session() as s:  # type: ignore[union-attr]
        assert await s.scalar(select(func.count()).select_from(Duty)) == duties_before
        assert await s.scalar(select(func.count()).select_from(TermRenewal)) == 0
        fresh = await s.get(Duty, duty.id)
        assert fresh is not None and fresh.active and fresh.lead_days == [30, 14, 7, 1]


async def test_documents_handed_in_come_back_to_those_who_see_the_duty(bot: Bot) -> None:
    """The secretary hands in a PDF for one deadline and a photo for another; the deadlines
    offer each duty's documents, and a press sends them back into her private chat (admins
    too). Another branch's secretary, a member, or a press in a group gets no file."""
    w = await world(bot)
    sec, sec_b, alice, admin = w.who(SEC_A), w.who(SEC_B), w.who(ALICE), w.who(ADMIN_ID)
    await w.plan(T0)
    report = "Secretary's annual report and appraisal"
    view = await say(sec, "/duties")
    assert "📎" not in view and not [b for b in sec.buttons() if "📎" in b]
    await press(sec, "✅ Mark done: Secretary's annual report")
    await sec._after(lambda: bot.emulator.send_document(SEC_A, PDF, "report.pdf",
                                                        "application/pdf"))
    await press(sec, "✅ Confirm")
    await press(sec, "✅ Mark done: Annual inspection: party-b")
    confirm = joined(await sec._after(lambda: bot.emulator.send_photo(SEC_A, b"checklist")))
    assert "Document: photo" in confirm
    await press(sec, "✅ Confirm")
    handed = [m for m in bot.emulator.messages(SEC_A) if not m.from_bot
              and m.kind in ("document", "photo")]
    assert [m.kind for m in handed] == ["document", "photo"]
    pdf_id, photo_id = handed[0].file_id, handed[1].file_id
    assert [r[3] for r in await completions(w)] == ["report.pdf", None]  # None: a photo

    deadlines = sec.message_with_button("📎 1 document: Secretary's annual")
    replies = await sec.tap("📎 1 document: Secretary's annual", deadlines)
    [sent] = [r for r in replies if r.kind != "text"]
    assert (sent.kind, sent.file_id) == ("document", pdf_id)
    assert sent.text == f"{report} (2030) · Branch A"
    assert "Deadlines · Branch A" in bot.emulator.message(SEC_A, deadlines).text  # unchanged
    replies = await sec.tap("📎 1 document: Annual inspection", deadlines)
    [sent] = [r for r in replies if r.kind != "text"]
    assert (sent.kind, sent.file_id) == ("photo", photo_id)
    assert sent.text.startswith("Annual inspection: party-building checklist to the")

    report_duty = await duty_by_code(w, "secretary_report")
    data = f"du:docs:{report_duty.id}:{w.branch_a}"
    # An admin reaches a branch's deadlines from the calendar, with the same buttons.
    await admin.say("/duties")
    await press(admin, "🏢 A branch's deadlines")
    assert "Deadlines · Branch A" in await press(admin, "Branch A")
    replies = await admin.tap("📎 1 document: Secretary's annual")
    assert [r.file_id for r in replies if r.kind != "text"] == [pdf_id]
    # Branch A's documents are not Branch B's secretary's nor a member's; Branch B has none.
    assert await forge(sec_b, data) == t(NOT_ALLOWED)
    assert await forge(alice, data) == t(NOT_ALLOWED)
    assert await forge(sec_b, f"du:docs:{report_duty.id}:{w.branch_b}") == t(STALE_BUTTON)
    for other in (SEC_B, ALICE):
        assert {m.kind for m in bot.emulator.bot_messages(other)} == {"text"}
    # Pressed under a group message, it is refused there and nothing is posted.
    group = bot.group("Harbour volunteers", [sec, sec_b])
    await sec.say_in(group, "/duties")
    target = group.bot_messages()[-1]
    said = await sec.forge_in(group, target.message_id, data)
    assert not said.group and not said.private
    assert bot.emulator.callback_answers(SEC_A)[-1].text == t(PRIVATE_ONLY_BUTTON)
    assert {m.kind for m in bot.emulator.messages(group.chat_id)} == {"text"}


async def test_admin_edits_a_default_and_adds_a_monthly_deadline_reminded_on_working_days(
    bot: Bot,
) -> None:
    w = await world(bot)
    admin, sec_a = w.who(ADMIN_ID), w.who(SEC_A)
    await w.plan(T0)

    calendar = await say(admin, "/duties")
    assert "Duty calendar" in calendar and "Party dues collection" in calendar
    card = await press(admin, "Party dues collection")
    assert "When: monthly, on day 10" in card
    await press(admin, "✏️ Day")
    assert "Please type a number." in await say(admin, "the fifth")
    assert "does not fit this deadline" in await say(admin, "0")
    assert "does not fit this deadline" in await say(admin, "32")
    assert "day of the month of Party dues collection: 10 → 15?" in await say(admin, "15")
    saved = await press(admin, "✅ Confirm")
    assert "✅ Saved." in saved and "When: monthly, on day 15" in saved
    await press(admin, "✏️ Reminder days")
    assert "whole numbers from 0 to 180" in await say(admin, "500")
    assert "whole numbers from 0 to 180" in await say(admin, "a week")
    assert "3, 0 → 5, 0?" in await say(admin, "0, 5")
    await press(admin, "✅ Confirm")
    await press(admin, "⏸ Switch off")
    off = await press(admin, "✅ Confirm")
    assert "Switched off." in off
    dues = await duty_by_code(w, "dues")
    assert (dues.day, dues.lead_days, dues.active) == (15, [5, 0], False)

    # A custom monthly deadline for everyone, on the 19th (Saturday in January 2030).
    await admin.say("/duties")
    await press(admin, "➕ Add a deadline for everyone")
    assert "How often" in await say(admin, "Monthly statistics report")
    await press(admin, "Monthly")
    assert "from 1 to 31" in await say(admin, "45")
    assert "Whom should it remind?" in await say(admin, "19")
    await press(admin, "Secretaries and deputies")
    assert "whole numbers" in await say(admin, "soon")
    summary = await say(admin, "3, 0")
    assert "When: monthly, on day 19" in summary
    assert "Reminders: 3, 0 day(s) before, to secretaries and deputies" in summary
    saved = await press(admin, "✅ Save")
    assert "✅ Saved: Monthly statistics report." in saved
    assert bot.app is not None
    async with bot.app.database.session() as s:
        custom = await s.scalar(select(Duty).where(Duty.title == "Monthly statistics report"))
        assert custom is not None
        assert (custom.recurrence, custom.day, custom.lead_days, custom.audience,
                custom.party_organization_id) == ("monthly", 19, [3, 0], ["secretaries"], None)
        actions = (await s.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("duty.%")).order_by(AuditEvent.id))).all()
    assert list(actions) == ["duty.edit", "duty.edit", "duty.edit", "duty.create"]

    # Saturday 19 January moves to Monday 21; 3 days before is Friday 18; 08:00 local.
    fragment = "📋 Monthly statistics report for Branch A (2030-01)"
    await w.plan(local(date(2030, 1, 15)))  # the dues' new day, had it not been switched off
    await w.plan(local(date(2030, 1, 18)) - timedelta(minutes=1))
    assert w.texts(SEC_A, fragment) == []
    await w.plan(local(date(2030, 1, 18)))
    assert len(w.texts(SEC_A, fragment)) == 1
    assert len(w.texts(SEC_B, "📋 Monthly statistics report for Branch B")) == 1
    await w.plan(local(date(2030, 1, 19)))
    await w.plan(local(date(2030, 1, 20)))
    assert len(w.texts(SEC_A, fragment)) == 1
    await w.plan(local(date(2030, 1, 21)))
    assert len(w.texts(SEC_A, fragment)) == 2
    async with bot.app.database.session() as s:
        sent = (await s.execute(select(OutboxMessage.due_at).where(
            OutboxMessage.chat_id == SEC_A, OutboxMessage.text.contains("Monthly statistics"),
            OutboxMessage.state == OutboxState.SENT).order_by(OutboxMessage.due_at))).all()
    assert [due.replace(tzinfo=UTC) if due.tzinfo is None else due for (due,) in sent] == [
        local(date(2030, 1, 18)), local(date(2030, 1, 21))]
    # The switched-off dues duty reminded nobody after the first pass (3 days before the 10th).
    assert [text.split("\n")[0] for text in w.texts(ALICE, "Party dues")] == [
        "📋 Reminder: Party dues collection (2030-01), due ≈2030-01-10."]

    # The secretary sees it in the branch list and adds one for the branch only.
    view = await say(sec_a, "/duties")
    assert "Monthly statistics report (2030-01): due ≈2030-01-21 (moved from 2030-01-19" in view
    await press(sec_a, "➕ Add a deadline")
    await say(sec_a, "Branch photo archive")
    await press(sec_a, "Once")
    assert "has passed" in await say(sec_a, "2030-01-01")
    assert "could not read a date" in await say(sec_a, "next week")
    await say(sec_a, "2030-02-15")
    assert "upper level" not in " ".join(sec_a.buttons())
    await press(sec_a, "All members of the branch")
    await press(sec_a, "7 and 1 days before")
    saved = await press(sec_a, "✅ Save")
    assert "Branch photo archive (2030-02-15): due ≈2030-02-15" in saved
    async with bot.app.database.session() as s:
        own = await s.scalar(select(Duty).where(Duty.title == "Branch photo archive"))
        assert own is not None
        assert (own.party_organization_id, own.audience, own.on_date) == (
            w.branch_a, ["members"], date(2030, 2, 15))
    assert "Branch photo archive" not in await say(w.who(SEC_B), "/duties")


async def test_admin_records_a_renewal_and_its_reminders_stop(bot: Bot) -> None:
    w = await world(bot)
    admin = w.who(ADMIN_ID)
    assert bot.app is not None
    async with bot.app.database.session() as s:
        branch = await s.get(PartyOrganization, w.branch_a)
        assert branch is not None
        branch.term_started_on = date(2027, 1, 10)  # 3 years: ends 2030-01-10
    overdue = local(date(2030, 1, 17))
    await w.plan(overdue)
    assert len(w.texts(SEC_A, "🗳")) == 1 and "overdue" in w.texts(SEC_A, "🗳")[0]

    listed = await say(admin, "/renewal")
    assert "Branch A · term ends 2030-01-10 ❗" in " ".join(admin.buttons())
    assert "Renewals" in listed
    ask = await press(admin, "Branch A · term ends")
    assert "the term began 2027-01-10 and ends 2030-01-10" in ask
    assert "in the future" in await say(admin, "2030-02-01")
    assert "after the start of the current term (2027-01-10)" in await say(admin, "2026-12-01")
    assert "could not read a date" in await say(admin, "some day soon")
    assert "Who was elected secretary of Branch A?" in await say(admin, "2030-01-15")
    await press(admin, "Alice Wang")
    assert "Alice Wang" not in admin.buttons()  # not her own deputy
    await press(admin, "Sam Secretary")
    assert "cannot come before the election" in await say(admin, "2030-01-14")
    assert "in the future" in await say(admin, "2030-01-18")
    summary = await say(admin, "2030-01-16")
    for part in ("Elected on: 2030-01-15", "Secretary: Alice Wang",
                 "Deputy secretary: Sam Secretary", "Approved on: 2030-01-16"):
        assert part in summary, part
    async with bot.app.database.session() as s:
        assert await s.scalar(select(func.count()).select_from(TermRenewal)) == 0
    done = await press(admin, "✅ Confirm")
    assert "Renewal recorded. The new term of Branch A ends on 2033-01-15." in done
    async with bot.app.database.session() as s:
        [renewal] = (await s.scalars(select(TermRenewal))).all()
        assert (renewal.elected_on, renewal.approved_on, renewal.secretary_person_id,
                renewal.deputy_person_id, renewal.recorded_by) == (
            date(2030, 1, 15), date(2030, 1, 16), w.person[ALICE], w.person[SEC_A], ADMIN_ID)
        branch = await s.get(PartyOrganization, w.branch_a)
        assert branch is not None and branch.term_started_on == date(2030, 1, 15)
        event = await s.scalar(select(AuditEvent).where(AuditEvent.action == "term.renewal"))
        assert event is not None and event.actor_telegram_id == ADMIN_ID
    await w.plan(overdue + timedelta(days=7))
    await w.plan(overdue + timedelta(days=14))
    assert len(w.texts(SEC_A, "🗳")) == 1
    # Nothing left to renew.
    assert "No committee term ends" in await say(admin, "/renewal")

