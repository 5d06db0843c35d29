"""The emulator's internal records (chats, messages, stored files, callback queries), and
the error a Bot API method answers with, in Telegram's wording."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .public_types import CallbackAnswer, KeyboardButtonSpec

JSON = dict[str, Any]

# Descriptions more than one area answers with.
CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
NOT_A_MEMBER = "Forbidden: bot is not a member of the group chat"


class ApiError(Exception):
    """A Bot API error response; the description is Telegram's wording."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad(description: str) -> ApiError:
    return ApiError(400, description)


@dataclass
class Upload:
    data: bytes
    filename: str | None
    content_type: str | None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    mime_type: str
    file_name: str | None
    file_path: str
    kind: str
    width: int = 0
    height: int = 0

    def photo_size(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": len(self.data),
        }

    def document(self) -> JSON:
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        return data


@dataclass
class Message:
    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    kind: str
    text: str = ""
    entities: list[JSON] = field(default_factory=list)
    source: str | None = None
    parse_mode: str | None = None
    markup: JSON | None = None
    media: JSON = field(default_factory=dict)
    file_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    edit_date: int | None = None
    deleted: bool = False
    reply_to: int | None = None
    location: tuple[float, float] | None = None
    phone_number: str | None = None
    sender_id: int | None = None  # who wrote it in a group (private chats: the chat's user)


@dataclass
class ReplyKeyboard:
    rows: list[list[KeyboardButtonSpec]]
    one_time: bool = False
    resize: bool = False
    persistent: bool = False
    placeholder: str | None = None

    def has_text(self, text: str) -> bool:
        return any(button.text == text for row in self.rows for button in row)

    def has(self, predicate: Callable[[KeyboardButtonSpec], bool]) -> bool:
        return any(predicate(button) for row in self.rows for button in row)


@dataclass
class MarkupSpec:
    inline: JSON | None = None
    keyboard: ReplyKeyboard | None = None
    remove_keyboard: bool = False
    force_reply: bool = False
    placeholder: str | None = None


@dataclass
class Chat:
    user_id: int  # the chat id: the user's id, or a group's negative id
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: ReplyKeyboard | None = None
    force_reply: bool = False
    force_reply_placeholder: str | None = None
    version: int = 0
    callback_answers: list[tuple[int, CallbackAnswer]] = field(default_factory=list)
    chat_action: tuple[str, float] | None = None
    menu_button: JSON | None = None

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class CallbackQuery:
    query_id: str
    user_id: int
    message_id: int
    created: float
    answered: bool = False
    chat_id: int | None = None  # the group the pressed message is in (None: private chat)


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None
    delay: float = 0.0  # answer this late (past the client's timeout: a lost response)


def unix_now() -> int:
    return int(time.time())


def parse_chat_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())
    return None
