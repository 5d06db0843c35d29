"""Texts and buttons of training (handlers/training views): plain functions, no bot."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from handlers.access.training import RecordInfo
from handlers.kit.buttons import BadCallback, OrgId, TrainingId
from handlers.kit.i18n import translator
from handlers.training.log_views import LogForm, picker, problem_of, start_buttons, summary
from handlers.training.member import year_keyboard
from handlers.training.views import (
    Heard,
    ShowQueue,
    StartDay,
    Submit,
    SubmitVerified,
    SwitchUnit,
    card_keyboard,
    due_duration,
    duration,
    heard_text,
)
from rules.training import EvidenceProblem, TrainingDraft, TrainingProblem
from rules.vocabulary import MemberRole, TrainingKind, TrainingState
from storage.training import TrainingLine

t = translator("en")
TODAY = date(2026, 6, 15)


def data(markup: Any) -> list[str]:
    rows = markup.inline_keyboard if hasattr(markup, "inline_keyboard") else markup
    return [button.callback_data for row in rows for button in row]


def labels(rows: Any) -> list[str]:
    return [button.text for row in rows for button in row]


def record(state: TrainingState = TrainingState.PENDING, files: int = 2) -> RecordInfo:
    return RecordInfo(
        id=TrainingId(7), person_id=3, telegram_id=30, language="en", name="Alice Wang",
        org_id=4, org_name="Branch A", title="Party history", organizer=None,
        kind=TrainingKind.ONLINE, state=state, starts_on=TODAY, ends_on=TODAY, minutes=90,
        years=((2026, 90),), evidence=tuple((f"f{i}", "image/jpeg", None) for i in range(files)),
        reject_reason=None, batch=False,
    )


def test_lengths_read_as_days_and_hours_and_targets_round_up() -> None:
    assert duration(t, 90, 8) == "1 hour 30 minutes"
    assert duration(t, 24 * 60, 8) == "3 days (24 h)"
    assert duration(t, 0, 8) == "0 hours"
    assert due_duration(t, 61, 8) == "2 hours"


def test_the_wire_data_of_presses_stays_as_stored_messages_carry_it() -> None:
    assert ShowQueue(OrgId(3), 0).pack() == "tr:q:3:0"
    assert StartDay(True).pack() == "tr:day:1"
    assert SwitchUnit("d").pack() == "tr:unit:d"
    assert (Submit().pack(), SubmitVerified().pack()) == ("tr:go", "tr:gov")
    with pytest.raises(BadCallback):
        Submit.unpack("tr:gov")
    with pytest.raises(BadCallback):
        StartDay.unpack("tr:day:2")


def test_a_pending_record_offers_deciding_its_evidence_and_the_way_back() -> None:
    assert data(card_keyboard(t, record(), decide=True, back=4)) == [
        "tr:ok:7", "tr:no:7", "tr:fx:7", "tr:ev:7", "tr:q:4:0"]
    assert data(card_keyboard(t, record(TrainingState.REJECTED, 0), decide=True)) == []


def test_my_year_offers_both_counting_years_and_withdrawing_what_waits() -> None:
    line = TrainingLine("record", 9, "A very long title of a course on the constitution",
                        TrainingKind.ONLINE, TrainingState.PENDING, TODAY, TODAY, 60, 60)
    rows = year_keyboard(t, 2026, TODAY, [line], leads=True)
    assert data(rows) == ["tr:log:2026", "tr:y:2026", "tr:y:2025", "tr:wd:9", "tr:ea:9",
                          "tr:bpick:0"]
    assert labels(rows)[1:4] == ["• This year", "Last year",
                                 "↩ Withdraw: A very long title of a cour…"]


def test_the_member_picker_pages_and_counts_the_chosen() -> None:
    members = [SimpleNamespace(person_id=i, role=MemberRole.MEMBER,
                               person=SimpleNamespace(real_name=f"Member {i}", telegram_id=i))
               for i in range(1, 11)]
    text, rows = picker(t, members, {1, 10}, 1, "Branch A")  # type: ignore[arg-type]
    assert "Tick the members of Branch A" in text
    assert labels(rows) == ["☐ Member 9 · Member", "☑ Member 10 · Member", "‹ Previous", "2/2",
                            "Select all", "Clear", "Next › (2 chosen)"]


def test_the_first_day_offers_today_only_when_logging_for_this_year() -> None:
    assert labels(start_buttons(t, LogForm(year=2026), TODAY)) == ["Today", "Yesterday"]
    assert start_buttons(t, LogForm(year=2025), TODAY) == []
    clashed = LogForm(year=2026, clash=TODAY)
    assert data(start_buttons(t, clashed, TODAY)) == ["tr:rt"]


def test_the_summary_for_many_names_who_is_skipped() -> None:
    form = LogForm(org=OrgId(4), org_name="Branch A", people=[1, 2, 3], dups=[2])
    training = TrainingDraft(title="Course", kind=TrainingKind.CONCENTRATED,
                             starts_on=date(2025, 12, 31), ends_on=date(2026, 1, 1),
                             minutes=16 * 60)
    text, rows = summary(t, form, training, 8, {1: "Ann", 2: "Bob", 3: "Cy"})
    assert "For 2 members: Ann, Cy" in text and "Already logged, skipped: Bob" in text
    assert "Counted per year: 2025: 1 day (8 h) · 2026: 1 day (8 h)" in text
    assert data(rows) == ["tr:gov", "tr:go"]


def test_a_refused_answer_says_why_with_its_values() -> None:
    said = problem_of(TrainingProblem.TOO_MANY_HOURS, TODAY, start=TODAY, end=TODAY)
    assert t(said.message, **said.values).endswith(
        "1 day(s) allow at most 24 hours. Please check the number (hours, not minutes) and "
        "type it again.")
    assert heard_text(t, Heard(kind="refused", problem=EvidenceProblem.TOO_LARGE,
                               size=12 * 1024 * 1024), 10 * 1024 * 1024) == (
        "That file is 12 MB; at most 10 MB is accepted. Please send a smaller photo or PDF.")
    assert heard_text(t, Heard(kind="added", name=None), 1, "Course") == (
        "📎 Added to Course: photo. Send another, or press Done.")
