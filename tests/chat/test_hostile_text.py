"""Text people type is shown as typed, everywhere: hostile strings (`<b>`, `&`, `</i>`, a link)
typed into every free-text field reach readers literally, every message the bot sends is one
Telegram accepts (the emulator parses HTML as strictly as Telegram), and buttons, alerts and
keyboards, which Telegram shows as plain text, show the value itself (never `&lt;`)."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from rules.terms import add_years
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind
from storage.models import PartyOrganization
from tests.harness import ADMIN_ID, Bot, seed_harbour

# Unbalanced tags, a bare ampersand and a link: each alone breaks or injects HTML.
HOSTILE = '<b>A&B</i> <a href="http://evil.example">x</a>'
ESCAPED = ("&lt;", "&gt;", "&amp;")


def hostile(field: str) -> str:
    """A hostile value that also says which field it came from."""
    return f"{field} {HOSTILE}"


def shown(bot: Bot, telegram_id: int) -> str:
    """Everything a person was shown: message texts, button labels and alerts."""
    emulator = bot.emulator
    parts = [m.text for m in emulator.bot_messages(telegram_id)]
    parts += [b.text for m in emulator.bot_messages(telegram_id) for b in m.buttons]
    parts += [text or "" for text, _alert in emulator.callback_answers(telegram_id)]
    return "\n".join(parts)


def labels(bot: Bot, telegram_id: int) -> list[str]:
    return [b.text for m in bot.emulator.bot_messages(telegram_id) for b in m.buttons]


def assert_clean(bot: Bot, *telegram_ids: int) -> None:
    """Nothing refused, and no escaped markup visible where people read plain text."""
    bot.assert_all_accepted()
    for telegram_id in telegram_ids:
        for label in labels(bot, telegram_id):
            assert not any(e in label for e in ESCAPED), label
        for text, _alert in bot.emulator.callback_answers(telegram_id):
            assert not any(e in (text or "") for e in ESCAPED), text
        for message in bot.emulator.bot_messages(telegram_id):
            assert not any(e in message.text for e in ESCAPED), message.text
            # A link only where the bot meant one: never evil.example.
            assert "evil.example" not in str(message.entities), message.entities


# ---------------------------------------------------------------------------------------


async def test_custom_deadline_title_reaches_admins_and_buttons_literally(bot: Bot) -> None:
    sec_id = 91_001
    await seed_harbour(bot, [(sec_id, "a", MemberRole.SECRETARY, MemberStatus.FULL)],
                       {sec_id: "Sam Secretary", ADMIN_ID: "Admin"})
    sec = bot.person(sec_id, "Sam", language_code="en")
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    title = hostile("deadline")
    # The bot's clock: a Monday in March (no holiday moves the due day, a Monday too).
    assert bot.app is not None
    bot.app.courier.clock = lambda: datetime(2026, 3, 2, 2, tzinfo=UTC)
    due = "2026-03-23"

    await sec.say("/duties")
    await sec.tap("➕ Add a deadline")
    await sec.say(title)
    await sec.tap("Once")
    await sec.say(due)
    await sec.tap("All members of the branch")
    await sec.tap("7 and 1 days before")
    await sec.tap("✅ Save")
    assert f"{title} ({due}): due {due}" in sec.last_text
    # The button to mark it done names it as typed.
    assert any(label.startswith("✅ Mark done: deadline <b>A&B</i>") for label in sec.buttons())

    # Every admin's /duties: the duty calendar lists the branch's own deadline.
    await admin.say("/duties")
    assert title in shown(bot, ADMIN_ID)
    assert any(title[:40] in label for label in labels(bot, ADMIN_ID))
    await admin.tap(title[:40])
    assert title in admin.last_text and "For: Branch A and below" in admin.last_text

    # Marked done with a document whose file name is hostile too.
    await sec.tap("✅ Mark done: deadline <b>A&B</i>")
    file_name = "<b>A&B</i>.pdf"
    await sec._after(lambda: bot.emulator.send_document(
        sec_id, b"%PDF-1.4\n%%EOF\n", file_name, "application/pdf"))
    assert f"Document: {file_name}" in sec.last_text and title in sec.last_text
    await sec.tap("✅ Confirm")
    assert f"Marked done: {title} ({due})." in shown(bot, sec_id)
    assert_clean(bot, sec_id, ADMIN_ID)


async def test_organization_group_and_social_names_are_literal(bot: Bot) -> None:
    admin = bot.person(ADMIN_ID, "Admin", language_code="en")
    committee, branch, group, social = (hostile(f) for f in ("committee", "branch", "grp",
                                                               "social"))
    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    await admin.say(committee)
    await admin.tap("Party committee")
    await admin.tap("Top level")
    assert "✅ Created." in admin.last_text and committee in admin.last_text

    await admin.say("/orgs")
    await admin.tap("➕ Party organization")
    await admin.say(branch)
    await admin.tap("Branch")
    await admin.tap(committee)
    assert f"Parent: {committee}" in admin.last_text

    await admin.tap("➕ Party group")
    await admin.say(group)
    assert f"Party groups: {group}" in admin.last_text

    await admin.say("/orgs")
    await admin.tap("➕ Social organization")
    await admin.say(social)
    await admin.tap("Social association")
    await admin.tap(f"└ {branch}")
    assert f"{social} — Social association — covered by {branch}" in admin.last_text

    tree = (await admin.say("/orgs"))[-1].text
    assert committee in tree and branch in tree
    assert f"└ {branch}" in admin.buttons()

    # A branch whose term ends soon: the renewal list names it on a button.
    assert bot.app is not None
    async with bot.app.database.session() as s:
        org = await s.scalar(select(PartyOrganization).where(PartyOrganization.name == branch))
        assert org is not None and org.kind is PartyOrgKind.BRANCH
        org.term_started_on = add_years(date.today(), -3) + timedelta(days=30)
    await admin.say("/renewal")
    assert any(label.startswith(f"{branch} · term ends") for label in admin.buttons())
    await admin.tap(f"{branch} · term ends")
    assert branch in admin.last_text
    assert_clean(bot, ADMIN_ID)


async def test_meeting_topic_place_recorder_and_reasons_are_literal(bot: Bot) -> None:
    from tests.chat import test_meetings_chat as mt

    await mt.seed(bot)
    crowd = mt.people_of(bot)
    sec, bob = crowd[mt.SEC], crowd[mt.BOB]
    topic, place, recorder = hostile("topic"), hostile("place"), hostile("rec")
    await sec.say("/schedule")
    await sec.tap("Branch general assembly")
    await sec.say(mt.local(5))
    await sec.tap("1.5 h")
    await sec.say(place)
    await sec.say(topic)
    await sec.tap("Me (Sally Sec)")
    await sec.say(recorder)
    await sec.tap("Once")
    summary = sec.last_text
    assert f"Topic: {topic}" in summary and f"Place: {place}" in summary
    assert f"Recorder: {recorder}" in summary
    await sec.tap("✅ Schedule")
    invitation = mt.invitation(bob)
    assert invitation is not None and f"Topic: {topic}" in invitation.text

    reason = hostile("leave")
    await bob.tap("🙋 Ask for leave")
    await bob.say(reason)
    request = sec.last
    assert "Leave request" in request.text and reason in request.text
    await sec.say("/meetings")
    await sec.tap("Branch general assembly")
    assert f"Bob Li: {reason}" in sec.last_text
    await sec.tap("✅ Approve leave", request.message_id)

    await bob.tap("📆 Add to calendar")
    [ics] = [m for m in bot.emulator.bot_messages(mt.BOB) if m.kind == "document"]
    calendar = bot.emulator.file_bytes(ics.file_id).decode()
    assert "&lt;" not in calendar and "&amp;" not in calendar and "Host: Sally Sec" in calendar

    cancel = hostile("cancel")
    await sec.say("/meetings")
    await sec.tap("Branch general assembly")
    await sec.tap("✖ Cancel meeting")
    await sec.tap("Yes, cancel the meeting")
    await sec.say(cancel)
    told = crowd[mt.ALICE].last_text
    assert "Meeting cancelled" in told and cancel in told and topic in told
    assert_clean(bot, mt.SEC, mt.BOB, mt.ALICE)


async def test_minutes_are_literal_in_the_record_and_the_catch_up(bot: Bot) -> None:
    from tests.chat import test_checkin_chat as ck

    await ck.seed(bot)
    sec, alice = ck.person(bot, ck.SEC), ck.person(bot, ck.ALICE)
    await sec.say("/checkin")
    await sec.tap("Open check-in")
    await alice.tap("✅ Check in")
    await sec.tap("🏁 Close meeting")
    minutes = hostile("minutes") + "\nline two & <i>three"
    await sec.say(minutes)
    await sec.tap("Done")
    await sec.tap("🔒 Close and freeze")
    record = next(t for t in reversed(sec.texts()) if "Record" in t)
    assert minutes in record and "On leave: Erin Evans (family visit)" in record
    absent = ck.person(bot, ck.BOB)
    assert any(minutes in text for text in absent.texts())  # the catch-up message
    assert_clean(bot, ck.SEC, ck.ALICE, ck.BOB)


async def test_training_title_organizer_and_reject_reason_are_literal(bot: Bot) -> None:
    from tests.chat import test_training_chat as tc

    await tc.build_world(bot)
    alice, sec = tc.who(bot, tc.ALICE), tc.who(bot, tc.SEC_A)
    title, organizer = hostile("title"), hostile("organizer")
    await alice.say("/training")
    await alice.tap("➕ Log a training")
    await alice.tap("Concentrated training")
    await alice.say(title)
    await alice.say(organizer)
    await alice.tap("Today")
    await alice.tap(f"Same day ({tc.today().isoformat()})")
    await alice.say("6")
    file_name = "<b>A&B</i>.pdf"
    assert f"Received: {file_name}" in tc.joined(
        await tc.send_document(bot, alice, tc.PDF, file_name))
    await alice.tap("Done (1 file)")
    summary = alice.last_text
    assert f"Title: {title}" in summary and f"Organizer: {organizer}" in summary, summary
    await alice.tap("✅ Submit")
    assert f"Logged: {title}, 6 hours" in shown(bot, tc.ALICE)
    assert any(label.startswith("↩ Withdraw: title <b>A&B") for label in labels(bot, tc.ALICE))

    request = tc.newest(sec, "Training to verify")
    assert f"Title: {title}" in request.text
    reason = hostile("reason")
    await sec.tap("❌ Reject", request.message_id)
    await sec.say(reason)
    told = tc.newest(alice, "Your training was not accepted").text
    assert f"Reason: {reason}" in told and f"Title: {title}" in told
    year = await tc.say(alice, "/training")
    assert f"Not accepted: {reason}" in year
    assert_clean(bot, tc.ALICE, tc.SEC_A)


async def test_registration_name_and_reject_reason_are_literal(bot: Bot) -> None:
    from tests.chat import test_registration as rg

    _, code = await rg.seed_branch(bot, name=hostile("branch"))
    secretary = bot.person(rg.SECRETARY_ID, "书记")
    await secretary.say("/start")
    dan = bot.person(1_004, "Dan", language_code="en")
    await dan.say(f"/start {code}")
    await dan.tap("English")
    await dan.say("<b>A&B</i>")  # not a name: refused with a clear message, asked again
    assert "A name has only letters" in dan.last_text
    await dan.say("D'Arcy O'Neil")
    assert hostile("branch") in shown(bot, 1_004)
    await dan.tap("Activist")
    await dan.say("2023-03-15")
    await dan.say("Skip")
    assert "D'Arcy O'Neil" in dan.last_text
    await dan.tap("✅ Submit")
    assert "D'Arcy O'Neil" in secretary.last_text
    await secretary.tap("❌ 拒绝")
    reason = hostile("reason")
    await secretary.say(reason)
    assert "not approved" in dan.last_text and f"Reason: {reason}" in dan.last_text
    assert_clean(bot, rg.SECRETARY_ID, 1_004)


async def test_notice_text_is_delivered_literally(bot: Bot) -> None:
    from tests.chat import test_notices_chat as nc

    w = await nc.build(bot)
    admin = nc.who(bot, ADMIN_ID)
    text = hostile("notice") + "\nsecond line & more"
    await admin.say("/notice")
    await admin.say(text)
    await admin.tap(nc.t("Next: audience ›"))
    await admin.tap(nc.t("🏛 Party organizations…"))
    await admin.tap("Branch A")
    await admin.tap(nc.t("‹ Back"))
    await admin.tap(nc.t("Preview ›"))
    assert any(text in m.text for m in bot.emulator.bot_messages(ADMIN_ID))
    await admin.tap(nc.t("📤 Send now"))
    await w.deliver()
    alice = nc.who(bot, nc.ALICE)
    assert [m for m in bot.emulator.bot_messages(nc.ALICE) if text in m.text]
    await alice.say("/notices")
    assert any("notice <b>A&B</i>" in label for label in alice.buttons())
    await admin.say("/notices")
    assert any("notice <b>A&B</i>" in label for label in admin.buttons())
    assert_clean(bot, ADMIN_ID, nc.ALICE)


# ---------------------------------------------------------------------------------------
# The one path, kept: message HTML is made only by handlers/kit/i18n.py (t(), escape, html_join,
# html_format); elsewhere no tag is written outside a message id or an html_format template.

ROOT = Path(__file__).resolve().parents[2]
TAG = re.compile(r"</?(b|i|u|s|a|code|pre|tg-spoiler|blockquote|strong|em|ins|del|strike)[\s>]")
# Calls whose string arguments are message ids or markup templates (filled in escaped).
TEMPLATE_CALLS = {"t", "rt", "mt", "lt", "N_", "html_format", "plural", "as_plain",
                  "as_plain_plural"}


def _sources() -> list[Path]:
    files = []
    for package in ("bot", "handlers", "reminders", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            # The web dashboard is HTML of its own (escaped with quotes, bot/web/tables.py);
            # the sandbox is Telegram's side; i18n is the one place that makes Html.
            if relative.startswith(("bot/web/", "bot/sandbox/", "storage/migrations/")):
                continue
            if relative != "handlers/kit/i18n.py":
                files.append(path)
    return files


def _markup_outside_the_one_path(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    allowed: set[int] = set()
    found = []
    where = path.relative_to(ROOT).as_posix()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if name in TEMPLATE_CALLS:
                allowed.update(id(arg) for arg in node.args)
            if name == "Html":
                found.append(f"{where}:{node.lineno}: Html(...) (use t, escape or html_join)")
        if (isinstance(node, ast.Attribute) and node.attr in ("escape", "unescape")
                and isinstance(node.value, ast.Name) and node.value.id == "html"):
            found.append(f"{where}:{node.lineno}: html.{node.attr} (use handlers.kit.i18n)")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in allowed and TAG.search(node.value)):
            found.append(f"{where}:{node.lineno}: markup {node.value[:40]!r} built by hand")
    return found


def test_message_markup_is_only_made_through_bot_i18n() -> None:
    found = [line for path in _sources() for line in _markup_outside_the_one_path(path)]
    assert not found, "\n".join(found)


async def test_transfer_destination_is_literal(bot: Bot) -> None:
    from tests.chat import test_members_chat as mc

    s = await mc.seed(bot)
    secretary = bot.person(mc.SEC_A, "Sec A", language_code="en")
    bob = bot.person(mc.BOB, "Bob", language_code="en")
    await bob.say("/start")
    destination = hostile("to")
    await secretary.say("/members")
    await secretary.tap(f"mem:card:{s.bob}")
    await secretary.tap("📨 Transfer")
    await secretary.tap("An organization outside the bot")
    await secretary.say(destination)
    assert f"To: {destination}" in secretary.last_text
    await secretary.tap("📨 Issue the letter")
    assert secretary.saw(f"To: {destination}")
    assert f"transferred out to {destination}" in bob.last_text
    await secretary.say("/members")
    await secretary.tap("Transferred out")
    await secretary.tap(f"mem:card:{s.bob}")
    assert destination in secretary.last_text
    assert_clean(bot, mc.SEC_A, mc.BOB)
