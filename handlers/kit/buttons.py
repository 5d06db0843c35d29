"""Typed callback data: one class per button family, declared once.

A family is a frozen dataclass with a wire prefix; its fields say what a press carries:

    class ShowCompliance(ButtonData, prefix="lg:comp"):
        org: OrgId
        period: Literal["m", "q", "y", "lq", "ly"]

    ShowCompliance(org=7, period="q").button(t("This quarter"))   # callback_data "lg:comp:7:q"
    ShowCompliance.unpack("lg:comp:7:q")                            # ShowCompliance(org=7, ...)
    ShowCompliance.pattern()                                        # for CallbackQueryHandler

Packing checks Telegram's 64-byte limit; unpacking turns anything our buttons never produce
(forged, truncated, from an older version) into BadCallback, which the kit answers with
"this button is no longer valid". Field kinds: int (and NewTypes of int, the entity ids below),
str (no ':'), bool, str-valued Enum, Literal of strings, and any of them `| None` (packed empty).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, NewType, Self, dataclass_transform

from telegram import InlineKeyboardButton

from handlers.kit.i18n import plain_text

MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback_data
# Row ids are 32-bit integer columns: anything larger is forged (and would break PostgreSQL's
# parameter binding), so it never reaches a query.
MAX_CALLBACK_INT = 2**31 - 1
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
_PREFIX = re.compile(r"[a-z][a-z0-9_]*(:[a-z0-9_]+)*")

# What a button points at: the permission matrix test forges each with every persona's objects.
OrgId = NewType("OrgId", int)
PersonId = NewType("PersonId", int)
MeetingId = NewType("MeetingId", int)
TrainingId = NewType("TrainingId", int)
NoticeId = NewType("NoticeId", int)
DutyId = NewType("DutyId", int)
InviteId = NewType("InviteId", int)
MembershipId = NewType("MembershipId", int)
AttendanceId = NewType("AttendanceId", int)
ENTITY_IDS = (
    OrgId, PersonId, MeetingId, TrainingId, NoticeId, DutyId, InviteId, MembershipId, AttendanceId,
)


class BadCallback(Exception):
    """Callback data that our buttons never produce: forged, or from an old version."""


def cb(*parts: object) -> str:
    """Join callback data parts with ':'; fails loudly if Telegram would refuse it."""
    data = ":".join(str(p) for p in parts)
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def callback_int(raw: str, data: str | None = None) -> int:
    """A number from callback data: ASCII digits only (int() takes '١', ' 1', '1_0') and
    within a 32-bit id column, else BadCallback."""
    if not _ASCII_NUMBER.fullmatch(raw):
        raise BadCallback(data if data is not None else raw)
    value = int(raw)
    if value > MAX_CALLBACK_INT:
        raise BadCallback(data if data is not None else raw)
    return value


@dataclasses.dataclass(frozen=True)
class Codec:
    """How one field travels: to text, back (raising ValueError or BadCallback), and its
    longest text."""

    kind: Any
    pack: Callable[[Any], str]
    unpack: Callable[[str], Any]
    longest: int | None  # None: unbounded (a free string)


def _int_pack(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CALLBACK_INT:
        raise ValueError(f"not a callback number: {value!r}")
    return str(value)


def _word(value: Any) -> str:
    """A free word both ways: a part of split data has no ':', so only emptiness is refused."""
    if not isinstance(value, str) or ":" in value or not value:
        raise ValueError(f"not a callback word: {value!r}")
    return value


def _choice_codec(kind: Any, choices: dict[str, Any]) -> Codec:
    def pack(value: Any) -> str:
        for text, choice in choices.items():
            if value is choice or (value == choice and type(value) is type(choice)):
                return text
        raise ValueError(f"{value!r} is not one of {list(choices)}")

    def unpack(raw: str) -> Any:
        if raw not in choices:
            raise ValueError(raw)
        return choices[raw]

    return Codec(kind, pack, unpack, max(len(text.encode()) for text in choices))


def codec_of(kind: Any) -> Codec:
    """The codec of a field's annotation (resolved), or TypeError for an unsupported one."""
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        members = [k for k in typing.get_args(kind) if k is not type(None)]
        if len(members) != 1 or len(typing.get_args(kind)) != 2:
            raise TypeError(f"only `X | None` unions are supported, not {kind!r}")
        inner = codec_of(members[0])
        return Codec(kind, lambda value: "" if value is None else inner.pack(value),
                     lambda raw: None if raw == "" else inner.unpack(raw), inner.longest)
    if origin is typing.Literal:
        values = typing.get_args(kind)
        if not all(isinstance(v, str) and v and ":" not in v for v in values):
            raise TypeError(f"Literal choices must be words: {kind!r}")
        return _choice_codec(kind, {v: v for v in values})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _choice_codec(kind, {str(member.value): member for member in kind})
    if kind is bool:
        return _choice_codec(kind, {"1": True, "0": False})
    if kind is int or getattr(kind, "__supertype__", None) is int:
        return Codec(kind, _int_pack, callback_int, len(str(MAX_CALLBACK_INT)))
    if kind is str:
        return Codec(kind, _word, _word, None)
    raise TypeError(f"unsupported callback field type {kind!r}")


@dataclass_transform(frozen_default=True)
class ButtonData:
    """Base of every button family (see the module's docstring)."""

    prefix: ClassVar[str]
    _codecs: ClassVar[tuple[tuple[str, Codec], ...]]
    _families: ClassVar[dict[str, type[ButtonData]]] = {}

    def __init_subclass__(cls, *, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"bad button prefix {prefix!r}")
        for other in ButtonData._families:
            # One family's data must never match another's pattern.
            if other == prefix or other.startswith(prefix + ":") or prefix.startswith(other + ":"):
                raise ValueError(f"button prefix {prefix!r} overlaps {other!r}")
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls)
        cls.prefix = prefix
        cls._codecs = tuple((f.name, codec_of(hints[f.name])) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
        longest = [codec.longest for _, codec in cls._codecs]
        if None not in longest:
            size = len(prefix.encode()) + sum(n + 1 for n in longest if n is not None)
            if size > MAX_CALLBACK_BYTES:
                raise ValueError(f"{cls.__name__} can exceed {MAX_CALLBACK_BYTES} bytes ({size})")
        ButtonData._families[prefix] = cls

    def pack(self) -> str:
        return cb(self.prefix, *(codec.pack(getattr(self, name)) for name, codec in self._codecs))

    @classmethod
    def unpack(cls, data: str | None) -> Self:
        """The press's data as this family, else BadCallback."""
        if data is None or not (data == cls.prefix or data.startswith(cls.prefix + ":")):
            raise BadCallback(data)
        raw = data[len(cls.prefix) + 1 :].split(":") if data != cls.prefix else []
        if len(raw) != len(cls._codecs):
            raise BadCallback(data)
        values: dict[str, Any] = {}
        for (name, codec), text in zip(cls._codecs, raw, strict=True):
            try:
                values[name] = codec.unpack(text)
            except (ValueError, BadCallback):
                raise BadCallback(data) from None
        return cls(**values)

    @classmethod
    def pattern(cls) -> str:
        """The regex a CallbackQueryHandler routes this family's presses with."""
        return rf"^{re.escape(cls.prefix)}(:|$)"

    def button(self, text: str) -> InlineKeyboardButton:
        """A button carrying this data; its label is plain text (Telegram parses no HTML)."""
        return InlineKeyboardButton(plain_text(text), callback_data=self.pack())

    @classmethod
    def fields(cls) -> tuple[tuple[str, Any], ...]:
        """(name, annotation) of each field: what a forged press must fill in."""
        return tuple((name, codec.kind) for name, codec in cls._codecs)

    @staticmethod
    def families() -> dict[str, type[ButtonData]]:
        """Every family declared so far, by prefix."""
        return dict(ButtonData._families)
