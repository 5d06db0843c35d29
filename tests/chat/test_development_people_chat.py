"""/development for the people around a person's development (issue 17): the secretary picks
the activist's contacts from the branch's full members; the activist hands in thought reports
(typed, or a file) that only the contacts and the leaders see; a contact records the
half-yearly review; a probationary member's probation extended or status withdrawn, each
confirmed; a migrated stage's day corrected. Fixed clock: 10:00 in Shanghai, 2030-03-10."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from handlers.development.views import (
    ContactReview,
    Guided,
    OpenReport,
    ThoughtReports,
    WithdrawStatus,
)
from handlers.kit.buttons import PersonId
from rules.vocabulary import MemberStatus
from storage import development, people
from storage.models import ThoughtReport
from tests.chat.test_development_chat import (
    ACTIVIST,
    audited,
    branch,
    player,
    record_of,
    status_of,
    step_named,
    steps_named,
)
from tests.chat.test_members_chat import ALICE, BOB, SEC_A, SEC_B
from tests.harness import Bot


async def contacts_of(bot: Bot, person_id: int) -> list[int]:
    record = await record_of(bot, person_id)
    assert bot.app is not None and record is not None
    async with bot.app.database.session() as session:
        return [c.person_id for c in await development.contacts_of(session, record.id)]


async def test_the_secretary_picks_and_changes_the_contacts(bot: Bot) -> None:
    _, activist_id, _ = await branch(bot)
    sec = player(bot, SEC_A)
    await sec.say("/development")
    await sec.tap("Ann Activist · Activist")
    await sec.tap("👥 Contacts")
    assert "Nobody picked yet." in sec.last_text
    assert not any("Ann Activist" in b for b in sec.buttons())  # not her own contact
    await sec.tap("Alice Wang")
    await sec.tap("Bob Li")
    assert "Picked: Alice Wang, Bob Li" in sec.last_text
    await sec.tap(next(b for b in sec.buttons() if "Member without a name" in b))  # a third
    assert "At most 2 contacts: unpick one first." in sec.alerts()[-1]
    await sec.tap("💾 Keep these contacts")
    assert "✅ Contacts kept." in sec.last_text
    assert "Contacts (培养联系人): Alice Wang, Bob Li" in sec.last_text
    alice_bob = await contacts_of(bot, activist_id)
    assert len(alice_bob) == 2

    await sec.tap("👥 Contacts")
    assert "Picked: Alice Wang, Bob Li" in sec.last_text
    await sec.tap("✅ Bob Li")
    await sec.tap("💾 Keep these contacts")
    assert "Contacts (培养联系人): Alice Wang" in sec.last_text
    assert "Bob Li" not in sec.last_text
    assert len(await contacts_of(bot, activist_id)) == 1


async def with_contact(bot: Bot, person_id: int, contact: int) -> None:
    """The secretary made `contact` (a Telegram id) the person's contact."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        record = await development.open_record_of(session, person_id)
        found = await people.person_by_telegram_id(session, contact)
        assert record is not None and found is not None
        await development.assign_contacts(session, record, [found.id], on=date(2030, 1, 2),
                                          by=SEC_A)


async def test_thought_reports_reach_the_contacts_and_the_secretary_only(bot: Bot) -> None:
    _, activist_id, _ = await branch(bot)
    await with_contact(bot, activist_id, ALICE)
    ann = player(bot, ACTIVIST)
    alice = player(bot, ALICE)
    bob = player(bot, BOB)
    sec = player(bot, SEC_A)
    sec_b = player(bot, SEC_B)
    for reader in (alice, bob, sec, sec_b):
        await reader.say("/start")
    await ann.say("/development")
    assert "Contacts (培养联系人): Alice Wang" in ann.last_text
    await ann.tap("📝 Send a thought report")
    assert "Type your thought report" in ann.last_text
    await ann.say("This quarter I studied the Party Constitution.\nI volunteered twice.")
    assert "Send this thought report to your contacts" in ann.last_text
    await ann.tap("📤 Send it")
    assert "✅ Your thought report was handed in." in ann.last_text
    await bot.settle()
    told = "📝 Ann Activist handed in a thought report."
    assert alice.saw(told) and sec.saw(told)
    assert not bob.saw(told) and not sec_b.saw(told)

    # A second one, as a PDF; a voice note or a sticker would be refused.
    await ann.say("/development")
    await ann.tap("📝 Send a thought report")
    await ann._after(lambda: bot.emulator.send_document(
        ACTIVIST, b"%PDF-1.4 report", "report-q1.pdf", "application/pdf"))
    assert "File: report-q1.pdf" in ann.last_text
    await ann.tap("📤 Send it")
    assert bot.app is not None
    async with bot.app.database.session() as session:
        reports = (await session.scalars(select(ThoughtReport).order_by(ThoughtReport.id))).all()
        assert [r.file_name for r in reports] == [None, "report-q1.pdf"]
        assert reports[0].text == ("This quarter I studied the Party Constitution.\n"
                                   "I volunteered twice.")
        report_ids = [r.id for r in reports]

    # The contact reads both from the message she was sent.
    await alice.tap("📝 Read it")
    assert "Thought reports of Ann Activist (2), newest first." in alice.last_text
    await alice.tap("This quarter I studied the")
    assert "I volunteered twice." in alice.last_text
    await alice.tap("📎 report-q1.pdf")
    assert alice.last.kind != "text"

    # The secretary sees the count on the card.
    await sec.say("/development")
    await sec.tap("Ann Activist · Activist")
    assert "📝 2 thought reports" in sec.buttons()

    # Nobody else: another member, another branch's secretary, the card's own person.
    for outsider in (bob, sec_b):
        await outsider.forge(ThoughtReports(PersonId(activist_id)).pack())
        assert "not allowed" in outsider.alerts()[-1]
        await outsider.forge(OpenReport(report_ids[0]).pack())
        assert "not allowed" in outsider.alerts()[-1]
        assert not outsider.saw("I volunteered twice.")


async def test_a_contact_records_the_half_yearly_review(bot: Bot) -> None:
    _, activist_id, _ = await branch(bot)
    await with_contact(bot, activist_id, ALICE)
    alice = player(bot, ALICE)
    await alice.say("/development")
    assert "You are a contact (培养联系人) for:" in alice.last_text
    assert "Ann Activist — Activist" in alice.last_text
    await alice.tap("Ann Activist · Activist")
    assert "Activist from 2029-06-01" in alice.last_text
    assert "➡️ Made a candidate for admission" not in alice.buttons()  # the leaders' only
    await alice.tap("📋 Half-yearly review held")
    await alice.say("2030-03-08")
    await alice.say("Studies well; should speak up more in meetings")
    await alice.tap("✅ Record it")
    assert "✅ Recorded: 📋 Half-yearly review held." in alice.last_text
    assert "Latest half-yearly review: 2030-03-08" in alice.last_text
    step = await step_named(bot, "review")
    assert (step.taken_on, step.recorded_by, step.note) == (
        date(2030, 3, 8), ALICE, "Studies well; should speak up more in meetings")

    # Bob is no contact of hers: refused, nothing recorded.
    bob = player(bot, BOB)
    await bob.say("/development")
    assert "contact" not in bob.last_text
    for data in (ContactReview(PersonId(activist_id)).pack(), Guided(PersonId(activist_id)).pack()):
        await bob.forge(data)
        assert "not allowed" in bob.alerts()[-1]
    assert len(await steps_named(bot, "review")) == 1


async def test_the_secretary_extends_the_probation_once(bot: Bot) -> None:
    _, _, probationary_id = await branch(bot)
    sec = player(bot, SEC_A)
    await sec.say("/development")
    await sec.tap("Pat Probation · Probationary member")
    await sec.tap("⏳ Extend the probation")
    await sec.say("3")
    assert "Please type a whole number from 6 to 12" in sec.last_text
    await sec.say("6")
    await sec.say("2029-02-01")  # before the admission
    assert "That day is before the admission (2029-03-01)." in sec.last_text
    await sec.say("2030-03-02")
    await sec.say("Did not take part in branch life; 支发〔2030〕4号")
    assert ("Extend the probation of Pat Probation by 6 months? It then ends on 2030-09-01"
            in sec.last_text)
    record = await record_of(bot, probationary_id)  # nothing kept before the confirmation
    assert record is not None and record.extension_months == 0
    await sec.tap("⏳ Extend the probation")
    assert "✅ Probation extended by 6 months: it ends on 2030-09-01." in sec.last_text
    assert "Probation extended by 6 months" in sec.last_text
    assert "Next: the assembly's vote on full membership, from 2030-09-01" in sec.last_text
    assert "⏳ Extend the probation" not in sec.buttons()  # once only
    record = await record_of(bot, probationary_id)
    assert record is not None and record.extension_months == 6
    step = await step_named(bot, "extended")
    assert (step.taken_on, step.note) == (
        date(2030, 3, 2), "Did not take part in branch life; 支发〔2030〕4号")
    assert await audited(bot, "development.extended")


async def test_the_secretary_withdraws_a_probationary_status(bot: Bot) -> None:
    _, _, probationary_id = await branch(bot)
    # The other branch's secretary cannot start it.
    sec_b = player(bot, SEC_B)
    await sec_b.say("/development")
    await sec_b.forge(WithdrawStatus(PersonId(probationary_id)).pack())
    assert "not allowed" in sec_b.alerts()[-1]
    sec = player(bot, SEC_A)
    await sec.say("/development")
    await sec.tap("Pat Probation · Probationary member")
    await sec.tap("✖️ Withdraw the probationary status")
    await sec.say("2030-03-09")
    await sec.say("Fails the conditions of membership; 支发〔2030〕5号")
    assert "Withdraw the probationary status of Pat Probation" in sec.last_text
    assert "This cannot be undone here." in sec.last_text
    assert await status_of(bot, probationary_id) is MemberStatus.PROBATIONARY
    await sec.tap("✖️ Withdraw the probationary status")
    assert "✅ The probationary status of Pat Probation was withdrawn." in sec.last_text
    assert "Pat Probation" not in sec.buttons()
    assert await status_of(bot, probationary_id) is MemberStatus.ACTIVIST
    assert await record_of(bot, probationary_id) is None
    assert (await step_named(bot, "status_withdrawn")).taken_on == date(2030, 3, 9)
    assert await audited(bot, "development.closed")


async def test_the_secretary_corrects_a_migrated_day(bot: Bot) -> None:
    _, activist_id, _ = await branch(bot)
    sec = player(bot, SEC_A)
    await sec.say("/development")
    await sec.tap("Ann Activist · Activist")
    await sec.tap("✏️ Correct a day")
    await sec.tap("Activist from 2029-06-01")
    await sec.say("2031-01-01")
    assert "That date is in the future." in sec.last_text
    await sec.say("2028-12-01")  # before the application
    assert "That day is before the stage reached before it." in sec.last_text
    await sec.say("2029-02-15")
    assert "Before: Activist from 2029-06-01" in sec.last_text
    assert "After: Activist from 2029-02-15" in sec.last_text
    await sec.tap("✅ Correct it")
    assert "✅ Day corrected." in sec.last_text
    assert "Activist from 2029-02-15" in sec.last_text
    assert "Next: candidate for admission, from 2030-02-15" in sec.last_text
    record = await record_of(bot, activist_id)
    assert record is not None and record.activist_on == date(2029, 2, 15)
    assert await audited(bot, "development.corrected")
    # The application's day may not pass the activist's.
    await sec.tap("✏️ Correct a day")
    await sec.tap("Application: 2029-01-05")
    await sec.say("2029-03-01")
    assert "That day is after the stage reached after it." in sec.last_text
