"""Typed callback data (handlers/kit/buttons.py): packs, unpacks, refuses what it never made."""

from __future__ import annotations

import enum
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.kit.buttons import MAX_CALLBACK_INT, BadCallback, ButtonData, OrgId


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


class Sample(ButtonData, prefix="kt:sample"):
    org: OrgId
    period: Literal["m", "q"]
    colour: Colour
    page: int | None
    word: str
    flag: bool


def test_a_press_round_trips_through_its_wire_text() -> None:
    data = Sample(org=OrgId(7), period="q", colour=Colour.BLUE, page=None, word="x", flag=True)
    assert data.pack() == "kt:sample:7:q:blue::x:1"
    assert Sample.unpack(data.pack()) == data
    assert data.button("Go").callback_data == "kt:sample:7:q:blue::x:1"


@pytest.mark.parametrize("forged", [
    None, "", "kt:sample", "kt:samplex:7:q:blue::x:1", "kt:sample:7:q:blue::x",
    "kt:sample:7:q:blue::x:1:9", "kt:sample:-7:q:blue::x:1", "kt:sample:٧:q:blue::x:1",
    f"kt:sample:{MAX_CALLBACK_INT + 1}:q:blue::x:1", "kt:sample:7:y:blue::x:1",
    "kt:sample:7:q:green::x:1", "kt:sample:7:q:blue:1_0:x:1", "kt:sample:7:q:blue:::1",
    "kt:sample:7:q:blue::x:2", "lg:comp:7:q",
])
def test_data_our_buttons_never_produce_is_refused(forged: str | None) -> None:
    with pytest.raises(BadCallback):
        Sample.unpack(forged)


@given(st.text(max_size=80))
def test_any_text_either_unpacks_to_what_packs_back_or_is_refused(text: str) -> None:
    try:
        data = Sample.unpack(text)
    except BadCallback:
        return
    assert data.pack() == text


def test_a_family_that_could_exceed_64_bytes_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        class TooLong(ButtonData, prefix="kt:too_long_a_prefix_for_five_numbers"):
            a: int
            b: int
            c: int


def test_overlapping_prefixes_are_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        class Inner(ButtonData, prefix="kt:sample:inner"):
            a: int


def test_a_free_word_longer_than_telegram_allows_fails_loudly_when_packed() -> None:
    class Words(ButtonData, prefix="kt:words"):
        word: str

    with pytest.raises(ValueError, match="too long"):
        Words(word="w" * 64).pack()
    with pytest.raises(ValueError):
        Words(word="a:b").pack()
