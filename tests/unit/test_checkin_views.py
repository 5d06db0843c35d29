"""Check-in's views as pure functions: wire data, keyboards, texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.checkin import record_views, views
from handlers.checkin.views import FixTo, OpenCheckin, RosterPage
from handlers.kit.buttons import AttendanceId, MeetingId, OrgId
from handlers.kit.i18n import translator
from handlers.ledger.views import ExportLedger, ShowCompliance
from rules.vocabulary import AttendanceStatus, CheckinMethod, MeetingKind, MeetingState
from storage.models import Attendance, Meeting, Person

t = translator("en")
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def meeting(state: MeetingState = MeetingState.CHECKIN_OPEN,
            kind: MeetingKind = MeetingKind.ASSEMBLY) -> Meeting:
    return Meeting(id=5, kind=kind, state=state, starts_at=NOW - timedelta(minutes=5),
                   ends_at=NOW + timedelta(hours=2), topic="Study", place="Room 101",
                   latitude=None, longitude=None, checkin_minutes_before=30,
                   checkin_minutes_after=30, code_secret="00" * 32, minutes="Decided.",
                   host=None, recorder=None, lecturer=None, entered_afterwards=False,
                   closed_at=None, closed_by=None)


def rows(count: int, status: AttendanceStatus = AttendanceStatus.EXPECTED
         ) -> list[tuple[Attendance, Person]]:
    return [(Attendance(id=100 + i, meeting_id=5, membership_id=i, status=status, method=None,
                        checked_in_at=None, marked_by=None, leave_reason=None,
                        makeup_done_at=None),
             Person(telegram_id=900 + i, real_name=f"Member {i:02}")) for i in range(count)]


def data(markup: object) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]  # type: ignore[attr-defined]


def test_buttons_keep_the_wire_data_of_stored_messages() -> None:
    assert OpenCheckin(MeetingId(5)).pack() == "ck:open:5"
    assert RosterPage(MeetingId(5), 2).pack() == "ck:rp:5:2"
    assert FixTo(AttendanceId(3), AttendanceStatus.ON_LEAVE).pack() == "ck:fixto:3:on_leave"
    assert ShowCompliance(OrgId(7), "lq").pack() == "lg:comp:7:lq"
    assert ExportLedger(OrgId(7), "tq").pack() == "lg:xlsx:7:tq"


def test_the_code_message_offers_check_me_in_only_to_a_leader_on_the_list() -> None:
    lines = rows(3)
    reply = views.code_message(t, TZ, meeting(), NOW, lines, 900)
    assert "Checked in so far: 0 of 3." in reply.text and "🔢" in reply.text
    assert data(reply.markup) == ["ck:code:5", "ck:roster:5", "ck:close:5", "ck:me:5"]
    other = views.code_message(t, TZ, meeting(), NOW, lines, 1)
    assert "ck:me:5" not in data(other.markup)


def test_the_roster_pages_and_offers_marks_for_those_not_arrived() -> None:
    lines = rows(12)
    lines[0][0].status, lines[0][0].method = AttendanceStatus.PRESENT, CheckinMethod.TAP
    lines[0][0].checked_in_at = NOW
    first = views.roster(t, TZ, meeting(), lines, {}, 0, NOW)
    assert "1. Member 00: present (tap, 10:00)" in first.text
    marks = [d for d in data(first.markup) if d.startswith("ck:mark:")]
    assert marks == [f"ck:mark:{100 + i}" for i in range(1, 10)]
    assert ["ck:rp:5:0", "ck:rp:5:1"] == [d for d in data(first.markup) if d.startswith("ck:rp")]
    assert views.page_showing(lines, 111) == 1
    closed = views.roster(t, TZ, meeting(MeetingState.CLOSED), lines, {}, 1, NOW)
    assert [d for d in data(closed.markup) if d.startswith("ck:fix:")] == ["ck:fix:110",
                                                                          "ck:fix:111"]
    assert {"ck:rec:5", "ck:minutes:5"} <= set(data(closed.markup))


def test_the_record_names_who_was_on_leave_and_absent_and_a_missed_quorum() -> None:
    lines = rows(3)
    lines[0][0].status = AttendanceStatus.PRESENT
    lines[1][0].status, lines[1][0].leave_reason = AttendanceStatus.ON_LEAVE, "ill <b>"
    lines[2][0].status = AttendanceStatus.ABSENT
    text = record_views.record_text(t, TZ, meeting(kind=MeetingKind.COMMITTEE), lines, 2, "Sam")
    assert "Expected 3 · present 1 · on leave 1 · absent 1" in text
    assert "On leave: Member 01 (ill &lt;b&gt;)" in text and "Absent: Member 02" in text
    assert "Quorum not met: 1 of 3" in text and "Attachments: 2" in text


def test_the_attachments_step_says_what_happened_last() -> None:
    text, buttons = record_views.attachments(t, MeetingId(5), 2, "attached")
    assert text == "Attached (2 files so far). Send more or press Done."
    assert [b.callback_data for row in buttons for b in row] == ["ck:done:5"]
    assert record_views.attachments(t, MeetingId(5), 0, "noted")[0].startswith("Minutes noted")
