"""The texts and buttons of /duties, /renewal and /settings as pure functions: no database,
no Telegram."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.duties.dues_day import parse_dues_day
from handlers.duties.views import (
    AskSwitch,
    EditDuty,
    MarkDone,
    PickDeputy,
    ShowCalendar,
    day_words,
    duty_card,
    line_text,
    month_buttons,
    org_deadlines,
    renewals,
    when_text,
)
from handlers.kit.buttons import BadCallback, DutyId, OrgId, PersonId
from handlers.kit.i18n import translator
from handlers.reminder_settings.views import Toggle, settings_view
from rules.permissions import Actor
from rules.vocabulary import MemberRole, MembershipState
from storage.duties import DutyLine, TermLine
from storage.models import Duty, PartyOrganization

t = translator("en")
TODAY = date(2030, 1, 17)


def line(deadline: date, *, done: bool = False, due: date | None = None) -> DutyLine:
    return DutyLine(duty_id=4, code=None, title="Photo archive", occurrence="2030",
                    due_on=due or deadline, deadline=deadline, done=done, file_id=None)


def test_buttons_carry_the_same_data_as_before() -> None:
    assert MarkDone(DutyId(4), OrgId(2), "2030-01").pack() == "du:o:4:2:2030-01"
    assert EditDuty(DutyId(4), "l").pack() == "du:e:4:l"
    assert AskSwitch(DutyId(4), False).pack() == "du:off:4:0"
    assert ShowCalendar(0).pack() == "du:cal:0"
    assert PickDeputy(PersonId(0)).pack() == "rn:d:0"
    assert Toggle("k", "meeting").pack() == "rset:k:meeting"
    for family, forged in ((EditDuty, "du:e:4:x"), (AskSwitch, "du:off:4:2"),
                           (MarkDone, "du:o:4:2"), (Toggle, "rset:z:meeting")):
        with pytest.raises(BadCallback):
            family.unpack(forged)

def test_a_deadline_line_says_how_far_off_it_is() -> None:
    assert line_text(t, line(date(2030, 1, 31)), TODAY).endswith("⏳ 14 days left")
    assert line_text(t, line(TODAY), TODAY).endswith("⚠️ due today")
    assert line_text(t, line(date(2030, 1, 10)), TODAY).endswith("❗ 7 days overdue")
    assert line_text(t, line(date(2030, 1, 10), done=True), TODAY).endswith("✅ done")
    moved = line_text(t, line(date(2030, 4, 1), due=date(2030, 3, 31)), TODAY)
    assert "due 2030-04-01 (moved from 2030-03-31, a rest day)" in moved


def test_the_deadlines_offer_marking_the_open_ones_done() -> None:
    org = PartyOrganization(id=2, name="Branch A", dues_day=None)
    dues = Duty(code="dues", day=10)
    reply = org_deadlines(t, org, [line(date(2030, 1, 31)), line(date(2030, 1, 10), done=True)],
                          TODAY, dues, admin=False)
    assert "💰 Dues collection day: day 10 (default)" in reply.text
    assert reply.markup is not None
    data = [b.callback_data for row in reply.markup.inline_keyboard for b in row]
    assert data == ["du:o:4:2:2030", "du:dd:2", "du:new:2"]  # no calendar for a secretary


def test_a_duty_in_words_and_its_card() -> None:
    yearly = Duty(id=3, code=None, title="Report", recurrence="yearly", month=3, day=31,
                  lead_days=[7, 1], audience=["secretaries"], active=True)
    assert when_text(t, yearly) == "yearly, on 03-31 (month-day)"
    card = duty_card(t, yearly, None)
    assert "Reminders: 7, 1 day(s) before, to secretaries and deputies" in card.text
    assert card.markup is not None
    labels = [b.text for row in card.markup.inline_keyboard for b in row]
    assert labels == ["✏️ Day", "✏️ Month", "✏️ Reminder days", "⏸ Switch off",
                      "‹ Duty calendar"]
    once = Duty(id=5, code=None, title="Once", recurrence="once", on_date=date(2030, 2, 1),
                day=1, lead_days=[], audience=[], active=False)
    card = duty_card(t, once, "Branch A")
    assert "For: Branch A and below" in card.text and "Switched off" in card.text
    assert card.markup is not None
    labels = [b.text for row in card.markup.inline_keyboard for b in row]
    assert labels == ["✏️ Reminder days", "▶ Switch on", "‹ Duty calendar"]


def test_dues_days_are_read_as_people_type_them() -> None:
    assert [parse_dues_day(x) for x in ("15", "１５日", "last", "月底", "默认", "29", "x")] == [
        15, 15, 31, 31, 0, None, None]
    assert day_words(t, None, 10) == "day 10 (default)"
    assert day_words(t, 31, 10) == "the last day of the month"


def test_months_six_a_row_and_renewals_marked_overdue() -> None:
    assert [len(row) for row in month_buttons(12)] == [6, 6]
    assert [len(row) for row in month_buttons(3)] == [3]
    lines = [TermLine(2, "Branch A", date(2027, 1, 10), date(2030, 1, 10)),
             TermLine(3, "Branch B", date(2027, 5, 1), date(2030, 5, 1))]
    reply = renewals(t, lines, TODAY, 0)
    assert reply.markup is not None
    assert [b.text for row in reply.markup.inline_keyboard for b in row] == [
        "Branch A · term ends 2030-01-10 ❗", "Branch B · term ends 2030-05-01"]
    assert "No committee term" in renewals(t, [], TODAY, 0).text


def test_settings_offer_leaders_their_kinds_and_the_digest() -> None:
    member = Actor(telegram_id=1, language="en", state=MembershipState.ACTIVE,
                   role=MemberRole.MEMBER)
    secretary = Actor(telegram_id=2, language="en", state=MembershipState.ACTIVE,
                      role=MemberRole.SECRETARY, managed_org_ids=frozenset({2}))
    shown = settings_view(t, member, frozenset({"meeting"}), False, new=True)
    assert "🔕 Meetings I am expected at" in shown.text
    assert "(leaders)" not in shown.text and "digest" not in shown.text
    shown = settings_view(t, secretary, frozenset(), True, new=False)
    assert "🔔 Members without organizational life (leaders)" in shown.text
    assert shown.markup is not None
    assert shown.markup.inline_keyboard[-1][0].callback_data == "rset:d:0"
