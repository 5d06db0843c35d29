"""Generated-input tests of every parser of typed, uploaded or configured text.

For each function that turns text into a value: it never raises anything but its own refusal
(an Invalid, a problem code, None or the ValueError configuration errors use), what it
accepts is within its bounds, and it round-trips where a printed form exists. No database.

Parsers covered (rules/): validation.clean_text (single- and multi-line), clean_real_name,
parse_whole, parse_whole_list, parse_decimal, parse_date, clean_join_date, clean_term_start,
parse_when, clean_phone, mask_phone, clean_link, is_invite_code; training.parse_amount,
parse_length, parse_required_hours, parse_counted_kinds, normalize_title, validate_training
(title and organizer), validate_evidence, canonical_mime; meetings.parse_requirements,
code_is_valid (the typed room code); notices.utf16_len, visible_text, visible_length,
fits_caption, split_html; and the org import's reading and row parser (storage.org_import).
Examples per test: the profile in conftest.py (1,000 with CI=true).
"""

from __future__ import annotations

import atexit
import csv
import io
import re
import shutil
import tempfile
import unicodedata
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import assume, example, given
from hypothesis import strategies as st

from rules import notices
from rules import training as tr
from rules.dates import read_day, read_moment, read_time
from rules.meetings import DEFAULT_REQUIREMENTS, Period, code_is_valid, parse_requirements
from rules.meetings import room_code as make_room_code
from rules.validation import (
    EARLIEST_JOIN_DATE,
    MAX_REAL_NAME,
    MAX_URL,
    Invalid,
    clean_join_date,
    clean_link,
    clean_phone,
    clean_real_name,
    clean_term_start,
    clean_text,
    fold_full_width,
    is_invite_code,
    is_visible,
    mask_phone,
    parse_date,
    parse_decimal,
    parse_when,
    parse_whole,
    parse_whole_list,
)
from rules.vocabulary import MeetingKind, TrainingGroup, TrainingKind
from storage import org_import
from storage.org_import.parsing import RowParser
from storage.org_import.reading import FileProblem, check_header, read_rows

TODAY = date(2026, 11, 23)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")  # has daylight saving: wall times that do not exist
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

# Characters that render as nothing: format characters, fillers, blank patterns, spaces.
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067" \
    "\u2068\u2069\ufeff\u00ad\u3164\u115f\u1160\uffa0\u2800\u180e\ufe0f\u034f \t\u3000\u00a0"
FORMAT_CHARS = "".join(ch for ch in INVISIBLE if unicodedata.category(ch) == "Cf")
# Digits of other scripts: str.isdigit() says yes, only ASCII digits are numbers here.
FOREIGN_DIGITS = "\u1369\u0661\u06f1\u0967\u09e7\u0e51\u1041\u17e1\u00b2\u2460\U0001d7cf"

any_text = st.text(max_size=60)
long_digits = st.integers(min_value=21, max_value=6000).map(lambda n: "9" * n)
texts_with_digits = st.one_of(
    any_text,
    st.text(alphabet="0123456789０１２３４５６７８９.,，．-+ " + FOREIGN_DIGITS, max_size=25),
    long_digits,
)


def full_width(text: str) -> str:
    """What a Chinese input method types for ASCII text."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


# ---------------------------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------------------------


@given(any_text, st.integers(min_value=1, max_value=80), st.booleans())
@example("\u3164", 10, False)
@example("a\u202eb\u200d", 10, True)
def test_free_text_is_clean_bounded_and_visible(text: str, limit: int, multiline: bool) -> None:
    value = clean_text(text, max_length=limit, multiline=multiline)
    if isinstance(value, Invalid):
        assert value.reason in {"empty", "control_chars", "too_long"}
        return
    assert 0 < len(value) <= limit
    assert value == value.strip()
    assert any(is_visible(ch) for ch in value)
    assert not any(unicodedata.category(ch) == "Cf" for ch in value)
    allowed = "\n\t" if multiline else ""
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed
                   for ch in value)
    assert clean_text(value, max_length=limit, multiline=multiline) == value  # idempotent


@given(st.text(alphabet=INVISIBLE, max_size=30), st.booleans())
def test_only_invisible_characters_are_empty(text: str, multiline: bool) -> None:
    assert clean_text(text, max_length=100, multiline=multiline) in (
        Invalid("empty"), Invalid("control_chars"))  # a tab is a control in one line
    assert isinstance(clean_real_name(text), Invalid)


@given(any_text, st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(FORMAT_CHARS)),
                          max_size=5), st.booleans())
def test_format_characters_anywhere_change_nothing(
    text: str, inserts: list[tuple[int, str]], multiline: bool
) -> None:
    assume(not any(unicodedata.category(ch) == "Cf" for ch in text))
    spiked = text
    for position, char in inserts:
        at = position % (len(spiked) + 1)
        spiked = spiked[:at] + char + spiked[at:]
    assert clean_text(spiked, max_length=80, multiline=multiline) == clean_text(
        text, max_length=80, multiline=multiline)


@given(st.one_of(any_text, st.text(alphabet="王丽阿卜杜拉·买 -'.\u3164\u200bEmma", max_size=40)))
def test_real_names_are_letters_with_something_visible(text: str) -> None:
    value = clean_real_name(text)
    if isinstance(value, Invalid):
        assert value.reason in {"empty", "control_chars", "too_long", "name_chars"}
        return
    assert 0 < len(value) <= MAX_REAL_NAME
    assert "  " not in value and value == value.strip()
    assert all(ch.isalpha() or ch in " ·•.-'" for ch in value)
    assert any(ch.isalpha() and is_visible(ch) for ch in value)
    assert clean_real_name(value) == value


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

bounds = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(sorted)


@given(texts_with_digits, bounds, st.booleans())
@example("\u1369", [1, 31], True)
@example("9" * 5000, [0, 10], True)
def test_whole_numbers_are_ascii_and_in_bounds(text: str, limits: list[int], typed: bool) -> None:
    low, high = limits
    value = parse_whole(text, minimum=low, maximum=high, typed=typed)
    if isinstance(value, Invalid):
        assert value == Invalid("number_range", high, low)
        return
    assert low <= value <= high
    stripped = (fold_full_width(text) if typed else text).strip()
    assert stripped.isascii() and stripped.isdigit()


@given(bounds.flatmap(lambda b: st.tuples(st.just(b), st.integers(b[0], b[1]))), st.booleans())
def test_whole_numbers_round_trip(case: tuple[list[int], int], wide: bool) -> None:
    (low, high), number = case
    printed = full_width(str(number)) if wide else f" {number} "
    assert parse_whole(printed, minimum=low, maximum=high) == number
    if wide:  # a file cell must be plain ASCII
        assert isinstance(parse_whole(printed, minimum=low, maximum=high, typed=False), Invalid)


@given(texts_with_digits)
def test_whole_number_lists_are_sorted_unique_and_bounded(text: str) -> None:
    value = parse_whole_list(text, minimum=0, maximum=180, max_items=6)
    if isinstance(value, Invalid):
        assert value.reason in {"number_range", "number_list"}
        return
    assert 1 <= len(value) <= 6
    assert value == sorted(set(value), reverse=True)
    assert all(0 <= n <= 180 for n in value)


@given(st.lists(st.integers(0, 180), min_size=1, max_size=6),
       st.sampled_from([", ", " ", "、", "，", ";", " , "]))
def test_whole_number_lists_round_trip(numbers: list[int], separator: str) -> None:
    assert parse_whole_list(separator.join(map(str, numbers)), minimum=0, maximum=180,
                            max_items=6) == sorted(set(numbers), reverse=True)


@given(texts_with_digits, st.integers(0, 10**5), st.integers(0, 6))
@example("1" + "0" * 29, 9999, 4)
@example("NaN", 10, 2)
@example("1e3", 10**5, 2)
def test_decimals_are_ascii_and_in_bounds(text: str, maximum: int, places: int) -> None:
    value = parse_decimal(text, maximum=maximum, places=places)
    if isinstance(value, Invalid):
        assert value in (Invalid("number_format"), Invalid("number_too_large", maximum))
        return
    assert value.is_finite() and 0 <= value <= maximum
    assert -value.as_tuple().exponent <= max(places, 1)  # type: ignore[operator]


@given(st.decimals(min_value=0, max_value=9999, places=2, allow_nan=False,
                   allow_infinity=False), st.booleans())
def test_decimals_round_trip(number: Decimal, comma: bool) -> None:
    printed = format(number, "f")
    if comma:
        printed = printed.replace(".", ",")
    assert parse_decimal(printed, maximum=9999, places=2) == number


# ---------------------------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------------------------


@given(st.one_of(any_text, st.text(alphabet="0123456789-/.年月日 ０１２" + FOREIGN_DIGITS,
                                   max_size=20)))
def test_dates_never_raise(text: str) -> None:
    value = parse_date(text)
    if isinstance(value, Invalid):
        assert value.reason in {"date_format", "date_invalid"}
    else:
        assert isinstance(value, date)
    joined = clean_join_date(text, TODAY)
    if not isinstance(joined, Invalid):
        assert EARLIEST_JOIN_DATE <= joined <= TODAY
    term = clean_term_start(text, TODAY)
    if not isinstance(term, Invalid):
        assert TODAY.year - 20 <= term.year and term <= TODAY


@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(
    ["{y:04d}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}年{m}月{d}日", "{y}.{m}.{d}"]),
    st.booleans())
def test_dates_round_trip(day: date, pattern: str, wide: bool) -> None:
    printed = pattern.format(y=day.year, m=day.month, d=day.day)
    assert parse_date(full_width(printed) if wide else printed) == day


@given(st.one_of(any_text, st.text(alphabet="0123456789-: ０１２：" + FOREIGN_DIGITS,
                                   max_size=20)),
       st.sampled_from([SHANGHAI, BERLIN, UTC]))
@example("0001-01-01 00:00", SHANGHAI)
@example("9999-12-31 23:59", ZoneInfo("America/Los_Angeles"))
def test_meeting_times_are_future_and_bounded(text: str, tz: ZoneInfo) -> None:
    value = parse_when(text, tz, NOW)
    if isinstance(value, str):
        assert value in {"format", "invalid", "past", "too_far"}
        return
    assert value.tzinfo is UTC and NOW < value <= NOW + timedelta(days=731)


@given(st.datetimes(min_value=datetime(2026, 11, 24), max_value=datetime(2028, 11, 20)),
       st.sampled_from([SHANGHAI, BERLIN]), st.booleans())
def test_meeting_times_round_trip(wall: datetime, tz: ZoneInfo, wide: bool) -> None:
    wall = wall.replace(second=0, microsecond=0)
    local = wall.replace(tzinfo=tz)
    exists = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall
    printed = wall.strftime("%Y-%m-%d %H:%M")
    value = parse_when(full_width(printed) if wide else printed, tz, NOW)
    if exists:
        assert value == local.astimezone(UTC)
    else:
        assert value == "invalid"


# ---------------------------------------------------------------------------------------------
# Phones, links, invite codes
# ---------------------------------------------------------------------------------------------

PHONE_RE = re.compile(r"\+?[0-9]{7,15}")


@given(st.one_of(any_text, st.text(alphabet="+0123456789 -()１" + FOREIGN_DIGITS, max_size=25)))
def test_phones_are_7_to_15_ascii_digits(text: str) -> None:
    value = clean_phone(text)
    if isinstance(value, Invalid):
        assert value == Invalid("phone_format")
    else:
        assert PHONE_RE.fullmatch(value)


@given(st.text(alphabet="0123456789", min_size=7, max_size=15), st.booleans(),
       st.sampled_from(["", " ", "-"]))
def test_phones_round_trip(digits: str, plus: bool, separator: str) -> None:
    printed = ("+" if plus else "") + separator.join(
        digits[i:i + 4] for i in range(0, len(digits), 4))
    assert clean_phone(printed) == ("+" if plus else "") + digits


@given(st.one_of(any_text, st.text(alphabet="+0123456789", max_size=40)))
@example("+86138000012345678")
def test_masked_phones_hide_at_least_four_digits(phone: str) -> None:
    masked = mask_phone(phone)
    if not phone:
        assert masked == ""
        return
    digits = "".join(ch for ch in phone if ch.isdigit())
    shown = "".join(ch for ch in masked if ch.isdigit())
    assert "****" in masked
    assert len(shown) <= 9 and len(shown) <= max(0, len(digits) - 4)
    head, _, tail = masked.lstrip("+").partition("****")
    assert digits.startswith(head) and digits.endswith(tail)


@given(st.one_of(any_text, st.from_regex(r"https?://[a-z0-9.-]{0,20}(/[ -~]{0,30})?",
                                         fullmatch=True)))
def test_links_are_http_with_a_host(text: str) -> None:
    value = clean_link(text)
    if value is None:
        return
    assert len(value) <= MAX_URL and not any(ch.isspace() for ch in value)
    assert value.lower().startswith(("http://", "https://"))


@given(any_text)
def test_invite_codes(text: str) -> None:
    assert is_invite_code(text) == bool(re.fullmatch(r"[A-Za-z0-9_-]{6,32}", text))


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

length_texts = st.one_of(
    texts_with_digits,
    st.tuples(st.sampled_from(["", "-", "−"]), texts_with_digits,
              st.sampled_from(["", "h", " hours", "小时", "天", " days", "日", "学时"])).map(
        "".join),
)


@given(length_texts, st.sampled_from(list(tr.DurationUnit)), st.integers(1, 24))
@example("1" * 30, tr.DurationUnit.HOURS, 8)
@example("\u1369", tr.DurationUnit.DAYS, 8)
def test_training_lengths_are_bounded(text: str, unit: tr.DurationUnit, hpd: int) -> None:
    value = tr.parse_length(text, unit, hpd)
    if value is None or isinstance(value, tr.TrainingProblem):
        assert value in (None, tr.TrainingProblem.NOT_POSITIVE, tr.TrainingProblem.TOO_MANY_HOURS)
        return
    assert 0 <= value <= tr.MAX_TYPED_AMOUNT * 24 * 60
    amount = tr.parse_amount(text)
    assert amount is None or 0 <= amount <= tr.MAX_TYPED_AMOUNT


@given(st.decimals(min_value=0, max_value=tr.MAX_TYPED_AMOUNT, places=2, allow_nan=False,
                   allow_infinity=False), st.sampled_from(["", "h", "小时", "天", " days"]),
       st.integers(1, 24))
def test_training_lengths_round_trip(amount: Decimal, suffix: str, hpd: int) -> None:
    days = suffix in ("天", " days")
    unit = tr.DurationUnit.DAYS if days else tr.DurationUnit.HOURS
    assert tr.parse_length(format(amount, "f") + suffix, tr.DurationUnit.HOURS, hpd) == (
        tr.duration_minutes(amount, unit, hpd))


config_values = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                          st.floats(), texts_with_digits, st.lists(any_text, max_size=3))
config_keys = st.one_of(st.sampled_from(["leader", "member", " Leader ", "chief"]), any_text)


@given(st.dictionaries(config_keys, config_values, max_size=3))
def test_required_hours_config(values: dict[str, object]) -> None:
    try:
        result = tr.parse_required_hours(values)
    except ValueError:
        return
    assert set(result) == set(TrainingGroup)
    assert all(0 <= m <= tr.MAX_YEARLY_HOURS * 60 for m in result.values())


@given(st.dictionaries(config_keys, st.one_of(
    config_values, st.lists(st.sampled_from([*list(TrainingKind), "nap", " Lesson "]))),
    max_size=3))
def test_counted_kinds_config(values: dict[str, object]) -> None:
    try:
        result = tr.parse_counted_kinds(values)
    except ValueError:
        return
    assert set(result) == set(TrainingGroup)
    assert all(kinds and kinds <= set(TrainingKind) for kinds in result.values())


@given(any_text, st.one_of(st.none(), any_text))
@example("\u202eParty history", None)
@example("Party history", "\u3164")
def test_training_titles_and_organizers(title: str, organizer: str | None) -> None:
    draft = tr.TrainingDraft(title=title, kind=TrainingKind.OTHER, starts_on=TODAY,
                             ends_on=TODAY, minutes=60, organizer=organizer)
    problem = tr.validate_training(draft, today=TODAY)
    key = tr.normalize_title(title)
    assert len(key) <= tr.MAX_TITLE and tr.normalize_title(key) == key
    if problem is None:  # what is stored (trimmed) is clean text
        assert clean_text(title, max_length=tr.MAX_TITLE) == title.strip() and key
        if organizer is not None and organizer.strip():
            assert clean_text(organizer, max_length=tr.MAX_ORGANIZER) == organizer.strip()


@given(st.one_of(st.none(), any_text, st.sampled_from(sorted(tr.EVIDENCE_MIME_TYPES))),
       st.one_of(st.none(), st.integers()))
def test_evidence_checks(mime: str | None, size: int | None) -> None:
    problem = tr.validate_evidence(mime, size)
    if problem is None:
        assert mime is not None and tr.canonical_mime(mime) in tr.EVIDENCE_MIME_TYPES
        assert size is None or 0 < size <= tr.DEFAULT_EVIDENCE_MAX_BYTES


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------


@given(st.dictionaries(
    st.one_of(st.sampled_from([k.value for k in MeetingKind]), any_text),
    st.one_of(any_text, st.tuples(st.sampled_from(["month", "quarter", "year", "week"]),
                                  texts_with_digits).map(":".join)),
    max_size=3))
def test_meeting_requirements_config(values: dict[str, str]) -> None:
    try:
        result = parse_requirements(values)
    except ValueError:
        return
    assert set(result) == set(DEFAULT_REQUIREMENTS)
    assert all(r.minimum >= 0 for r in result.values())


@given(st.sampled_from(list(MeetingKind)), st.sampled_from(list(Period)), st.integers(0, 999_999))
def test_meeting_requirements_round_trip(kind: MeetingKind, period: Period, n: int) -> None:
    parsed = parse_requirements({kind.value: f"{period.value}:{n}"})[kind]
    assert (parsed.period, parsed.minimum) == (period, n)


@given(st.binary(min_size=1, max_size=20), st.one_of(
    any_text, st.text(alphabet="0123456789 ０１２" + FOREIGN_DIGITS, max_size=12)))
def test_typed_room_codes(secret: bytes, typed: str) -> None:
    at = NOW
    code = make_room_code(secret, at)
    assert code_is_valid(secret, code, at)
    assert code_is_valid(secret, " ".join(full_width(code)), at)
    if code_is_valid(secret, typed, at):
        folded = "".join(unicodedata.normalize("NFKC", typed).split())
        assert folded in {code, make_room_code(secret, at - timedelta(minutes=5))}


# ---------------------------------------------------------------------------------------------
# Notice text checks (the checks only: notices.py is tested for its splitting elsewhere)
# ---------------------------------------------------------------------------------------------


@given(any_text)
def test_notice_lengths(text: str) -> None:
    source = notices.html.escape(text, quote=False)
    assert notices.visible_text(source) == text
    assert notices.utf16_len(text) >= len(text)
    assert notices.visible_length(source) == notices.utf16_len(text.strip())
    assert notices.fits_caption(source) == (notices.visible_length(source) <= notices.MAX_CAPTION)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=400),
       st.integers(16, 120))
def test_notice_parts_fit_the_limit(text: str, limit: int) -> None:
    source = notices.html.escape(text, quote=False)
    parts = notices.split_html(source, limit)
    assert all(notices.visible_length(part) <= limit for part in parts)


# ---------------------------------------------------------------------------------------------
# Org import: generated CSV rows through the real reader and row parser
# ---------------------------------------------------------------------------------------------

HEADER = ["类型", "名称", "种类", "上级", "换届日期", "任期", "Telegram ID"]
cell = st.one_of(
    st.sampled_from(["", "党组织", "社会组织", "党小组", "党员", "party", "member", "党支部",
                     "党委", "书记", "社会团体", "Harbour", "2021-06-30", "3", "123456789",
                     "１２３", "١٢٣", str(2**52), "9" * 5000, "\u3164", "\u202eX"]),
    st.text(max_size=12).filter(lambda s: "\x00" not in s),
    texts_with_digits,
)
csv_rows = st.lists(st.lists(cell, min_size=0, max_size=9), min_size=1, max_size=6)
WORKDIR = Path(tempfile.mkdtemp(prefix="branchbot-hypothesis-"))
atexit.register(shutil.rmtree, WORKDIR, True)


@given(csv_rows)
@example([["党员", "", "党员", "Harbour", "", "", "9" * 5000]])
@example([["党员", "", "党员", "Harbour", "", "", "１２３"]])
def test_org_import_rows_never_raise_and_errors_name_row_and_column(
    rows: list[list[str]]
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path = WORKDIR / "rows.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        read = read_rows(path)
    except FileProblem:
        return
    report = org_import.ImportReport()
    header_row, header = read[0]
    index = check_header(report, header_row, header)
    assert index is not None, report.format()
    parser = RowParser(TODAY)
    for number, cells in read[1:]:
        parser.parse(number, {c: cells[p] if p < len(cells) else None
                                for c, p in index.items()})
        assert all(len(c) <= org_import.MAX_COLUMNS for _, c in read)
    numbers = {number for number, _ in read[1:]}
    for error in parser.errors:
        assert error.row in numbers
        assert error.column is None or error.column in org_import.COLUMNS
        assert len(error.message) < 600
    for member in parser.members:
        assert 0 < member.telegram_id < 2**52
    for party in parser.parties.values():
        assert party.term_years is None or 1 <= party.term_years <= 5
        assert clean_text(party.name, max_length=100) == party.name


# ---------------------------------------------------------------------------------------------
# Dates as people type them (rules.dates)
# ---------------------------------------------------------------------------------------------

TYPED_DATE_ALPHABET = "0123456789-/.:年月日号点半上下午晚明今后天周星期一二三四五六日下本 apm"
DATE_REASONS = {"empty", "date_format", "date_invalid", "time_invalid", "time_missing"}


@given(st.one_of(any_text, st.text(alphabet=TYPED_DATE_ALPHABET + FOREIGN_DIGITS, max_size=30)),
       st.sampled_from(["zh", "en"]), st.sampled_from(["future", "past"]))
def test_typed_dates_never_raise(text: str, language: str, prefer: str) -> None:
    day = read_day(text, TODAY, language=language, prefer=prefer)  # type: ignore[arg-type]
    assert isinstance(day, date) or day.reason in DATE_REASONS
    moment = read_moment(text, TODAY, language=language, prefer=prefer)  # type: ignore[arg-type]
    if isinstance(moment, Invalid):
        assert moment.reason in DATE_REASONS
    else:
        assert isinstance(moment.day, date) and moment.at.tzinfo is None
    at = read_time(text)
    assert not isinstance(at, Invalid) or at.reason in DATE_REASONS


@given(st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 12, 31)),
       st.sampled_from(["{y}年{m}月{d}日 {H}:{M:02d}", "{y}-{m:02d}-{d:02d} {H:02d}:{M:02d}",
                        "{y}/{m}/{d} {H}:{M:02d}"]),
       st.sampled_from(["zh", "en"]), st.booleans())
def test_typed_dates_with_a_year_round_trip(
    wall: datetime, pattern: str, language: str, wide: bool
) -> None:
    printed = pattern.format(y=wall.year, m=wall.month, d=wall.day, H=wall.hour, M=wall.minute)
    moment = read_moment(full_width(printed) if wide else printed, TODAY, language=language)
    assert not isinstance(moment, Invalid), printed
    assert (moment.day, moment.at) == (wall.date(), wall.time().replace(second=0, microsecond=0))
