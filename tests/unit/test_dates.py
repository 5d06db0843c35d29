"""Dates and times as people type them (rules/dates.py): Chinese, English, relative words."""

from __future__ import annotations

from datetime import date, time

import pytest

from rules.dates import Moment, read_day, read_moment, read_time
from rules.validation import Invalid

FRIDAY = date(2026, 12, 4)  # a Friday


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("12月5日 14:30", "zh", Moment(date(2026, 12, 5), time(14, 30))),
        ("2026年12月5日下午2点半", "zh", Moment(date(2026, 12, 5), time(14, 30))),
        ("明天 9:00", "zh", Moment(date(2026, 12, 5), time(9, 0))),
        ("下周三 14:30", "zh", Moment(date(2026, 12, 9), time(14, 30))),
        ("5/12 14:30", "zh", Moment(date(2027, 5, 12), time(14, 30))),
        ("5/12 14:30", "en", Moment(date(2026, 12, 5), time(14, 30))),
        ("2026-12-05 14:30", "zh", Moment(date(2026, 12, 5), time(14, 30))),
        ("２０２６－１２－０５　１４：３０", "zh", Moment(date(2026, 12, 5), time(14, 30))),
        ("十二月五日 下午两点半", "zh", Moment(date(2026, 12, 5), time(14, 30))),
        ("后天上午10点", "zh", Moment(date(2026, 12, 6), time(10, 0))),
        ("星期一 上午9点15分", "zh", Moment(date(2026, 12, 7), time(9, 15))),
        ("周五 晚上7点", "zh", Moment(date(2026, 12, 4), time(19, 0))),
        ("本周四 15:00", "zh", Moment(date(2026, 12, 3), time(15, 0))),
        ("中午12点", "zh", Moment(date(2026, 12, 4), time(12, 0))),
        ("3点一刻 明天", "zh", Moment(date(2026, 12, 5), time(3, 15))),
        ("1月3日 14:00", "zh", Moment(date(2027, 1, 3), time(14, 0))),
        ("tomorrow 9am", "en", Moment(date(2026, 12, 5), time(9, 0))),
        ("next wednesday 2:30 pm", "en", Moment(date(2026, 12, 9), time(14, 30))),
        ("Dec 5 14:30", "en", Moment(date(2026, 12, 5), time(14, 30))),
        ("5 December 2026 14:30", "en", Moment(date(2026, 12, 5), time(14, 30))),
    ],
)
def test_moments_typed_as_people_type_them(text: str, language: str, expected: Moment) -> None:
    assert read_moment(text, FRIDAY, language=language) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("明天", "time_missing"),
        ("2月30日 14:00", "date_invalid"),
        ("明天 25:00", "time_invalid"),
        ("明天 9:75", "time_invalid"),
        ("13pm tomorrow", "time_invalid"),
        ("sometime soon", "date_format"),
        ("明天 9:00 还有别的", "date_format"),
        ("١٢/٥ 14:30", "date_format"),
        ("1" * 100, "date_format"),
    ],
)
def test_moments_refused_with_a_reason(text: str, reason: str) -> None:
    assert read_moment(text, FRIDAY) == Invalid(reason)


@pytest.mark.parametrize(
    ("text", "prefer", "expected"),
    [
        ("12月1日", "past", date(2026, 12, 1)),
        ("12月1日", "future", date(2027, 12, 1)),
        ("12月20日", "past", date(2025, 12, 20)),
        ("昨天", "past", date(2026, 12, 3)),
        ("上周三", "past", date(2026, 11, 25)),
        ("周三", "past", date(2026, 12, 2)),
        ("周三", "future", date(2026, 12, 9)),
        ("2024/7/1", "past", date(2024, 7, 1)),
        ("2024年7月1日", "past", date(2024, 7, 1)),
        ("20号", "past", date(2026, 11, 20)),
        ("20号", "future", date(2026, 12, 20)),
    ],
)
def test_days_with_the_year_left_out(text: str, prefer: str, expected: date) -> None:
    assert read_day(text, FRIDAY, prefer=prefer) == expected  # type: ignore[arg-type]


def test_a_day_with_a_time_is_not_a_day() -> None:
    assert read_day("明天 9:00", FRIDAY) == Invalid("date_format")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("14:30", time(14, 30)), ("下午2点半", time(14, 30)), ("9am", time(9, 0)),
     ("２０：００", time(20, 0)), ("明天 9:00", Invalid("date_format")),
     ("25:00", Invalid("time_invalid")), ("soon", Invalid("date_format")), ("", Invalid("empty"))],
)
def test_a_time_alone_for_a_day_already_pressed(text: str, expected: object) -> None:
    assert read_time(text) == expected
