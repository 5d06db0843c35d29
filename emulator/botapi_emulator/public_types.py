"""The emulator's public records: people, groups, buttons, and snapshots of messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

JSON = dict[str, Any]


@dataclass
class EmuUser:
    """A person known to the emulator; its private chat with the bot has id == user id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "zh-hans"
    started: bool = False
    blocked: bool = False

    def to_api(self) -> JSON:
        """The Telegram ``User`` object for this person."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_api(self) -> JSON:
        """The Telegram ``Chat`` object of the private chat with this person."""
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class InlineButton:
    """One inline keyboard button as the bot sent it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    kind: str = "callback_data"


@dataclass(frozen=True)
class KeyboardButtonSpec:
    """One reply keyboard button."""

    text: str
    request_contact: bool = False
    request_location: bool = False


class CallbackAnswer(NamedTuple):
    """What the bot answered to a button press (a toast, or an alert if show_alert)."""

    text: str | None
    show_alert: bool


class ApiCall(NamedTuple):
    """One Bot API request the bot made (params as received, uploads summarised)."""

    method: str
    params: dict[str, Any]


class Refusal(NamedTuple):
    """A Bot API request the emulator turned down as Telegram would (not an injected fault)."""

    method: str
    description: str
    params: dict[str, Any]


@dataclass
class ChatEntry:
    """A snapshot of one message of a chat, in either direction."""

    message_id: int
    from_bot: bool
    text: str
    html: str | None
    entities: list[JSON]
    kind: str
    file_id: str | None
    file_name: str | None
    inline_keyboard: list[list[InlineButton]]
    edited: bool
    deleted: bool
    date: int
    mime_type: str | None = None
    parse_mode: str | None = None
    source: str | None = None
    reply_to_message_id: int | None = None
    location: tuple[float, float] | None = None
    phone_number: str | None = None
    raw: JSON = field(default_factory=dict)

    @property
    def buttons(self) -> list[InlineButton]:
        """All inline buttons, row by row."""
        return [button for row in self.inline_keyboard for button in row]


class Keep(Enum):
    """set_rates' default: leave that limit as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


class JoinRequest(NamedTuple):
    """A person's pending request to join a group through an invite link."""

    invite_link: str
    asked_at: float  # time.monotonic() when they asked (the bot may write to them for a while)


@dataclass
class EmuGroup:
    """A group or supergroup chat; ``members`` are user ids, ``bots`` other bots in it."""

    id: int
    title: str
    supergroup: bool = False
    members: list[int] = field(default_factory=list)
    bots: dict[int, str] = field(default_factory=dict)  # other bots: id -> username
    bot_member: bool = True
    bot_is_admin: bool = False
    # The bot's administrator rights (e.g. "can_invite_users"), given by ``promote_bot``.
    bot_rights: set[str] = field(default_factory=set)
    invite_links: dict[str, JSON] = field(default_factory=dict)  # link -> ChatInviteLink
    join_requests: dict[int, JoinRequest] = field(default_factory=dict)  # pending, by user

    def chat_api(self) -> JSON:
        """The Telegram ``Chat`` object of this group."""
        return {"id": self.id, "type": "supergroup" if self.supergroup else "group",
                "title": self.title}
