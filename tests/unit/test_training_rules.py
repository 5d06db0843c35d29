"""The training rules as plain functions: who owes what, year splits, pro-rata targets,
display helpers, validation, and the training settings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.config import ConfigError, load_settings
from rules.permissions import Actor
from rules.training import (
    DEFAULT_COUNTED_KINDS,
    DEFAULT_POLICY,
    DEFAULT_REQUIRED_MINUTES,
    DaysHours,
    DurationUnit,
    EvidenceProblem,
    Progress,
    TrainingDraft,
    TrainingPolicy,
    TrainingProblem,
    can_log_for_others,
    can_verify,
    canonical_mime,
    counting_years,
    days_and_hours,
    duration_minutes,
    elapsed_days,
    normalize_title,
    parse_amount,
    parse_counted_kinds,
    parse_required_hours,
    pro_rata_target,
    progress,
    progress_bar,
    resolve_required_minutes,
    role_group,
    split_minutes_by_year,
    validate_evidence,
    validate_training,
)
from rules.vocabulary import (
    MemberRole,
    MembershipState,
    MemberStatus,
    TrainingGroup,
    TrainingKind,
    TrainingState,
)

H = 60
TODAY = date(2030, 6, 30)

# ---------------------------------------------------------------------------------------------
# Who owes what
# ---------------------------------------------------------------------------------------------


def test_stored_enum_values_are_stable() -> None:
    assert [k.value for k in TrainingKind] == ["concentrated", "lesson", "online", "other"]
    assert [s.value for s in TrainingState] == ["pending", "verified", "rejected", "withdrawn"]
    assert [g.value for g in TrainingGroup] == ["leader", "member"]


@pytest.mark.parametrize(
    ("role", "status", "group"),
    [
        (MemberRole.SECRETARY, MemberStatus.FULL, TrainingGroup.LEADER),
        (MemberRole.DEPUTY_SECRETARY, MemberStatus.FULL, TrainingGroup.LEADER),
        (MemberRole.COMMITTEE_MEMBER, MemberStatus.FULL, TrainingGroup.LEADER),
        (MemberRole.COMMITTEE_MEMBER, MemberStatus.PROBATIONARY, TrainingGroup.LEADER),
        (MemberRole.MEMBER, MemberStatus.FULL, TrainingGroup.MEMBER),
        (MemberRole.MEMBER, MemberStatus.PROBATIONARY, TrainingGroup.MEMBER),
        (MemberRole.MEMBER, MemberStatus.ACTIVIST, None),
        (MemberRole.SECRETARY, MemberStatus.ACTIVIST, None),  # not a party member: no requirement
    ],
)
def test_role_group(role: MemberRole, status: MemberStatus, group: TrainingGroup | None) -> None:
    assert role_group(role, status) is group


def test_default_requirements_are_three_days_for_leaders_and_32_hours_for_members() -> None:
    assert DEFAULT_REQUIRED_MINUTES == {TrainingGroup.LEADER: 24 * H, TrainingGroup.MEMBER: 32 * H}
    assert DEFAULT_POLICY.hours_per_day == 8
    assert DEFAULT_REQUIRED_MINUTES[TrainingGroup.LEADER] == 3 * DEFAULT_POLICY.hours_per_day * H
    assert DEFAULT_COUNTED_KINDS[TrainingGroup.LEADER] == {TrainingKind.CONCENTRATED}
    assert DEFAULT_COUNTED_KINDS[TrainingGroup.MEMBER] == set(TrainingKind)
    assert DEFAULT_POLICY.counts(TrainingGroup.LEADER, TrainingKind.CONCENTRATED)
    assert not DEFAULT_POLICY.counts(TrainingGroup.LEADER, TrainingKind.ONLINE)
    assert DEFAULT_POLICY.counts(TrainingGroup.MEMBER, TrainingKind.ONLINE)
    assert not DEFAULT_POLICY.counts(None, TrainingKind.CONCENTRATED)
    assert DEFAULT_POLICY.default_required(None) == 0
    with pytest.raises(TypeError):
        DEFAULT_REQUIRED_MINUTES[TrainingGroup.LEADER] = 1  # type: ignore[index]


def test_the_nearest_override_in_the_ancestor_chain_wins() -> None:
    leader, member = TrainingGroup.LEADER, TrainingGroup.MEMBER
    branch: dict[TrainingGroup, int] = {}
    county = {leader: 32 * H}
    province = {leader: 40 * H, member: 50 * H}
    chain = [branch, county, province]
    assert resolve_required_minutes(leader, chain) == 32 * H  # county is nearer than province
    assert resolve_required_minutes(member, chain) == 50 * H  # each group on its own
    assert resolve_required_minutes(member, [branch, county]) == 32 * H  # the default
    assert resolve_required_minutes(leader, []) == 24 * H
    assert resolve_required_minutes(leader, [{leader: 0}, county]) == 0  # 0 is an override
    assert resolve_required_minutes(None, chain) == 0
    policy = TrainingPolicy(required_minutes={leader: 10, member: 20})
    assert resolve_required_minutes(member, [branch], policy) == 20


# ---------------------------------------------------------------------------------------------
# Durations and years
# ---------------------------------------------------------------------------------------------


def test_duration_minutes_from_hours_or_days() -> None:
    assert duration_minutes(Decimal("1.5"), DurationUnit.HOURS) == 90
    assert duration_minutes(3, DurationUnit.DAYS) == 24 * H
    assert duration_minutes(Decimal("0.5"), DurationUnit.DAYS) == 4 * H
    assert duration_minutes(3, DurationUnit.DAYS, hours_per_day=6) == 18 * H
    assert duration_minutes(Decimal("0.01"), DurationUnit.HOURS) == 1  # 0.6 min rounds up
    assert duration_minutes(Decimal("0.005"), DurationUnit.HOURS) == 0


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("2", Decimal(2)), ("1.5", Decimal("1.5")), ("1,5", Decimal("1.5")),
     ("１．５", Decimal("1.5")), (" 0 ", Decimal(0)), ("-1", None), ("+1", None), ("abc", None),
     ("", None), ("NaN", None), ("Infinity", None), ("1.5h", None)],
)
def test_parse_amount(typed: str, amount: Decimal | None) -> None:
    assert parse_amount(typed) == amount


def test_a_training_in_one_year_stays_in_that_year() -> None:
    assert split_minutes_by_year(date(2030, 3, 1), date(2030, 3, 3), 24 * H) == {2030: 24 * H}
    assert split_minutes_by_year(date(2030, 3, 1), date(2030, 3, 1), 0) == {}


def test_a_training_spanning_december_to_january_counts_in_the_year_of_each_day() -> None:
    # 30 and 31 December, 1 January: two days in 2029, one in 2030.
    assert split_minutes_by_year(date(2029, 12, 30), date(2030, 1, 1), 24 * H) == {
        2029: 16 * H, 2030: 8 * H,
    }
    # Uneven minutes: the total is kept exactly, the leftover goes to the bigger share.
    split = split_minutes_by_year(date(2029, 12, 31), date(2030, 1, 2), 100)
    assert split == {2029: 33, 2030: 67}
    # A tie in remainders goes to the earlier year.
    assert split_minutes_by_year(date(2029, 12, 31), date(2030, 1, 1), 101) == {
        2029: 51, 2030: 50,
    }


@pytest.mark.parametrize("minutes", [1, 7, 59, 61, 1439, 1441, 9999])
@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2029, 12, 31), date(2030, 1, 1)), (date(2028, 12, 20), date(2030, 1, 10)),
     (date(2030, 2, 27), date(2030, 3, 2)), (date(2024, 12, 31), date(2025, 1, 1))],
)
def test_splits_always_add_up_and_follow_the_days(start: date, end: date, minutes: int) -> None:
    split = split_minutes_by_year(start, end, minutes)
    assert sum(split.values()) == minutes
    assert set(split) <= set(range(start.year, end.year + 1))
    total_days = (end - start).days + 1
    for year, share in split.items():
        days = (min(end, date(year, 12, 31)) - max(start, date(year, 1, 1))).days + 1
        assert abs(share - minutes * days / total_days) < 1


def test_split_refuses_impossible_input() -> None:
    with pytest.raises(ValueError):
        split_minutes_by_year(date(2030, 1, 2), date(2030, 1, 1), 60)
    with pytest.raises(ValueError):
        split_minutes_by_year(date(2030, 1, 1), date(2030, 1, 1), -1)


def test_counting_years_are_last_year_and_this_year() -> None:
    assert counting_years(date(2030, 1, 1)) == (2029, 2030)
    assert counting_years(date(2030, 12, 31)) == (2029, 2030)


# ---------------------------------------------------------------------------------------------
# Pro-rata target and progress
# ---------------------------------------------------------------------------------------------


def test_elapsed_days() -> None:
    assert elapsed_days(date(2030, 1, 1), 2030) == (1, 365)
    assert elapsed_days(date(2030, 12, 31), 2030) == (365, 365)
    assert elapsed_days(date(2028, 12, 31), 2028) == (366, 366)
    assert elapsed_days(date(2029, 6, 1), 2030) == (0, 365)
    assert elapsed_days(date(2031, 2, 1), 2030) == (365, 365)


def test_pro_rata_target_is_the_elapsed_share_rounded_up() -> None:
    assert pro_rata_target(24 * H, date(2030, 1, 1), 2030) == 4  # ceil(1440 / 365)
    assert pro_rata_target(24 * H, date(2030, 7, 2), 2030) == 722  # ceil(1440 × 183 / 365)
    assert pro_rata_target(32 * H, date(2030, 7, 2), 2030) == 963
    assert pro_rata_target(24 * H, date(2030, 12, 31), 2030) == 24 * H
    assert pro_rata_target(24 * H, date(2028, 12, 31), 2028) == 24 * H  # leap year
    assert pro_rata_target(24 * H, date(2029, 12, 31), 2030) == 0
    assert pro_rata_target(24 * H, date(2031, 1, 1), 2030) == 24 * H
    assert pro_rata_target(0, date(2030, 12, 31), 2030) == 0
    # Never below the exact share, never a whole minute above it.
    for day in range(365):
        on = date(2030, 1, 1) + timedelta(days=day)
        exact = 1920 * (day + 1) / 365
        assert exact <= pro_rata_target(1920, on, 2030) < exact + 1


def test_progress_remaining_gap_fraction_and_on_track() -> None:
    p = progress(24 * H, 600, on=date(2030, 7, 2), year=2030)
    assert p == Progress(1440, 600, 722)
    assert (p.remaining, p.gap, p.on_track, p.met) == (840, 122, False, False)
    assert p.fraction == pytest.approx(600 / 1440)
    exactly = Progress(1440, 722, 722)
    assert exactly.on_track and exactly.gap == 0
    over = Progress(1440, 2000, 1440)
    assert (over.remaining, over.fraction, over.met) == (0, 1.0, True)
    nothing_required = Progress(0, 0, 0)
    assert nothing_required.fraction == 1.0 and nothing_required.on_track


def test_a_secretary_meets_the_3_days_with_one_multi_day_concentrated_course() -> None:
    # seed 002 §18: at least one concentrated training a year, totalling no less than 3 days.
    required = resolve_required_minutes(role_group(MemberRole.SECRETARY, MemberStatus.FULL), [])
    course = duration_minutes(3, DurationUnit.DAYS)
    split = split_minutes_by_year(date(2030, 9, 15), date(2030, 9, 17), course)
    assert validate_training(
        TrainingDraft("Secretaries' course", TrainingKind.CONCENTRATED, date(2030, 9, 15),
                      date(2030, 9, 17), course),
        today=date(2030, 9, 20),
    ) is None
    done = progress(required, split[2030], on=date(2030, 12, 31), year=2030)
    assert done.met and done.remaining == 0 and days_and_hours(done.counted) == DaysHours(3, 0, 0)
    # Two and a half days are not enough, and online study does not count for leaders.
    assert not progress(required, duration_minutes(Decimal("2.5"), DurationUnit.DAYS),
                        on=date(2030, 12, 31), year=2030).met
    assert not DEFAULT_POLICY.counts(TrainingGroup.LEADER, TrainingKind.ONLINE)
    # The same 3-day course across New Year counts 2 days in one year and 1 in the next.
    across = split_minutes_by_year(date(2030, 12, 30), date(2031, 1, 1), course)
    assert [days_and_hours(m) for m in across.values()] == [DaysHours(2, 0, 0), DaysHours(1, 0, 0)]
    assert not progress(required, across[2030], on=date(2030, 12, 31), year=2030).met


# ---------------------------------------------------------------------------------------------
# Display
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "hours_per_day", "shown"),
    [(0, 8, DaysHours(0, 0, 0)), (59, 8, DaysHours(0, 0, 59)), (1500, 8, DaysHours(3, 1, 0)),
     (1440, 8, DaysHours(3, 0, 0)), (1440, 6, DaysHours(4, 0, 0)), (1919, 8, DaysHours(3, 7, 59)),
     (1440, 24, DaysHours(1, 0, 0))],
)
def test_days_and_hours(minutes: int, hours_per_day: int, shown: DaysHours) -> None:
    assert days_and_hours(minutes, hours_per_day) == shown


def test_days_and_hours_refuses_negative_minutes() -> None:
    with pytest.raises(ValueError):
        days_and_hours(-1)


@pytest.mark.parametrize(
    ("fraction", "bar"),
    [(0.0, "░░░░░░░░░░"), (0.05, "░░░░░░░░░░"), (0.1, "█░░░░░░░░░"), (0.5, "█████░░░░░"),
     (0.999, "█████████░"), (1.0, "██████████"), (1.7, "██████████"), (-0.3, "░░░░░░░░░░")],
)
def test_progress_bar(fraction: float, bar: str) -> None:
    assert progress_bar(fraction) == bar


def test_progress_bar_width_and_characters() -> None:
    assert progress_bar(0.5, 4, full="#", empty="-") == "##--"
    assert progress_bar(0.99, 1) == "░"
    with pytest.raises(ValueError):
        progress_bar(0.5, 0)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def d(
    *, title: str = "Course", starts_on: date = date(2030, 3, 1), ends_on: date | None = None,
    minutes: int = 8 * H, organizer: str | None = None,
) -> TrainingDraft:
    return TrainingDraft(title, TrainingKind.CONCENTRATED, starts_on, ends_on or starts_on,
                         minutes, organizer)


@pytest.mark.parametrize(
    ("draft", "problem"),
    [
        (d(), None),
        (d(title=""), TrainingProblem.TITLE_EMPTY),
        (d(title="   "), TrainingProblem.TITLE_EMPTY),
        (d(title="《》—"), TrainingProblem.TITLE_EMPTY),
        (d(title="x" * 201), TrainingProblem.TITLE_TOO_LONG),
        (d(title="a\x00b"), TrainingProblem.TITLE_INVALID),
        (d(organizer="o" * 201), TrainingProblem.ORGANIZER_TOO_LONG),
        (d(organizer="a\x07"), TrainingProblem.ORGANIZER_INVALID),
        (d(organizer="  "), None),
        (d(starts_on=date(2030, 3, 2), ends_on=date(2030, 3, 1)),
         TrainingProblem.END_BEFORE_START),
        (d(minutes=0), TrainingProblem.NOT_POSITIVE),
        (d(minutes=-60), TrainingProblem.NOT_POSITIVE),
        (d(minutes=24 * H), None),  # a whole day is possible (online marathons)
        (d(minutes=24 * H + 1), TrainingProblem.TOO_MANY_HOURS),
        (d(ends_on=date(2030, 3, 3), minutes=72 * H), None),
        (d(ends_on=date(2030, 3, 3), minutes=72 * H + 1), TrainingProblem.TOO_MANY_HOURS),
        (d(starts_on=TODAY), None),
        (d(starts_on=TODAY + timedelta(days=1)), TrainingProblem.IN_FUTURE),
        (d(starts_on=date(2030, 6, 29), ends_on=date(2030, 7, 1)), TrainingProblem.IN_FUTURE),
        (d(starts_on=date(2029, 1, 1)), None),  # last year still counts
        (d(starts_on=date(2028, 12, 31)), TrainingProblem.OUTSIDE_COUNTING_YEARS),
        (d(starts_on=date(2028, 12, 31), ends_on=date(2029, 1, 1), minutes=2 * H), None),
    ],
)
def test_validate_training(draft: TrainingDraft, problem: TrainingProblem | None) -> None:
    assert validate_training(draft, today=TODAY) is problem


def test_validate_training_for_the_year_being_counted() -> None:
    across = d(starts_on=date(2029, 12, 30), ends_on=date(2030, 1, 1), minutes=24 * H)
    assert validate_training(across, today=TODAY, year=2029) is None
    assert validate_training(across, today=TODAY, year=2030) is None
    assert validate_training(d(), today=TODAY, year=2029) is TrainingProblem.NOT_IN_YEAR
    # Only this year and last year may be counted.
    assert validate_training(d(), today=TODAY, year=2028) is (
        TrainingProblem.OUTSIDE_COUNTING_YEARS
    )
    assert validate_training(d(), today=TODAY, year=2031) is (
        TrainingProblem.OUTSIDE_COUNTING_YEARS
    )


def test_titles_are_normalized_for_spotting_duplicates() -> None:
    key = normalize_title("学习贯彻党的二十大精神专题培训")
    assert normalize_title("《学习贯彻党的二十大精神》专题培训") == key
    assert normalize_title(" 学习贯彻 党的二十大精神 专题培训。") == key
    assert normalize_title("Party  History-Course") == normalize_title("party history course")
    assert normalize_title("ＡＢＣ１２３") == "abc123"  # full-width letters and digits
    assert normalize_title("Course 1") != normalize_title("Course 2")
    assert TrainingDraft("《A》", TrainingKind.OTHER, TODAY, TODAY, 60).title_key == "a"


@pytest.mark.parametrize(
    ("mime", "size", "problem"),
    [
        ("image/jpeg", 1000, None), ("image/png", 1000, None), ("image/webp", 1000, None),
        ("application/pdf", 1000, None), ("IMAGE/JPEG", 1000, None), ("image/jpg", 1000, None),
        ("application/pdf; charset=binary", 1000, None), ("image/jpeg", None, None),
        ("image/gif", 1000, EvidenceProblem.NOT_IMAGE_OR_PDF),
        ("application/zip", 1000, EvidenceProblem.NOT_IMAGE_OR_PDF),
        ("video/mp4", 1000, EvidenceProblem.NOT_IMAGE_OR_PDF),
        (None, 1000, EvidenceProblem.NOT_IMAGE_OR_PDF),
        ("", 1000, EvidenceProblem.NOT_IMAGE_OR_PDF),
        ("image/png", 10 * 1024 * 1024, None),
        ("image/png", 10 * 1024 * 1024 + 1, EvidenceProblem.TOO_LARGE),
        ("image/png", 0, EvidenceProblem.EMPTY),
    ],
)
def test_validate_evidence(mime: str | None, size: int | None,
                           problem: EvidenceProblem | None) -> None:
    assert validate_evidence(mime, size) is problem


def test_evidence_limit_is_configurable_and_mime_is_stored_canonically() -> None:
    assert validate_evidence("image/png", 2000, max_bytes=1000) is EvidenceProblem.TOO_LARGE
    assert validate_evidence("image/png", 1000, max_bytes=1000) is None
    assert canonical_mime("image/JPG") == "image/jpeg"
    assert canonical_mime("application/pdf; x=y") == "application/pdf"


# ---------------------------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------------------------


def test_leaders_verify_others_but_never_their_own_record() -> None:
    secretary = Actor(
        telegram_id=1, language="zh", person_id=10, org_id=5, state=MembershipState.ACTIVE,
        role=MemberRole.SECRETARY, managed_org_ids=frozenset({5}),
    )
    admin = Actor(telegram_id=2, language="zh", is_admin=True, person_id=20)
    member = Actor(telegram_id=3, language="zh", person_id=30, org_id=5,
                   state=MembershipState.ACTIVE, role=MemberRole.MEMBER)
    assert can_verify(secretary, 5, 30)
    assert not can_verify(secretary, 5, 10)  # own record
    assert not can_verify(secretary, 6, 31)  # another branch
    assert can_verify(admin, 6, 31)
    assert not can_verify(member, 5, 31)
    assert can_log_for_others(secretary, 5) and not can_log_for_others(member, 5)


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def test_parse_required_hours_merges_with_the_defaults() -> None:
    assert parse_required_hours({}) == DEFAULT_REQUIRED_MINUTES
    assert parse_required_hours({"Member": 40, "leader": "20.5"}) == {
        TrainingGroup.LEADER: 1230, TrainingGroup.MEMBER: 2400,
    }
    assert parse_required_hours({"leader": 0})[TrainingGroup.LEADER] == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [({"boss": 3}, "unknown role group 'boss'"), ({"leader": -1}, "leader: hours must be"),
     ({"leader": "x"}, "leader: hours must be"), ({"member": 9000}, "from 0 to 8784"),
     ({"leader": True}, "leader: hours must be a number"),
     ({"leader": [1]}, "leader: hours must be a number")],
)
def test_parse_required_hours_names_the_bad_entry(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_required_hours(values)


def test_parse_counted_kinds() -> None:
    assert parse_counted_kinds({}) == DEFAULT_COUNTED_KINDS
    assert parse_counted_kinds({"leader": ["concentrated", " Lesson "]})[TrainingGroup.LEADER] == {
        TrainingKind.CONCENTRATED, TrainingKind.LESSON,
    }
    assert parse_counted_kinds({"member": "online, other"})[TrainingGroup.MEMBER] == {
        TrainingKind.ONLINE, TrainingKind.OTHER,
    }
    with pytest.raises(ValueError, match="unknown training kind 'nap'"):
        parse_counted_kinds({"leader": ["nap"]})
    with pytest.raises(ValueError, match="at least one"):
        parse_counted_kinds({"leader": []})
    with pytest.raises(ValueError, match="unknown role group"):
        parse_counted_kinds({"chief": ["online"]})
    with pytest.raises(ValueError, match="expected a list"):
        parse_counted_kinds({"leader": 3})


def test_policy_refuses_incomplete_or_impossible_values() -> None:
    with pytest.raises(ValueError):
        TrainingPolicy(required_minutes={TrainingGroup.LEADER: 60})
    with pytest.raises(ValueError):
        TrainingPolicy(counted_kinds={TrainingGroup.LEADER: frozenset(),
                                      TrainingGroup.MEMBER: frozenset(TrainingKind)})
    with pytest.raises(ValueError):
        TrainingPolicy(hours_per_day=0)
    with pytest.raises(ValueError):
        TrainingPolicy(evidence_max_bytes=0)


def test_settings_build_the_training_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRANCHBOT_CONFIG", raising=False)
    assert load_settings().training_policy == DEFAULT_POLICY
    monkeypatch.setenv("BRANCHBOT_TRAINING_HOURS_PER_DAY", "6")
    monkeypatch.setenv("BRANCHBOT_TRAINING_REQUIRED_HOURS", '{"leader": 18}')
    monkeypatch.setenv("BRANCHBOT_TRAINING_COUNTED_KINDS", '{"leader": ["concentrated", "lesson"]}')
    monkeypatch.setenv("BRANCHBOT_TRAINING_EVIDENCE_MAX_BYTES", "5000000")
    policy = load_settings().training_policy
    assert policy.hours_per_day == 6
    assert policy.required_minutes == {TrainingGroup.LEADER: 18 * H, TrainingGroup.MEMBER: 32 * H}
    assert policy.counts(TrainingGroup.LEADER, TrainingKind.LESSON)
    assert policy.evidence_max_bytes == 5_000_000


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BRANCHBOT_TRAINING_HOURS_PER_DAY", "25", "BRANCHBOT_TRAINING_HOURS_PER_DAY: "),
        ("BRANCHBOT_TRAINING_REQUIRED_HOURS", '{"boss": 3}',
         "BRANCHBOT_TRAINING_REQUIRED_HOURS: unknown role group 'boss'"),
        ("BRANCHBOT_TRAINING_REQUIRED_HOURS", '{"leader": "three"}',
         "BRANCHBOT_TRAINING_REQUIRED_HOURS: leader: hours must be"),
        ("BRANCHBOT_TRAINING_COUNTED_KINDS", '{"leader": ["nap"]}',
         "BRANCHBOT_TRAINING_COUNTED_KINDS: leader: unknown training kind 'nap'"),
        ("BRANCHBOT_TRAINING_EVIDENCE_MAX_BYTES", "0", "BRANCHBOT_TRAINING_EVIDENCE_MAX_BYTES: "),
    ],
)
def test_bad_training_settings_stop_with_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.delenv("BRANCHBOT_CONFIG", raising=False)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_the_requirement_table_binds_leaders_to_both_rows() -> None:
    from rules.training_standing import behind_any, standings

    policy = DEFAULT_POLICY
    table = {row.key: row for row in policy.requirements()}
    assert table[TrainingGroup.MEMBER].binds == {TrainingGroup.MEMBER, TrainingGroup.LEADER}
    assert table[TrainingGroup.MEMBER].minutes == 32 * 60
    assert table[TrainingGroup.LEADER].binds == {TrainingGroup.LEADER}
    assert table[TrainingGroup.LEADER].kinds == {TrainingKind.CONCENTRATED}
    assert policy.binding(TrainingGroup.LEADER) == [TrainingGroup.LEADER, TrainingGroup.MEMBER]
    assert policy.binding(TrainingGroup.MEMBER) == [TrainingGroup.MEMBER]
    assert policy.binding(None) == []
    done = {TrainingKind.CONCENTRATED: 24 * 60, TrainingKind.ONLINE: 4 * 60}
    owed = {TrainingGroup.LEADER: 24 * 60, TrainingGroup.MEMBER: 32 * 60}
    leader = standings(TrainingGroup.LEADER, owed, done, on=date(2030, 12, 31), year=2030,
                       policy=policy)
    assert leader[TrainingGroup.LEADER].met and not leader[TrainingGroup.MEMBER].met
    assert leader[TrainingGroup.MEMBER].counted == 28 * 60 and behind_any(leader)
    # Configurable as data: a deployment may release leaders from the members' row.
    only_own = TrainingPolicy(binds={TrainingGroup.MEMBER: frozenset({TrainingGroup.MEMBER}),
                                           TrainingGroup.LEADER: frozenset({TrainingGroup.LEADER})})
    assert only_own.binding(TrainingGroup.LEADER) == [TrainingGroup.LEADER]
