"""The rules of 三会一课 as plain functions: periods, attendance, check-in, codes, compliance."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from rules.meetings import (
    DEFAULT_REQUIREMENTS,
    CheckinWindow,
    Expectation,
    LedgerCounts,
    MemberFacts,
    Period,
    Requirement,
    attendance_rate,
    checkin_state,
    code_is_valid,
    code_valid_until,
    committee_quorum_met,
    distance_m,
    expected_attendees,
    freeze_statuses,
    ledger_counts,
    monthly_nth_weekday,
    new_code_secret,
    overlaps,
    parse_requirements,
    period_label,
    period_of,
    periods_between,
    room_code,
    within_radius,
)
from rules.verdicts import ComplianceRow, MeetingFact, compliance
from rules.vocabulary import AttendanceStatus, MeetingKind, MemberRole, MemberStatus

BEIJING_TZ = timezone(timedelta(hours=8))
SECRET = b"branch-meeting-secret-0001"

# ---------------------------------------------------------------------------------------------
# Requirements
# ---------------------------------------------------------------------------------------------


def test_default_requirements_cover_every_kind() -> None:
    assert set(DEFAULT_REQUIREMENTS) == set(MeetingKind)
    assert DEFAULT_REQUIREMENTS[MeetingKind.ASSEMBLY] == Requirement(Period.QUARTER, 1)
    assert DEFAULT_REQUIREMENTS[MeetingKind.COMMITTEE] == Requirement(Period.MONTH, 1)
    assert DEFAULT_REQUIREMENTS[MeetingKind.GROUP] == Requirement(Period.MONTH, 1)
    assert DEFAULT_REQUIREMENTS[MeetingKind.LESSON] == Requirement(Period.QUARTER, 1)
    assert DEFAULT_REQUIREMENTS[MeetingKind.THEME_DAY] == Requirement(Period.MONTH, 1)
    assert DEFAULT_REQUIREMENTS[MeetingKind.ORG_LIFE] == Requirement(Period.YEAR, 1)
    assert DEFAULT_REQUIREMENTS[MeetingKind.APPRAISAL] == Requirement(Period.YEAR, 1)


def test_default_requirements_are_read_only() -> None:
    with pytest.raises(TypeError):
        DEFAULT_REQUIREMENTS[MeetingKind.LESSON] = Requirement(Period.YEAR, 1)  # type: ignore[index]


def test_stored_enum_values_are_stable() -> None:
    assert [k.value for k in MeetingKind] == [
        "assembly", "committee", "group", "lesson", "theme_day", "org_life", "appraisal",
    ]
    assert [p.value for p in Period] == ["month", "quarter", "year"]
    assert [s.value for s in AttendanceStatus] == [
        "expected", "attending", "leave_requested", "on_leave",
        "present", "absent", "guest", "guest_present",
    ]


def test_parse_requirements_applies_overrides_over_defaults() -> None:
    parsed = parse_requirements(
        {"lesson": "year:1", "theme_day": "month:0", " Group ": " Quarter : 2 "}
    )
    assert parsed[MeetingKind.LESSON] == Requirement(Period.YEAR, 1)
    assert parsed[MeetingKind.THEME_DAY] == Requirement(Period.MONTH, 0)
    assert parsed[MeetingKind.GROUP] == Requirement(Period.QUARTER, 2)
    assert parsed[MeetingKind.ASSEMBLY] == DEFAULT_REQUIREMENTS[MeetingKind.ASSEMBLY]
    assert parse_requirements({}) == dict(DEFAULT_REQUIREMENTS)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"picnic": "month:1"}, "unknown meeting kind 'picnic'"),
        ({"lesson": "week:1"}, "lesson: unknown period 'week'"),
        ({"lesson": "year"}, "lesson: expected 'period:minimum'"),
        ({"lesson": "year:-1"}, "lesson: minimum must be 0 or more"),
        ({"lesson": "year:one"}, "lesson: minimum must be a whole number"),
        ({"lesson": "year:1.5"}, "lesson: minimum must be a whole number"),
        ({"lesson": "year:"}, "lesson: minimum must be a whole number"),
    ],
)
def test_parse_requirements_errors(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_requirements(overrides)


def test_requirement_refuses_negative_minimum() -> None:
    with pytest.raises(ValueError):
        Requirement(Period.MONTH, -1)


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "period", "first", "last"),
    [
        (date(2026, 11, 23), Period.MONTH, date(2026, 11, 1), date(2026, 11, 30)),
        (date(2028, 2, 10), Period.MONTH, date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 2, 10), Period.MONTH, date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 10, 1), Period.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 12, 31), Period.QUARTER, date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 9, 30), Period.QUARTER, date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 1, 1), Period.QUARTER, date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), Period.QUARTER, date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 6, 30), Period.QUARTER, date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 15), Period.YEAR, date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_period_of(day: date, period: Period, first: date, last: date) -> None:
    assert period_of(day, period) == (first, last)


def test_periods_between_across_a_year_boundary() -> None:
    start, end = date(2026, 11, 15), date(2027, 2, 3)
    assert periods_between(start, end, Period.MONTH) == [
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 31)),
        (date(2027, 2, 1), date(2027, 2, 28)),
    ]
    assert periods_between(start, end, Period.QUARTER) == [
        (date(2026, 10, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 3, 31)),
    ]
    assert periods_between(start, end, Period.YEAR) == [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 12, 31)),
    ]


def test_periods_between_single_day_and_empty() -> None:
    day = date(2026, 3, 31)
    assert periods_between(day, day, Period.QUARTER) == [(date(2026, 1, 1), day)]
    assert periods_between(date(2026, 5, 1), date(2026, 4, 30), Period.MONTH) == []


@pytest.mark.parametrize(
    ("first_day", "period", "label"),
    [
        (date(2026, 11, 1), Period.MONTH, "2026-11"),
        (date(2026, 1, 1), Period.MONTH, "2026-01"),
        (date(2026, 10, 1), Period.QUARTER, "2026-Q4"),
        (date(2026, 1, 1), Period.QUARTER, "2026-Q1"),
        (date(2026, 7, 1), Period.QUARTER, "2026-Q3"),
        (date(2026, 1, 1), Period.YEAR, "2026"),
    ],
)
def test_period_label(first_day: date, period: Period, label: str) -> None:
    assert period_label(first_day, period) == label


# ---------------------------------------------------------------------------------------------
# Who is expected
# ---------------------------------------------------------------------------------------------

BRANCH = [
    MemberFacts(1, MemberStatus.FULL, MemberRole.SECRETARY, 10),
    MemberFacts(2, MemberStatus.FULL, MemberRole.DEPUTY_SECRETARY, 20),
    MemberFacts(3, MemberStatus.PROBATIONARY, MemberRole.COMMITTEE_MEMBER, 10),
    MemberFacts(4, MemberStatus.FULL, MemberRole.MEMBER, 10),
    MemberFacts(5, MemberStatus.PROBATIONARY, MemberRole.MEMBER, 20),
    MemberFacts(6, MemberStatus.ACTIVIST, MemberRole.MEMBER, 10),
    MemberFacts(7, MemberStatus.ACTIVIST, MemberRole.MEMBER, None),
    MemberFacts(8, MemberStatus.FULL, MemberRole.MEMBER, None),
    # Bad data: an activist recorded with a committee role still never sits on the committee.
    MemberFacts(9, MemberStatus.ACTIVIST, MemberRole.COMMITTEE_MEMBER, 20),
]


@pytest.mark.parametrize(
    "kind",
    [
        MeetingKind.ASSEMBLY,
        MeetingKind.LESSON,
        MeetingKind.THEME_DAY,
        MeetingKind.ORG_LIFE,
        MeetingKind.APPRAISAL,
    ],
)
def test_whole_branch_kinds_expect_members_and_invite_activists(kind: MeetingKind) -> None:
    assert expected_attendees(kind, BRANCH) == Expectation(
        expected=frozenset({1, 2, 3, 4, 5, 8}), guests=frozenset({6, 7, 9})
    )


def test_committee_meeting_expects_the_committee_only() -> None:
    assert expected_attendees(MeetingKind.COMMITTEE, BRANCH) == Expectation(
        expected=frozenset({1, 2, 3}), guests=frozenset()
    )


@pytest.mark.parametrize(
    ("group_id", "expected", "guests"),
    [
        (10, {1, 3, 4}, {6}),
        (20, {2, 5}, {9}),
        (30, set(), set()),
    ],
)
def test_group_meeting_expects_that_group(
    group_id: int, expected: set[int], guests: set[int]
) -> None:
    assert expected_attendees(
        MeetingKind.GROUP, BRANCH, party_group_id=group_id
    ) == Expectation(frozenset(expected), frozenset(guests))


def test_group_id_is_required_for_group_meetings_and_ignored_otherwise() -> None:
    with pytest.raises(ValueError, match="party_group_id"):
        expected_attendees(MeetingKind.GROUP, BRANCH)
    assert expected_attendees(
        MeetingKind.ASSEMBLY, BRANCH, party_group_id=10
    ) == expected_attendees(MeetingKind.ASSEMBLY, BRANCH)
    assert expected_attendees(
        MeetingKind.COMMITTEE, BRANCH, party_group_id=20
    ).expected == frozenset({1, 2, 3})


def test_transferred_members_are_simply_not_passed_in() -> None:
    remaining = [m for m in BRANCH if m.membership_id != 4]
    assert 4 not in expected_attendees(MeetingKind.ASSEMBLY, remaining).expected
    assert expected_attendees(MeetingKind.ASSEMBLY, iter(remaining)).expected == frozenset(
        {1, 2, 3, 5, 8}
    )
    assert expected_attendees(MeetingKind.ASSEMBLY, []) == Expectation(frozenset(), frozenset())


@pytest.mark.parametrize(
    ("present", "size", "met"),
    [
        (3, 5, True),
        (2, 5, False),
        (2, 4, False),
        (3, 4, True),
        (2, 3, True),
        (1, 1, True),
        (0, 0, False),
        (5, 5, True),
    ],
)
def test_committee_quorum_is_more_than_half(present: int, size: int, met: bool) -> None:
    assert committee_quorum_met(present, size) is met


@pytest.mark.parametrize(("present", "size"), [(-1, 3), (1, -3), (4, 3)])
def test_committee_quorum_refuses_impossible_counts(present: int, size: int) -> None:
    with pytest.raises(ValueError):
        committee_quorum_met(present, size)


# ---------------------------------------------------------------------------------------------
# Check-in window
# ---------------------------------------------------------------------------------------------

STARTS = datetime(2026, 11, 23, 19, 0, tzinfo=BEIJING_TZ)


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (-timedelta(minutes=30, seconds=1), "early"),
        (-timedelta(minutes=30), "open"),
        (-timedelta(minutes=1), "open"),
        (timedelta(0), "open"),
        (timedelta(minutes=30), "open"),
        (timedelta(minutes=30, seconds=1), "late"),
        (timedelta(hours=3), "late"),
        (-timedelta(days=1), "early"),
    ],
)
def test_checkin_window_edges(offset: timedelta, state: str) -> None:
    assert checkin_state(STARTS + offset, STARTS, CheckinWindow()) == state
    assert checkin_state(STARTS + offset, STARTS) == state


def test_checkin_window_compares_instants_across_time_zones() -> None:
    now_utc = datetime(2026, 11, 23, 10, 31, tzinfo=UTC)  # 18:31 in Beijing
    assert checkin_state(now_utc, STARTS) == "open"
    assert checkin_state(now_utc, STARTS, CheckinWindow(before=timedelta(minutes=10))) == "early"
    assert checkin_state(STARTS + timedelta(minutes=10), STARTS, CheckinWindow(
        after=timedelta(minutes=5)
    )) == "late"


def test_checkin_refuses_naive_datetimes() -> None:
    naive = datetime(2026, 11, 23, 19, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        checkin_state(naive, STARTS)
    with pytest.raises(ValueError, match="timezone-aware"):
        checkin_state(STARTS, naive)


def test_checkin_window_refuses_negative_edges() -> None:
    with pytest.raises(ValueError):
        CheckinWindow(before=timedelta(minutes=-1))


# ---------------------------------------------------------------------------------------------
# Rotating room code
# ---------------------------------------------------------------------------------------------

STEP = timedelta(minutes=5)
# The start of a 5-minute step: 2026-11-23 19:00 Beijing is 11:00 UTC, a multiple of 300 s.
STEP_START = datetime(2026, 11, 23, 19, 0, tzinfo=BEIJING_TZ)


def _reference_code(secret: bytes, unix_seconds: int, step_seconds: int, digits: int) -> str:
    """RFC 6238 TOTP with SHA-256, written out independently of rules.meetings."""
    counter = unix_seconds // step_seconds
    digest = hmac.new(secret, counter.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[31] & 0xF
    number = (
        (digest[offset] & 0x7F) << 24
        | digest[offset + 1] << 16
        | digest[offset + 2] << 8
        | digest[offset + 3]
    )
    return f"{number % 10**digits:0{digits}d}"


def test_room_code_known_answer_against_hmac_directly() -> None:
    at = STEP_START + timedelta(minutes=2)
    unix = int(at.timestamp())
    assert room_code(SECRET, at) == _reference_code(SECRET, unix, 300, 6)
    assert room_code(SECRET, at, digits=8) == _reference_code(SECRET, unix, 300, 8)
    later = at + timedelta(days=3, minutes=7)
    assert room_code(SECRET, later) == _reference_code(SECRET, int(later.timestamp()), 300, 6)


@pytest.mark.parametrize(
    ("unix_seconds", "code"),
    [
        (59, "46119246"),
        (1111111109, "68084774"),
        (1111111111, "67062674"),
        (1234567890, "91819424"),
        (2000000000, "90698825"),
        (20000000000, "77737706"),
    ],
)
def test_room_code_matches_rfc_6238_sha256_vectors(unix_seconds: int, code: str) -> None:
    secret = b"12345678901234567890123456789012"
    at = datetime.fromtimestamp(unix_seconds, UTC)
    assert room_code(secret, at, step=timedelta(seconds=30), digits=8) == code


def test_room_code_is_stable_within_a_step_and_changes_at_the_next() -> None:
    code = room_code(SECRET, STEP_START)
    assert len(code) == 6 and code.isdigit()
    assert room_code(SECRET, STEP_START + timedelta(minutes=4, seconds=59)) == code
    assert room_code(SECRET, STEP_START + STEP) != code
    assert room_code(SECRET, STEP_START - timedelta(seconds=1)) != code
    # The same instant in another zone gives the same code.
    assert room_code(SECRET, STEP_START.astimezone(UTC)) == code
    # Another meeting's secret gives another code.
    assert room_code(b"another-meeting-secret", STEP_START) != code


def test_code_is_valid_accepts_current_and_grace_steps_only() -> None:
    shown_at = STEP_START + timedelta(minutes=1)
    code = room_code(SECRET, shown_at)
    assert code_is_valid(SECRET, code, shown_at)
    assert code_is_valid(SECRET, code, shown_at + STEP)  # previous step, grace 1
    assert not code_is_valid(SECRET, code, shown_at + STEP, grace_steps=0)
    assert not code_is_valid(SECRET, code, shown_at + 2 * STEP)
    assert code_is_valid(SECRET, code, shown_at + 2 * STEP, grace_steps=2)
    # Codes are not valid before they are shown.
    assert not code_is_valid(SECRET, code, shown_at - STEP)


def test_code_forwarded_an_hour_later_is_refused() -> None:
    an_hour_ago = STEP_START - timedelta(hours=1)
    old_code = room_code(SECRET, an_hour_ago)
    assert code_is_valid(SECRET, old_code, an_hour_ago)
    assert not code_is_valid(SECRET, old_code, STEP_START)


@pytest.mark.parametrize("template", ["{a}{b}", " {a}{b} ", "{a} {b}", "{a}\u3000{b}", "{a}\n{b}"])
def test_code_tolerates_spaces(template: str) -> None:
    code = room_code(SECRET, STEP_START)
    assert code_is_valid(SECRET, template.format(a=code[:3], b=code[3:]), STEP_START)


def test_code_accepts_full_width_digits_from_chinese_input() -> None:
    code = room_code(SECRET, STEP_START)
    full_width = "".join(chr(ord(ch) - ord("0") + 0xFF10) for ch in code)
    assert code_is_valid(SECRET, full_width, STEP_START)


@pytest.mark.parametrize("mutate", ["letters", "sign", "short", "long", "empty", "dash", "arabic"])
def test_code_refuses_non_digits_and_wrong_lengths(mutate: str) -> None:
    code = room_code(SECRET, STEP_START)
    typed = {
        "letters": code[:5] + "a",
        "sign": "+" + code[1:],
        "short": code[:5],
        "long": code + "0",
        "empty": "",
        "dash": code[:3] + "-" + code[3:],
        # Arabic-Indic digits are digits to str.isdigit but not to us.
        "arabic": "".join(chr(ord(ch) - ord("0") + 0x0660) for ch in code),
    }[mutate]
    assert not code_is_valid(SECRET, typed, STEP_START)


def test_wrong_code_is_refused() -> None:
    code = room_code(SECRET, STEP_START)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert not code_is_valid(SECRET, wrong, STEP_START)


def test_code_parameters_are_checked() -> None:
    with pytest.raises(ValueError):
        room_code(SECRET, datetime(2026, 11, 23, 19, 0))
    with pytest.raises(ValueError):
        room_code(SECRET, STEP_START, step=timedelta(0))
    with pytest.raises(ValueError):
        room_code(SECRET, STEP_START, digits=3)
    with pytest.raises(ValueError):
        code_is_valid(SECRET, "123456", STEP_START, grace_steps=-1)


def test_code_valid_until_is_the_next_step_in_the_callers_zone() -> None:
    until = code_valid_until(STEP_START + timedelta(minutes=2, seconds=30), STEP)
    assert until == STEP_START + STEP
    assert until.utcoffset() == timedelta(hours=8)
    assert code_valid_until(STEP_START, STEP) == STEP_START + STEP
    assert code_valid_until(STEP_START - timedelta(microseconds=1), STEP) == STEP_START


def test_new_code_secret_is_random_and_20_bytes() -> None:
    first, second = new_code_secret(), new_code_secret()
    assert len(first) == 20 and first != second


# ---------------------------------------------------------------------------------------------
# Location
# ---------------------------------------------------------------------------------------------

BEIJING = (39.9042, 116.4074)
SHANGHAI = (31.2304, 121.4737)


def test_distance_beijing_shanghai() -> None:
    assert distance_m(*BEIJING, *SHANGHAI) == pytest.approx(1_067_000, abs=5_000)
    assert distance_m(*SHANGHAI, *BEIJING) == pytest.approx(distance_m(*BEIJING, *SHANGHAI))
    assert distance_m(*BEIJING, *BEIJING) == 0.0


def test_distance_known_small_and_antipodal() -> None:
    # One thousandth of a degree of latitude is about 111 m.
    assert distance_m(39.9000, 116.4, 39.9010, 116.4) == pytest.approx(111.2, abs=0.5)
    assert distance_m(0, 0, 0, 180) == pytest.approx(3.141592653589793 * 6_371_008.8)


def test_within_radius() -> None:
    hall = (39.9042, 116.4074)
    near = (39.9042 + 0.0025, 116.4074)  # about 278 m north
    far = (39.9042 + 0.0030, 116.4074)  # about 334 m north
    assert within_radius(*near, *hall, 300)
    assert not within_radius(*far, *hall, 300)
    assert within_radius(*hall, *hall, 0)
    assert within_radius(*hall, *near, 300)  # either order
    with pytest.raises(ValueError):
        within_radius(*hall, *near, -1)


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 0.0), (0.0, 181.0), (float("nan"), 0.0)])
def test_distance_refuses_impossible_positions(lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        distance_m(lat, lon, 0.0, 0.0)


# ---------------------------------------------------------------------------------------------
# Attendance record
# ---------------------------------------------------------------------------------------------

S = AttendanceStatus
LIVE = {
    1: S.PRESENT,
    2: S.ON_LEAVE,
    3: S.EXPECTED,
    4: S.ATTENDING,
    5: S.LEAVE_REQUESTED,
    6: S.GUEST,
    7: S.GUEST_PRESENT,
    8: S.ABSENT,
    9: S.PRESENT,
}


def test_freeze_turns_unsettled_answers_into_absence() -> None:
    assert freeze_statuses(LIVE) == {
        1: S.PRESENT,
        2: S.ON_LEAVE,
        3: S.ABSENT,
        4: S.ABSENT,
        5: S.ABSENT,  # leave never approved
        6: S.GUEST,
        7: S.GUEST_PRESENT,
        8: S.ABSENT,
        9: S.PRESENT,
    }
    frozen = freeze_statuses(LIVE)
    assert freeze_statuses(frozen) == frozen  # closing twice changes nothing
    assert LIVE[3] is S.EXPECTED  # the input is left alone


def test_ledger_counts() -> None:
    counts = ledger_counts(freeze_statuses(LIVE))
    assert counts == LedgerCounts(expected=7, present=2, on_leave=1, absent=4)
    assert counts.expected == counts.present + counts.on_leave + counts.absent
    # Counting a record that was not frozen gives the same numbers.
    assert ledger_counts(LIVE) == counts
    assert ledger_counts({}) == LedgerCounts(0, 0, 0, 0)
    assert ledger_counts({1: S.GUEST_PRESENT}) == LedgerCounts(0, 0, 0, 0)


@pytest.mark.parametrize(
    ("present", "expected", "rate"),
    [(2, 7, 2 / 7), (5, 5, 1.0), (0, 4, 0.0), (0, 0, None)],
)
def test_attendance_rate(present: int, expected: int, rate: float | None) -> None:
    assert attendance_rate(present, expected) == rate


# ---------------------------------------------------------------------------------------------
# Compliance
# ---------------------------------------------------------------------------------------------


def test_compliance_missing_due_met_and_not_required() -> None:
    requirements = parse_requirements({"theme_day": "month:0"})
    facts = [
        MeetingFact(MeetingKind.ASSEMBLY, date(2026, 8, 20)),  # Q3 held; Q2 nothing
        MeetingFact(MeetingKind.COMMITTEE, date(2026, 10, 9)),
        MeetingFact(MeetingKind.COMMITTEE, date(2026, 11, 2)),
        MeetingFact(MeetingKind.LESSON, date(2026, 5, 5)),
        MeetingFact(MeetingKind.LESSON, date(2026, 11, 5)),
        MeetingFact(MeetingKind.THEME_DAY, date(2026, 11, 1)),
        MeetingFact(MeetingKind.ORG_LIFE, date(2026, 1, 15)),
        # Outside [start, end]: must not count towards any period shown.
        MeetingFact(MeetingKind.ASSEMBLY, date(2026, 3, 31)),
    ]
    rows = compliance(
        facts, requirements, start=date(2026, 4, 1), end=date(2026, 12, 31),
        today=date(2026, 11, 23),
    )
    by_key = {(r.kind, r.period_label): r for r in rows}

    assert by_key[(MeetingKind.ASSEMBLY, "2026-Q2")] == ComplianceRow(
        MeetingKind.ASSEMBLY, date(2026, 4, 1), "2026-Q2", 1, 0, "missing"
    )
    assert by_key[(MeetingKind.ASSEMBLY, "2026-Q3")].status == "met"
    assert by_key[(MeetingKind.ASSEMBLY, "2026-Q4")].status == "due"
    assert by_key[(MeetingKind.COMMITTEE, "2026-10")].status == "met"
    assert by_key[(MeetingKind.COMMITTEE, "2026-11")].status == "met"
    assert by_key[(MeetingKind.COMMITTEE, "2026-09")].status == "missing"
    assert by_key[(MeetingKind.LESSON, "2026-Q4")].status == "met"
    assert by_key[(MeetingKind.LESSON, "2026-Q3")].status == "missing"
    assert by_key[(MeetingKind.THEME_DAY, "2026-11")] == ComplianceRow(
        MeetingKind.THEME_DAY, date(2026, 11, 1), "2026-11", 0, 1, "not_required"
    )
    assert by_key[(MeetingKind.THEME_DAY, "2026-04")].status == "not_required"
    assert by_key[(MeetingKind.ORG_LIFE, "2026")] == ComplianceRow(
        MeetingKind.ORG_LIFE, date(2026, 1, 1), "2026", 1, 1, "met"
    )
    assert by_key[(MeetingKind.APPRAISAL, "2026")].status == "due"
    # December has not started: future periods are left out.
    assert (MeetingKind.COMMITTEE, "2026-12") not in by_key
    assert (MeetingKind.GROUP, "2026-11") in by_key

    # Rows: every kind in the order of MeetingKind, periods in order.
    assert [r.kind for r in rows] == sorted(
        (r.kind for r in rows), key=list(MeetingKind).index
    )
    monthly = [r.period_first_day for r in rows if r.kind is MeetingKind.COMMITTEE]
    assert monthly == [date(2026, m, 1) for m in range(4, 12)]
    assert len(rows) == 3 + 8 + 8 + 3 + 8 + 1 + 1


def test_compliance_last_day_of_period_is_still_due() -> None:
    rows = compliance(
        [], {MeetingKind.ASSEMBLY: Requirement(Period.QUARTER, 1)},
        start=date(2026, 7, 1), end=date(2026, 12, 31), today=date(2026, 9, 30),
    )
    assert [(r.period_label, r.status) for r in rows] == [("2026-Q3", "due")]
    rows = compliance(
        [], {MeetingKind.ASSEMBLY: Requirement(Period.QUARTER, 1)},
        start=date(2026, 7, 1), end=date(2026, 12, 31), today=date(2026, 10, 1),
    )
    assert [(r.period_label, r.status) for r in rows] == [
        ("2026-Q3", "missing"), ("2026-Q4", "due"),
    ]


def test_compliance_needs_the_minimum_count_and_skips_kinds_not_configured() -> None:
    requirements = {MeetingKind.LESSON: Requirement(Period.YEAR, 2)}
    facts = [
        MeetingFact(MeetingKind.LESSON, date(2025, 6, 1)),
        MeetingFact(MeetingKind.ASSEMBLY, date(2025, 6, 1)),
    ]
    rows = compliance(
        facts, requirements, start=date(2025, 1, 1), end=date(2026, 12, 31),
        today=date(2026, 2, 1),
    )
    assert rows == [
        ComplianceRow(MeetingKind.LESSON, date(2025, 1, 1), "2025", 2, 1, "missing"),
        ComplianceRow(MeetingKind.LESSON, date(2026, 1, 1), "2026", 2, 0, "due"),
    ]


# ---------------------------------------------------------------------------------------------
# Recurrence and clashes
# ---------------------------------------------------------------------------------------------

MONDAY, FRIDAY = 0, 4


def test_first_monday_of_each_month() -> None:
    assert monthly_nth_weekday(date(2026, 1, 1), MONDAY, 1, 6) == [
        date(2026, 1, 5),
        date(2026, 2, 2),
        date(2026, 3, 2),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 6, 1),
    ]


def test_last_friday_of_each_month_across_a_year_boundary() -> None:
    assert monthly_nth_weekday(date(2026, 11, 1), FRIDAY, -1, 4) == [
        date(2026, 11, 27),
        date(2026, 12, 25),
        date(2027, 1, 29),
        date(2027, 2, 26),
    ]


def test_recurrence_starts_on_or_after_first() -> None:
    # The first Monday of November 2026 (the 2nd) has passed, so December comes first.
    assert monthly_nth_weekday(date(2026, 11, 15), MONDAY, 1, 2) == [
        date(2026, 12, 7), date(2027, 1, 4),
    ]
    # A start on the very day is included.
    assert monthly_nth_weekday(date(2026, 11, 2), MONDAY, 1, 1) == [date(2026, 11, 2)]
    assert monthly_nth_weekday(date(2026, 11, 2), MONDAY, 1, 0) == []


def test_fifth_weekday_skips_short_months() -> None:
    # 2026: Mondays fall five times in March, June, August and November.
    assert monthly_nth_weekday(date(2026, 1, 1), MONDAY, 5, 4) == [
        date(2026, 3, 30), date(2026, 6, 29), date(2026, 8, 31), date(2026, 11, 30),
    ]


@pytest.mark.parametrize(("weekday", "nth", "count"), [(7, 1, 1), (0, 0, 1), (0, 6, 1), (0, 1, -1)])
def test_recurrence_refuses_bad_arguments(weekday: int, nth: int, count: int) -> None:
    with pytest.raises(ValueError):
        monthly_nth_weekday(date(2026, 1, 1), weekday, nth, count)


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=BEIJING_TZ)


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        ((_at(19), _at(21)), (_at(20), _at(22)), True),
        ((_at(19), _at(21)), (_at(21), _at(22)), False),  # back to back
        ((_at(19), _at(21)), (_at(17), _at(19)), False),
        ((_at(19), _at(21)), (_at(19, 30), _at(20)), True),  # inside
        ((_at(19), _at(21)), (_at(18), _at(22)), True),  # around
        ((_at(19), _at(21)), (_at(19), _at(21)), True),
        ((_at(19), _at(21)), (_at(20), _at(20)), False),  # empty interval
    ],
)
def test_overlaps_half_open(
    a: tuple[datetime, datetime], b: tuple[datetime, datetime], clash: bool
) -> None:
    assert overlaps(*a, *b) is clash
    assert overlaps(*b, *a) is clash


def test_overlaps_refuses_reversed_interval() -> None:
    with pytest.raises(ValueError):
        overlaps(_at(21), _at(19), _at(20), _at(22))
