"""The meetings' views without a bot: button data on the wire, the member's buttons for each
answer, the leaders' card buttons, dates in words and the picker's pages."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.kit.buttons import AttendanceId, BadCallback, MeetingId, MembershipId, OrgId
from handlers.kit.i18n import translator
from handlers.meeting_lists.views import AddToList, EditList, RemoveFromList
from handlers.meetings.views import (
    ApproveLeave,
    ChooseKind,
    ListMeetings,
    MeetingInfo,
    ShowMeeting,
    card_keyboard,
    kind_question,
    member_keyboard,
    nth_weekday,
    repeat_label,
    series_days,
    span_text,
)
from rules.vocabulary import AttendanceStatus, MeetingKind, MeetingState

TZ = ZoneInfo("Asia/Shanghai")
t = translator("en")


def texts(markup: object) -> list[str]:
    return [b.text for row in getattr(markup, "inline_keyboard", ()) for b in row]


def datas(markup: object) -> list[str]:
    return [b.callback_data for row in getattr(markup, "inline_keyboard", ()) for b in row]


def info(state: MeetingState) -> MeetingInfo:
    start = datetime(2027, 1, 11, 10, 0, tzinfo=TZ)
    return MeetingInfo(id=7, org_id=3, org_name="Branch A", group_name=None,
                       kind=MeetingKind.ASSEMBLY, state=state, starts_at=start,
                       ends_at=start.replace(hour=12), place="Room 1", online_url=None,
                       located=False, topic="Study", host=None, recorder=None, lecturer=None)


def test_button_data_on_the_wire_stays_as_stored_messages_carry_it() -> None:
    assert ChooseKind(OrgId(3), MeetingKind.THEME_DAY).pack() == "ms:kind:3:theme_day"
    assert ListMeetings(OrgId(3), 0).pack() == "mt:list:3:0"
    assert ApproveLeave(AttendanceId(9)).pack() == "mt:lok:9"
    assert EditList(MeetingId(7), 1).pack() == "ml:edit:7:1"
    assert AddToList(MeetingId(7), MembershipId(4)).pack() == "ml:add:7:4"
    assert RemoveFromList.unpack("ml:rm:5") == RemoveFromList(AttendanceId(5))
    for forged in ("ms:kind:1:nonsense", "mt:card:7x", "mt:card", "mt:card:2147483648"):
        family = ChooseKind if forged.startswith("ms") else ShowMeeting
        with pytest.raises(BadCallback):
            family.unpack(forged)


@pytest.mark.parametrize(("status", "shown"), [
    (AttendanceStatus.EXPECTED, ["✅ I will attend", "🙋 Ask for leave", "📆 Add to calendar"]),
    (AttendanceStatus.ATTENDING, ["🙋 Ask for leave", "📆 Add to calendar"]),
    (AttendanceStatus.LEAVE_REQUESTED, ["✅ I will attend", "📆 Add to calendar"]),
    (AttendanceStatus.GUEST, ["✅ I will attend", "📆 Add to calendar"]),
    (AttendanceStatus.PRESENT, ["📆 Add to calendar"]),
])
def test_a_member_sees_the_answers_left_to_give(status: AttendanceStatus, shown: list[str]) -> None:
    assert texts(member_keyboard(t, 7, status, MeetingState.SCHEDULED)) == shown
    assert member_keyboard(t, 7, status, MeetingState.CLOSED) is None


def test_the_card_of_a_live_meeting_and_of_a_closed_one() -> None:
    live = card_keyboard(t, info(MeetingState.SCHEDULED))
    assert datas(live) == ["ck:open:7", "ck:close:7", "ck:roster:7", "mt:pp:7", "mt:cx:7",
                           "mt:ics:7", "mt:list:3:0"]
    assert texts(card_keyboard(t, info(MeetingState.CHECKIN_OPEN)))[0] == "✅ Check-in (open)"
    assert datas(card_keyboard(t, info(MeetingState.CLOSED))) == ["ck:roster:7", "mt:list:3:0"]


def test_the_kind_question_offers_every_kind_and_cancel() -> None:
    text, markup = kind_question(t, OrgId(3), "Branch <A>")
    assert text == "<b>Branch &lt;A&gt;</b>: which kind of meeting?"
    assert datas(markup)[0] == "ms:kind:3:assembly" and datas(markup)[-1] == "x:cancel"
    assert len(datas(markup)) == len(MeetingKind) + 1


def test_dates_in_words() -> None:
    start = datetime(2027, 1, 11, 10, 0, tzinfo=TZ)
    assert span_text(t, TZ, start, start.replace(hour=12)) == "2027-01-11 (Monday) 10:00–12:00"
    assert span_text(t, TZ, start, start.replace(day=12, hour=1)) == (
        "2027-01-11 (Monday) 10:00 – 2027-01-12 01:00")
    assert nth_weekday(date(2027, 1, 4)) == (0, 1)
    assert nth_weekday(date(2027, 1, 29)) == (4, -1)  # a fifth Friday counts as the last
    assert repeat_label(t, date(2027, 1, 29)) == "Monthly, on the last Friday"
    assert series_days(date(2027, 1, 4), 3) == [date(2027, 1, 4), date(2027, 2, 1),
                                                date(2027, 3, 1)]
