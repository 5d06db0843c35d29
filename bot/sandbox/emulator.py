"""A local, strict emulator of the Telegram Bot API with a control API for playing users.

The real bot talks to it through python-telegram-bot's ``base_url``/``base_file_url``;
tests (and the browser chat page at ``/``) act as people: they type text, press inline
buttons, share contacts, send media, block the bot, and read what the bot sent.

Usage::

    async with BotApiEmulator() as emu:
        emu.add_user(1001, "Alice")
        app = ApplicationBuilder().token(emu.token).base_url(emu.base_url)
              .base_file_url(emu.base_file_url).build()
        ...
        emu.send_text(1001, "/start")
        reply = await emu.wait_for_bot_message(1001)
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import math
import mimetypes
import random
import re
import secrets
import ssl
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from . import webhooks
from .groups import NOT_A_MEMBER, EmuGroup, GroupChats
from .html_entities import (
    EntityParseError,
    command_entities,
    parse_formatted,
    trim_formatted,
    utf16_len,
)

__all__ = [
    "ApiCall",
    "BotApiEmulator",
    "CallbackAnswer",
    "ChatEntry",
    "EmuGroup",
    "EmuUser",
    "InlineButton",
    "KeyboardButtonSpec",
]

JSON = dict[str, Any]

STATIC_DIR = Path(__file__).with_name("static")

# Telegram's documented limits.
MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_CHARS = 200
MAX_COMMANDS = 100
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_INLINE_BUTTONS = 100
MAX_LONG_POLL_SECONDS = 50.0

# Methods that deliver content to a chat and therefore count against flood limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Update types Telegram delivers when allowed_updates is empty or was never set.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
CANT_PARSE_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
CANT_PARSE_BUTTON = "Bad Request: can't parse inline keyboard button: "

_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE_RE = re.compile(r"[a-z]{2}")

# --------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------


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


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP

# --------------------------------------------------------------------------------------
# Internal state
# --------------------------------------------------------------------------------------


class _ApiError(Exception):
    """A Bot API error response; the description is Telegram's wording."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def _bad(description: str) -> _ApiError:
    return _ApiError(400, description)


@dataclass
class _Upload:
    data: bytes
    filename: str | None
    content_type: str | None


@dataclass
class _StoredFile:
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
class _Message:
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
class _ReplyKeyboard:
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
class _MarkupSpec:
    inline: JSON | None = None
    keyboard: _ReplyKeyboard | None = None
    remove_keyboard: bool = False
    force_reply: bool = False
    placeholder: str | None = None


@dataclass
class _Chat:
    user_id: int  # the chat id: the user's id, or a group's negative id
    messages: dict[int, _Message] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: _ReplyKeyboard | None = None
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
class _CallbackQuery:
    query_id: str
    user_id: int
    message_id: int
    created: float
    answered: bool = False
    chat_id: int | None = None  # the group the pressed message is in (None: private chat)


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    delay: float = 0.0  # answer this late (past the client's timeout: a lost response)


class _SlidingWindow:
    """Telegram's flood limit counted strictly: at most ``limit`` sends in any ``window``
    seconds (a token bucket would let a full bucket and its refill through in one second)."""

    def __init__(self, rate: float, window: float = 1.0) -> None:
        self.window = window
        self.limit = max(1, math.floor(rate * window + 1e-9))
        self.times: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more send fits the window (0 if it fits now)."""
        while self.times and self.times[0] <= now - self.window:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.window - now

    def take(self, now: float) -> None:
        self.times.append(now)


class _Params:
    """Bot API parameters from JSON, form, multipart or query, with Telegram's coercions."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, _Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def present(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def str_opt(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def int_opt(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise _bad(f'Bad Request: field "{name}" must be of type Integer')

    def float_opt(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return float(value.strip())
        raise _bad(f'Bad Request: field "{name}" must be of type Float')

    def bool_(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return False

    def json_opt(self, name: str, error: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise _bad(error) from exc
        return value

    def file(self, name: str) -> _Upload | str | None:
        if name in self.uploads:
            return self.uploads[name]
        value = self.str_opt(name)
        if value is None or value == "":
            return None
        if value.startswith("attach://"):
            upload = self.uploads.get(value[len("attach://") :])
            if upload is None:
                raise _bad(WRONG_FILE_ID)
            return upload
        return value


Handler = Callable[[_Params], Coroutine[Any, Any, Any]]


def _now() -> int:
    return int(time.time())


def _parse_chat_id(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())
    return None


def _is_button_url(url: Any) -> bool:
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme.lower() == "tg" and bool(parts.netloc or parts.path)


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image; (0, 0) without Pillow; None if it isn't an image."""
    try:
        from PIL import Image
    except ImportError:  # Pillow is optional: without it sizes are unknown.
        return (0, 0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return int(width), int(height)
    except Exception:  # Any decoder failure means "not an image" for Telegram too.
        return None


def _inline_rows(markup: JSON | None) -> list[list[InlineButton]]:
    if not markup:
        return []
    rows: list[list[InlineButton]] = []
    for raw_row in markup.get("inline_keyboard", []):
        row: list[InlineButton] = []
        for raw in raw_row:
            kind = next((k for k in INLINE_BUTTON_ACTIONS if raw.get(k) is not None), "")
            row.append(
                InlineButton(
                    text=raw.get("text", ""),
                    callback_data=raw.get("callback_data"),
                    url=raw.get("url"),
                    kind=kind,
                )
            )
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------


class BotApiEmulator(GroupChats):
    """In-memory Telegram Bot API server plus a control API that plays the users."""

    def __init__(
        self,
        *,
        token: str = "123456:SANDBOX-TOKEN",
        bot_username: str = "branchbot_sandbox_bot",
        bot_first_name: str = "branchbot",
        global_rate_per_second: float | None = 30.0,
        per_chat_rate_per_second: float | None = None,
        allow_http_webhooks: bool = False,
        rate_window_seconds: float = 1.0,
        webhook_ports: Collection[int] | None = webhooks.TELEGRAM_WEBHOOK_PORTS,
        webhook_port_map: Mapping[int, int] | None = None,
    ) -> None:
        self.token = token
        # Real Telegram pushes only to https; tests point the webhook at http://127.0.0.1.
        self.allow_http_webhooks = allow_http_webhooks
        # Telegram's four webhook ports; None lets tests use any. The map forwards an allowed
        # port to the one a test's bot listens on (nothing here may bind 443).
        self.webhook_ports = frozenset(webhook_ports) if webhook_ports is not None else None
        self.webhook_port_map = dict(webhook_port_map or {})
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_id = _parse_chat_id(token.split(":", 1)[0])
        self.bot_id = bot_id if bot_id is not None else 123456
        # Seconds after which an unanswered callback query can no longer be answered.
        self.callback_query_timeout = 15.0
        # Reject a bare "&" in HTML (Telegram keeps it literally; see html_entities).
        self.strict_html_ampersand = True

        self._users: dict[int, EmuUser] = {}
        self._chats: dict[int, _Chat] = {}
        self._init_groups()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)

        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._delivered_up_to = 0
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0

        self._queries: dict[str, _CallbackQuery] = {}
        self._query_counter = itertools.count(1)
        self._answers: dict[int, list[CallbackAnswer]] = {}
        self._answer_seq = 0

        self._commands: dict[tuple[str, int | None, int | None, str], list[JSON]] = {}
        self._default_menu_button: JSON | None = None
        self._descriptions: dict[str, str] = {}
        self._short_descriptions: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._webhook_url = ""
        self._webhook_params: JSON = {}
        self._webhook_task: asyncio.Task[None] | None = None
        self.webhook_attempts = 0  # POSTs made to the webhook, failed ones included
        self.webhook_certificate: bytes | None = None  # uploaded with setWebhook
        self._webhook_tls: ssl.SSLContext | None = None  # trusts exactly that certificate
        self._webhook_error: tuple[int, str] | None = None  # (unix time, Telegram's wording)

        self._global_rate = global_rate_per_second
        self._per_chat_rate = per_chat_rate_per_second
        # Limits are rate × window sends in any window of this many seconds.
        self._rate_window = rate_window_seconds
        self._global_bucket: _SlidingWindow | None = None
        self._chat_buckets: dict[int, _SlidingWindow] = {}
        self._reset_buckets()
        # Sends answered with a message: (monotonic time, chat id, message id), in order.
        self.answered_sends: list[tuple[float, int, int]] = []
        self.flood_refusals = 0  # 429s the limits gave (injected ones not counted)

        self._failures: dict[str, deque[_Failure]] = {}
        self._random_failures: dict[
            str, list[tuple[float, _Failure, frozenset[int] | None]]
        ] = {}
        self._fault_random = random.Random()
        self._api_calls: list[ApiCall] = []
        self._refusals: list[Refusal] = []
        # Flood accounting: sends that came while a 429's retry_after ran (after a grace for
        # requests already on the wire), and new messages closer than chat_interval in a chat.
        self.flood_grace = 0.5
        self.flood_violations = 0
        self._flood_since = self._flood_until = 0.0
        self.chat_interval = 1.0
        self.chat_interval_violations: Counter[int] = Counter()
        self._last_bot_message_at: dict[int, float] = {}

        self._version = 0
        self._change_event: asyncio.Event | None = None
        self._closing = False

        self._runner: web.AppRunner | None = None
        self._host: str | None = None
        self._port: int | None = None

        self._methods: dict[str, tuple[str, Handler]] = {}
        for name, handler in self._method_table().items():
            self._methods[name.lower()] = (name, handler)

    # ----------------------------------------------------------------------------------
    # Server lifecycle
    # ----------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 = any free port; the real port is kept for the URLs)."""
        if self._runner is not None:
            # Starting again moves the server to the new address (state is kept).
            runner, self._runner = self._runner, None
            await runner.cleanup()
        self._closing = False
        # handler_cancellation stops abandoned long-polls from swallowing updates.
        runner = web.AppRunner(
            self.make_app(), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        address = runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._closing = True
        self._notify()
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _origin(self) -> str:
        if self._host is None or self._port is None:
            raise RuntimeError("the emulator is not serving: call start() first")
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        """The port actually listened on."""
        if self._port is None:
            raise RuntimeError("the emulator is not serving: call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: the token is appended by PTB."""
        return f"{self._origin()}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``."""
        return f"{self._origin()}/file/bot"

    @property
    def page_url(self) -> str:
        """The browser chat page."""
        return f"{self._origin()}/"

    def make_app(self) -> web.Application:
        """An aiohttp application serving the Bot API, the control API and the page."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file_download)
        app.router.add_get("/", self._handle_page)
        app.router.add_static("/_emu/static/", STATIC_DIR)
        app.router.add_get("/_emu/files/{file_id}", self._handle_emu_file)
        app.router.add_get("/_emu/api/users", self._handle_users_list)
        app.router.add_post("/_emu/api/users", self._handle_users_add)
        app.router.add_post("/_emu/api/users/{user_id}/text", self._handle_user_text)
        app.router.add_post("/_emu/api/users/{user_id}/press", self._handle_user_press)
        app.router.add_post("/_emu/api/users/{user_id}/contact", self._handle_user_contact)
        app.router.add_post("/_emu/api/users/{user_id}/location", self._handle_user_location)
        app.router.add_post("/_emu/api/users/{user_id}/photo", self._handle_user_photo)
        app.router.add_post("/_emu/api/users/{user_id}/document", self._handle_user_document)
        app.router.add_post("/_emu/api/users/{user_id}/block", self._handle_user_block)
        app.router.add_post("/_emu/api/users/{user_id}/unblock", self._handle_user_unblock)
        app.router.add_get("/_emu/api/users/{user_id}/commands", self._handle_user_commands)
        app.router.add_get("/_emu/api/chats/{chat_id}/messages", self._handle_chat_messages)
        app.router.add_post("/_emu/api/burst", self._handle_burst)
        return app

    # ----------------------------------------------------------------------------------
    # Change notification
    # ----------------------------------------------------------------------------------

    def _event(self) -> asyncio.Event:
        # Created lazily so the event binds to whichever loop actually waits on it.
        if self._change_event is None:
            self._change_event = asyncio.Event()
        return self._change_event

    def _notify(self) -> None:
        event, self._change_event = self._change_event, None
        if event is not None:
            event.set()

    def _bump(self, chat: _Chat | None = None) -> None:
        self._version += 1
        if chat is not None:
            chat.version = self._version
        self._notify()

    async def _wait_change(self, seconds: float) -> None:
        if seconds <= 0:
            return
        event = self._event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    # The timeout parameters of these waits are the documented test API, hence the noqa.
    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking on every state change."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            await self._wait_change(remaining)

    @property
    def version(self) -> int:
        """Increases on every observable change (messages, users, keyboards, answers)."""
        return self._version

    # ----------------------------------------------------------------------------------
    # Configuration for tests
    # ----------------------------------------------------------------------------------

    def _reset_buckets(self) -> None:
        self._global_bucket = (
            _SlidingWindow(self._global_rate, self._rate_window) if self._global_rate else None
        )
        self._chat_buckets = {}

    def set_rates(
        self,
        *,
        global_: float | _Keep | None = KEEP,
        per_chat: float | _Keep | None = KEEP,
        window: float | None = None,
    ) -> None:
        """Change flood limits (None disables one; rate × window sends in any `window`
        seconds); counting starts afresh."""
        if window is not None:
            self._rate_window = window
        if not isinstance(global_, _Keep):
            self._global_rate = global_
        if not isinstance(per_chat, _Keep):
            self._per_chat_rate = per_chat
        self._reset_buckets()

    def inject_failure(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this status/description,
        answered after ``delay`` seconds (longer than the client waits: a timeout)."""
        if status == 429:
            retry_after = max(1, retry_after or 1)
            if description == "Internal Server Error":
                description = f"Too Many Requests: retry after {retry_after}"
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(_Failure(status, description, retry_after, delay))

    def inject_random_failures(
        self,
        method: str,
        probability: float,
        status: int = 500,
        description: str = "Internal Server Error",
        delay: float = 0.0,
        seed: int | None = None,
        chat_ids: Collection[int] | None = None,
    ) -> None:
        """From now on, each call of ``method`` (to one of ``chat_ids``, if given) fails like
        this with ``probability``; several kinds may be set, each call draws once, and queued
        failures from inject_failure go first."""
        randoms = self._random_failures.setdefault(method.lower(), [])
        chats = None if chat_ids is None else frozenset(chat_ids)
        randoms.append((probability, _Failure(status, description, None, delay), chats))
        if seed is not None:
            self._fault_random.seed(seed)

    def _note_flood(self, retry_after: int | None) -> None:
        """A 429 went out: sends are expected to pause for retry_after."""
        now = time.monotonic()
        self._flood_since = now
        self._flood_until = max(self._flood_until, now + (retry_after or 0))

    # ----------------------------------------------------------------------------------
    # Control API: people
    # ----------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> EmuUser:
        """Create a person (or update an existing one's names and language)."""
        user = self._users.get(user_id)
        if user is None:
            user = EmuUser(user_id, first_name, last_name, username, language_code)
            self._users[user_id] = user
            self._chats[user_id] = _Chat(user_id)
        else:
            user.first_name = first_name
            user.last_name = last_name
            user.username = username
            user.language_code = language_code
        self._bump(self._chats[user_id])
        return user

    def user(self, user_id: int) -> EmuUser:
        """The person with this id (LookupError if unknown)."""
        return self._require_user(user_id)

    @property
    def users(self) -> list[EmuUser]:
        """All people, in the order they were added."""
        return list(self._users.values())

    def _require_user(self, user_id: int) -> EmuUser:
        user = self._users.get(user_id)
        if user is None:
            raise LookupError(f"unknown user {user_id}; call add_user() first")
        return user

    def _user_message(self, user: EmuUser, kind: str, **values: Any) -> _Message:
        chat = self._chats[user.id]
        # Any message from the person means they pressed Start at some point.
        user.started = True
        chat.force_reply = False
        return self._new_message(chat, None, kind, **values)

    def _new_message(
        self, chat: _Chat, sender_id: int | None, kind: str, **values: Any
    ) -> _Message:
        msg = _Message(
            chat_id=chat.user_id,
            message_id=chat.take_message_id(),
            from_bot=False,
            date=_now(),
            kind=kind,
            sender_id=sender_id,
            **values,
        )
        chat.messages[msg.message_id] = msg
        return msg

    def _new_chat(self, chat_id: int) -> _Chat:
        chat = self._chats[chat_id] = _Chat(chat_id)
        return chat

    def _hide_one_time_keyboard(
        self, chat: _Chat, predicate: Callable[[KeyboardButtonSpec], bool]
    ) -> None:
        keyboard = chat.reply_keyboard
        if keyboard is not None and keyboard.one_time and keyboard.has(predicate):
            chat.reply_keyboard = None

    def _enqueue(self, body: JSON, chat: _Chat | None = None) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        self._bump(chat)
        return update_id

    def _message_update(self, msg: _Message) -> int:
        return self._enqueue({"message": self._message_json(msg)}, self._chats[msg.chat_id])

    def send_text(self, user_id: int, text: str) -> int:
        """The person types ``text``; returns the update_id."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        msg = self._user_message(user, "text", text=text, entities=command_entities(text))
        self._hide_one_time_keyboard(chat, lambda button: button.text == text)
        return self._message_update(msg)

    def send_html(self, user_id: int, source: str) -> int:
        """The person types formatted text (bold, links...), given as Telegram HTML."""
        user = self._require_user(user_id)
        text, entities = parse_formatted(source, "HTML", strict_ampersand=True)
        msg = self._user_message(user, "text", text=text, entities=entities)
        return self._message_update(msg)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        button_text_or_data: str,
        *,
        match: Literal["auto", "text", "data"] = "auto",
    ) -> int:
        """Press an inline button that exists on the bot's message; returns the update_id.

        Matches the exact button text first, then callback_data (``match`` narrows this).
        """
        self._require_user(user_id)
        chat = self._chats[user_id]
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted or not msg.from_bot:
            raise LookupError(f"no bot message {message_id} in chat {user_id}")
        buttons = [button for row in _inline_rows(msg.markup) for button in row]
        chosen: InlineButton | None = None
        if match in ("auto", "text"):
            chosen = next((b for b in buttons if b.text == button_text_or_data), None)
        if chosen is None and match in ("auto", "data"):
            chosen = next((b for b in buttons if b.callback_data == button_text_or_data), None)
        if chosen is None:
            available = ", ".join(
                f"{b.text!r}" + (f" (data={b.callback_data!r})" if b.callback_data else "")
                for b in buttons
            )
            raise LookupError(
                f"message {message_id} in chat {user_id} has no inline button "
                f"{button_text_or_data!r}; available: [{available}]"
            )
        if chosen.callback_data is None:
            raise LookupError(
                f"button {chosen.text!r} is a {chosen.kind} button, not a callback button"
            )
        return self.send_callback(user_id, message_id, chosen.callback_data)

    def send_callback(self, user_id: int, message_id: int, data: str) -> int:
        """Send arbitrary (possibly forged) callback data for a message, without checks."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        query_id = self._new_callback_query(user_id, user_id, message_id)
        msg = chat.messages.get(message_id)
        message: JSON
        if msg is not None and not msg.deleted:
            message = self._message_json(msg)
        else:
            # Telegram sends an InaccessibleMessage (date 0) for messages it can't show.
            message = {"chat": user.chat_api(), "message_id": message_id, "date": 0}
        query: JSON = {
            "id": query_id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": str(user_id * 7919 + self.bot_id),
            "data": data,
        }
        return self._enqueue({"callback_query": query}, chat)

    def _new_callback_query(self, user_id: int, chat_id: int, message_id: int) -> str:
        query_id = f"{self.bot_id}{next(self._query_counter):09d}"
        self._queries[query_id] = _CallbackQuery(
            query_id, user_id, message_id, time.monotonic(),
            chat_id=chat_id if chat_id != user_id else None,
        )
        return query_id

    def share_contact(
        self, user_id: int, phone_number: str, *, contact_user_id: int | None = None
    ) -> int:
        """Share a phone number as a request_contact keyboard button does."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": user.first_name,
            "user_id": contact_user_id if contact_user_id is not None else user_id,
        }
        if user.last_name:
            contact["last_name"] = user.last_name
        msg = self._user_message(
            user, "contact", media={"contact": contact}, phone_number=phone_number
        )
        self._hide_one_time_keyboard(chat, lambda button: button.request_contact)
        return self._message_update(msg)

    def send_location(self, user_id: int, latitude: float, longitude: float) -> int:
        """Share a location."""
        user = self._require_user(user_id)
        chat = self._chats[user_id]
        msg = self._user_message(
            user,
            "location",
            media={"location": {"latitude": latitude, "longitude": longitude}},
            location=(latitude, longitude),
        )
        self._hide_one_time_keyboard(chat, lambda button: button.request_location)
        return self._message_update(msg)

    def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> int:
        """Send a photo (any bytes; sizes are read with Pillow when it is an image)."""
        user = self._require_user(user_id)
        size = _image_size(data) or (0, 0)
        stored = self._store_file(data, "photo", "image/jpeg", None, size)
        msg = self._user_message(
            user,
            "photo",
            text=caption or "",
            media={"photo": [stored.photo_size()]},
            file_id=stored.file_id,
            mime_type=stored.mime_type,
        )
        return self._message_update(msg)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
    ) -> int:
        """Send a file as a document."""
        user = self._require_user(user_id)
        stored = self._store_file(data, "document", mime_type, file_name, None)
        msg = self._user_message(
            user,
            "document",
            text=caption or "",
            media={"document": stored.document()},
            file_id=stored.file_id,
            file_name=file_name,
            mime_type=mime_type,
        )
        return self._message_update(msg)

    def block(self, user_id: int) -> int | None:
        """The person blocks the bot (my_chat_member: kicked); None if already blocked."""
        return self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> int | None:
        """The person unblocks the bot (my_chat_member: member); None if not blocked."""
        return self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, blocked: bool) -> int | None:
        user = self._require_user(user_id)
        if user.blocked == blocked:
            return None
        user.blocked = blocked
        bot_user = self._bot_user()
        member: JSON = {"user": bot_user, "status": "member"}
        kicked: JSON = {"user": bot_user, "status": "kicked", "until_date": 0}
        body: JSON = {
            "chat": user.chat_api(),
            "from": user.to_api(),
            "date": _now(),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        return self._enqueue({"my_chat_member": body}, self._chats[user_id])

    # ----------------------------------------------------------------------------------
    # Control API: reading
    # ----------------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"unknown chat {chat_id}; call add_user() first")
        return chat

    def _entry(self, msg: _Message) -> ChatEntry:
        return ChatEntry(
            message_id=msg.message_id,
            from_bot=msg.from_bot,
            text=msg.text,
            html=msg.source if (msg.parse_mode or "").lower() == "html" else None,
            entities=[dict(e) for e in msg.entities],
            kind=msg.kind,
            file_id=msg.file_id,
            file_name=msg.file_name,
            inline_keyboard=_inline_rows(msg.markup),
            edited=msg.edit_date is not None,
            deleted=msg.deleted,
            date=msg.date,
            mime_type=msg.mime_type,
            parse_mode=msg.parse_mode,
            source=msg.source,
            reply_to_message_id=msg.reply_to,
            location=msg.location,
            phone_number=msg.phone_number,
            raw=self._message_json(msg),
        )

    def messages(self, chat_id: int) -> list[ChatEntry]:
        """All messages of the chat in order, both directions (deleted ones flagged)."""
        return [self._entry(msg) for msg in self._chat(chat_id).messages.values()]

    def bot_messages(self, chat_id: int) -> list[ChatEntry]:
        """Messages the bot sent to the chat, in order (deleted ones flagged)."""
        return [e for e in self.messages(chat_id) if e.from_bot]

    def last_bot_message(self, chat_id: int) -> ChatEntry | None:
        """The bot's latest message that is not deleted."""
        for msg in reversed(self._chat(chat_id).messages.values()):
            if msg.from_bot and not msg.deleted:
                return self._entry(msg)
        return None

    def message(self, chat_id: int, message_id: int) -> ChatEntry:
        """One message by id (LookupError if it never existed)."""
        msg = self._chat(chat_id).messages.get(message_id)
        if msg is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        return self._entry(msg)

    def reply_keyboard(self, chat_id: int) -> list[list[KeyboardButtonSpec]] | None:
        """The reply keyboard the person currently sees, or None."""
        keyboard = self._chat(chat_id).reply_keyboard
        return [list(row) for row in keyboard.rows] if keyboard else None

    def callback_answers(self, user_id: int) -> list[CallbackAnswer]:
        """Answers the bot gave to this person's button presses, in order."""
        return list(self._answers.get(user_id, []))

    def chat_action(self, chat_id: int) -> str | None:
        """The last sendChatAction action for the chat (e.g. "typing"), if any."""
        action = self._chat(chat_id).chat_action
        return action[0] if action else None

    @property
    def api_calls(self) -> list[ApiCall]:
        """Every Bot API request so far as (method, params), canonical method names."""
        return list(self._api_calls)

    @property
    def refusals(self) -> list[Refusal]:
        """Every request refused by the API's own checks (e.g. "can't parse entities")."""
        return list(self._refusals)

    def call_counts(self) -> Counter[str]:
        """How often each Bot API method was called (canonical names)."""
        return Counter(call.method for call in self._api_calls)

    def call_count(self, method: str) -> int:
        """How often one method was called (name is case-insensitive)."""
        entry = self._methods.get(method.lower())
        return self.call_counts()[entry[0] if entry else method]

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file (uploaded by the bot or a person)."""
        stored = self._files.get(file_id)
        if stored is None:
            raise LookupError(f"unknown file_id {file_id!r}")
        return stored.data

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook ("" if none)."""
        return self._webhook_url

    # ----------------------------------------------------------------------------------
    # Synchronisation
    # ----------------------------------------------------------------------------------

    def pending_updates(self) -> int:
        """Updates queued that getUpdates has not yet handed to the bot."""
        return sum(1 for u in self._updates if u["update_id"] > self._delivered_up_to)

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until getUpdates has returned every queued update."""
        try:
            await self.wait_until(lambda: self.pending_updates() == 0, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{self.pending_updates()} update(s) not fetched by the bot within {timeout}s"
            ) from None

    async def wait_for_bot_message(
        self,
        chat_id: int,
        after_message_id: int = 0,
        timeout: float = 10.0,  # noqa: ASYNC109
        containing: str = "",
    ) -> ChatEntry:
        """The first bot message in the chat with an id above ``after_message_id`` (and, when
        given, whose text contains ``containing``: a reminder may arrive first)."""
        chat = self._chat(chat_id)

        def find() -> _Message | None:
            for msg in chat.messages.values():
                if (msg.from_bot and not msg.deleted and msg.message_id > after_message_id
                        and containing in msg.text):
                    return msg
            return None

        try:
            await self.wait_until(lambda: find() is not None, timeout)
        except TimeoutError:
            seen = [
                f"#{m.message_id} {'bot' if m.from_bot else 'user'}: {m.text[:60]!r}"
                for m in chat.messages.values()
            ]
            raise TimeoutError(
                f"no bot message in chat {chat_id} after #{after_message_id} within "
                f"{timeout}s; chat so far: {seen}"
            ) from None
        found = find()
        assert found is not None
        return self._entry(found)

    # ----------------------------------------------------------------------------------
    # Commands
    # ----------------------------------------------------------------------------------

    def commands_for(self, user_id: int, language_code: str | None = None) -> list[JSON]:
        """The command menu a person sees, resolved in Telegram's scope order.

        ``language_code`` defaults to the person's own; "" means "no language".
        """
        if language_code is None:
            user = self._users.get(user_id)
            language_code = user.language_code if user else ""
        language = (language_code or "").split("-")[0].lower()
        scopes: list[tuple[str, int | None, int | None]] = [
            ("chat_member", user_id, user_id),
            ("chat", user_id, None),
            ("all_private_chats", None, None),
            ("default", None, None),
        ]
        for scope in scopes:
            for lang in [language, ""] if language else [""]:
                commands = self._commands.get((*scope, lang))
                if commands:
                    return [dict(c) for c in commands]
        return []

    # ----------------------------------------------------------------------------------
    # Files
    # ----------------------------------------------------------------------------------

    def _store_file(
        self,
        data: bytes,
        kind: str,
        mime_type: str,
        file_name: str | None,
        size: tuple[int, int] | None,
    ) -> _StoredFile:
        number = next(self._file_counter)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        file_id = f"{prefix}EMU{number}_{secrets.token_urlsafe(12)}"
        unique = f"AQAD{number}{secrets.token_hex(4)}"
        extension = mimetypes.guess_extension(mime_type) or ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        folder = "photos" if kind == "photo" else "documents"
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            data=data,
            mime_type=mime_type,
            file_name=file_name,
            file_path=f"{folder}/file_{number}{extension}",
            kind=kind,
            width=size[0] if size else 0,
            height=size[1] if size else 0,
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ----------------------------------------------------------------------------------
    # Bot API plumbing
    # ----------------------------------------------------------------------------------

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(self, msg: _Message, *, with_reply: bool = True) -> JSON:
        group = self._groups.get(msg.chat_id)
        if group is None:
            user = self._users[msg.chat_id]
            sender, chat = user.to_api(), user.chat_api()
        else:
            sender, chat = self._group_sender_api(group, msg.sender_id), group.chat_api()
        data: JSON = {
            "message_id": msg.message_id,
            "from": self._bot_user() if msg.from_bot else sender,
            "chat": chat,
            "date": msg.date,
        }
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if with_reply and msg.reply_to is not None:
            replied = self._chats[msg.chat_id].messages.get(msg.reply_to)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self._message_json(replied, with_reply=False)
        if msg.kind == "service":
            data.update(json.loads(json.dumps(msg.media)))
        elif msg.kind == "text":
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = [dict(e) for e in msg.entities]
        else:
            data.update(json.loads(json.dumps(msg.media)))
            if msg.text:
                data["caption"] = msg.text
                if msg.entities:
                    data["caption_entities"] = [dict(e) for e in msg.entities]
        if msg.markup is not None:
            data["reply_markup"] = json.loads(json.dumps(msg.markup))
        return data

    @staticmethod
    def _error_response(error: _ApiError) -> web.Response:
        body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, _Upload]]:
        values: JSON = dict(request.query)
        uploads: dict[str, _Upload] = {}
        if request.method != "POST" or not request.body_exists:
            return values, uploads
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise _bad("Bad Request: can't parse JSON encoded request") from exc
            if body is not None:
                if not isinstance(body, dict):
                    raise _bad("Bad Request: can't parse JSON encoded request")
                values.update(body)
            return values, uploads
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads[name] = _Upload(value.file.read(), value.filename, value.content_type)
            else:
                values[name] = value
        return values, uploads

    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(_ApiError(401, "Unauthorized"))
        requested = request.match_info["method"]
        entry = self._methods.get(requested.lower())
        try:
            values, uploads = await self._read_params(request)
        except _ApiError as error:
            return self._error_response(error)
        shown: JSON = dict(values)
        for name, upload in uploads.items():
            shown[name] = f"<upload {upload.filename or name}, {len(upload.data)} bytes>"
        self._api_calls.append(ApiCall(entry[0] if entry else requested, shown))
        if entry is None:
            return self._error_response(_ApiError(404, "Not Found"))
        name, handler = entry
        if name.startswith("send") and name != "sendChatAction":
            now = time.monotonic()
            if self._flood_since + self.flood_grace < now < self._flood_until:
                self.flood_violations += 1
        queue = self._failures.get(name.lower())
        failure: _Failure | None = queue.popleft() if queue else None
        if failure is None and name.lower() in self._random_failures:
            draw = self._fault_random.random()
            target = _parse_chat_id(values.get("chat_id"))
            for probability, kind, chats in self._random_failures[name.lower()]:
                if chats is not None and target not in chats:
                    continue
                if draw < probability:
                    failure = kind
                    break
                draw -= probability
        if failure is not None:
            if failure.status == 429:
                self._note_flood(failure.retry_after)
            if failure.delay:
                await asyncio.sleep(failure.delay)
            return self._error_response(
                _ApiError(failure.status, failure.description, failure.retry_after)
            )
        try:
            result = await handler(_Params(values, uploads))
        except _ApiError as error:
            self._refusals.append(Refusal(name, error.description, shown))
            return self._error_response(error)
        if name in SENDING_METHODS and name.startswith("send") and isinstance(result, dict):
            chat_id = _parse_chat_id(values.get("chat_id"))
            if chat_id is not None:
                self.answered_sends.append(
                    (time.monotonic(), chat_id, int(result.get("message_id", 0)))
                )
        return web.json_response({"ok": True, "result": result})

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_response(_ApiError(401, "Unauthorized"))
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return self._error_response(_ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _method_table(self) -> dict[str, Handler]:
        return {
            "getMe": self._m_get_me,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "close": self._m_true,
            "logOut": self._m_true,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "editMessageCaption": self._m_edit_message_caption,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
            "answerCallbackQuery": self._m_answer_callback_query,
            "sendPhoto": self._m_send_photo,
            "sendDocument": self._m_send_document,
            "sendChatAction": self._m_send_chat_action,
            "sendLocation": self._m_send_location,
            "setMyCommands": self._m_set_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "setChatMenuButton": self._m_set_chat_menu_button,
            "getChatMenuButton": self._m_get_chat_menu_button,
            "setMyDescription": self._m_set_my_description,
            "getMyDescription": self._m_get_my_description,
            "setMyShortDescription": self._m_set_my_short_description,
            "getMyShortDescription": self._m_get_my_short_description,
            "setMyName": self._m_set_my_name,
            "getMyName": self._m_get_my_name,
            "getChat": self._m_get_chat,
            "getFile": self._m_get_file,
        }

    # ----------------------------------------------------------------------------------
    # Validation helpers
    # ----------------------------------------------------------------------------------

    def _known_chat(self, p: _Params) -> tuple[_Chat, EmuUser | None]:
        """The chat addressed by chat_id and its user (None for a group the bot is in)."""
        raw = p.raw("chat_id")
        if raw is None or raw == "":
            raise _bad("Bad Request: chat_id is empty")
        chat_id = _parse_chat_id(raw)
        group = self._groups.get(chat_id) if chat_id is not None else None
        if group is not None:
            if not group.bot_member:
                raise _ApiError(403, NOT_A_MEMBER)
            return self._chats[group.id], None
        user = self._users.get(chat_id) if chat_id is not None else None
        if user is None or chat_id is None:
            raise _bad(CHAT_NOT_FOUND)
        return self._chats[chat_id], user

    def _sendable_chat(self, p: _Params) -> tuple[_Chat, EmuUser | None]:
        chat, user = self._known_chat(p)
        if user is not None and user.blocked:
            raise _ApiError(403, BLOCKED)
        if user is not None and not user.started:
            raise _ApiError(403, CANT_INITIATE)
        return chat, user

    def _check_flood(self, chat_id: int) -> None:
        now = time.monotonic()
        wait = 0.0
        chat_bucket: _SlidingWindow | None = None
        if self._per_chat_rate:
            chat_bucket = self._chat_buckets.get(chat_id)
            if chat_bucket is None:
                if len(self._chat_buckets) > 10_000:  # forget chats whose window is over
                    self._chat_buckets = {
                        c: b for c, b in self._chat_buckets.items() if b.wait_time(now) > 0
                    }
                chat_bucket = _SlidingWindow(self._per_chat_rate, self._rate_window)
                self._chat_buckets[chat_id] = chat_bucket
            wait = max(wait, chat_bucket.wait_time(now))
        if self._global_bucket is not None:
            wait = max(wait, self._global_bucket.wait_time(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.flood_refusals += 1
            self._note_flood(retry_after)
            raise _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        if chat_bucket is not None:
            chat_bucket.take(now)
        if self._global_bucket is not None:
            self._global_bucket.take(now)

    def _format(
        self,
        p: _Params,
        *,
        text_field: str,
        mode_field: str,
        entities_field: str,
        caption: bool,
    ) -> tuple[str, list[JSON], str | None, str | None]:
        """Parse text/caption; returns (plain text, entities, source text, parse_mode)."""
        source = p.str_opt(text_field) or ""
        if not source:
            if caption:
                return "", [], None, None
            raise _bad("Bad Request: message text is empty")
        parse_mode = p.str_opt(mode_field) or None
        explicit = p.json_opt(
            entities_field, f"Bad Request: can't parse {entities_field} JSON object"
        )
        try:
            if explicit is not None:
                entities = self._validate_entities(explicit, source, entities_field)
                parse_mode = None
                text, entities = trim_formatted(source, entities)
            else:
                text, entities = parse_formatted(
                    source, parse_mode, strict_ampersand=self.strict_html_ampersand
                )
        except EntityParseError as exc:
            raise _bad(f"Bad Request: can't parse entities: {exc}") from exc
        except ValueError as exc:
            raise _bad("Bad Request: unsupported parse_mode") from exc
        if caption:
            if utf16_len(text) > MAX_CAPTION_UTF16:
                raise _bad("Bad Request: message caption is too long")
        else:
            if not text:
                raise _bad("Bad Request: message text is empty")
            if utf16_len(text) > MAX_TEXT_UTF16:
                raise _bad("Bad Request: message is too long")
        return text, entities, source, parse_mode

    @staticmethod
    def _validate_entities(raw: Any, text: str, field_name: str) -> list[JSON]:
        if not isinstance(raw, list):
            raise _bad(f"Bad Request: can't parse {field_name} JSON object")
        total = utf16_len(text)
        entities: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise _bad(
                    'Bad Request: can\'t parse MessageEntity: Field "type" must be of type String'
                )
            offset, length = item.get("offset"), item.get("length")
            if not isinstance(offset, int) or not isinstance(length, int):
                raise _bad(
                    "Bad Request: can't parse MessageEntity: "
                    'Field "offset" must be of type Integer'
                )
            if offset < 0 or length <= 0 or offset + length > total:
                raise _bad("Bad Request: entity is out of the text bounds")
            entities.append(dict(item))
        return sorted(entities, key=lambda e: (e["offset"], -e["length"]))

    def _parse_markup(self, p: _Params, *, inline_only: bool) -> _MarkupSpec:
        value = p.json_opt("reply_markup", CANT_PARSE_MARKUP)
        if value is None:
            return _MarkupSpec()
        if not isinstance(value, dict):
            raise _bad(CANT_PARSE_MARKUP)
        if "inline_keyboard" in value:
            return _MarkupSpec(inline=self._validate_inline_keyboard(value))
        if inline_only:
            raise _bad("Bad Request: inline keyboard expected")
        if "keyboard" in value:
            return _MarkupSpec(keyboard=self._validate_reply_keyboard(value))
        if value.get("remove_keyboard") is True:
            return _MarkupSpec(remove_keyboard=True)
        if value.get("force_reply") is True:
            placeholder = value.get("input_field_placeholder")
            return _MarkupSpec(
                force_reply=True, placeholder=placeholder if isinstance(placeholder, str) else None
            )
        raise _bad(CANT_PARSE_MARKUP)

    @staticmethod
    def _validate_inline_keyboard(value: JSON) -> JSON:
        rows = value["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be '
                "an Array of Arrays"
            )
        if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
            raise _bad("Bad Request: REPLY_MARKUP_TOO_LONG")
        clean_rows: list[list[JSON]] = []
        for row in rows:
            clean_row: list[JSON] = []
            for button in row:
                if not isinstance(button, dict):
                    raise _bad(CANT_PARSE_BUTTON + "InlineKeyboardButton must be an Object")
                text = button.get("text")
                if not isinstance(text, str):
                    raise _bad(CANT_PARSE_BUTTON + 'Field "text" must be of type String')
                if not text.strip():
                    raise _bad("Bad Request: BUTTON_TEXT_INVALID")
                actions = [k for k in INLINE_BUTTON_ACTIONS if button.get(k) is not None]
                if not actions:
                    raise _bad(
                        CANT_PARSE_BUTTON + "Text buttons are unallowed in the inline keyboard"
                    )
                if len(actions) > 1:
                    raise _bad(
                        CANT_PARSE_BUTTON + "exactly one of the optional fields must be used, "
                        f"got {', '.join(actions)}"
                    )
                action = actions[0]
                target = button[action]
                if action == "callback_data":
                    if not isinstance(target, str) or not (
                        1 <= len(target.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise _bad("Bad Request: BUTTON_DATA_INVALID")
                elif action == "url":
                    if not _is_button_url(target):
                        raise _bad("Bad Request: BUTTON_URL_INVALID")
                elif action in ("web_app", "login_url"):
                    url = target.get("url") if isinstance(target, dict) else None
                    if not isinstance(url, str) or not url.lower().startswith("https://"):
                        raise _bad("Bad Request: BUTTON_URL_INVALID")
                clean_row.append(dict(button))
            clean_rows.append(clean_row)
        return {"inline_keyboard": clean_rows}

    @staticmethod
    def _validate_reply_keyboard(value: JSON) -> _ReplyKeyboard:
        rows = value["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'Bad Request: field "keyboard" of the ReplyKeyboardMarkup should be an Array '
                "of Arrays"
            )
        parsed: list[list[KeyboardButtonSpec]] = []
        for row in rows:
            parsed_row: list[KeyboardButtonSpec] = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad(
                        "Bad Request: can't parse keyboard button: "
                        'Field "text" must be of type String'
                    )
                if not button["text"].strip():
                    raise _bad("Bad Request: keyboard button text must be non-empty")
                parsed_row.append(
                    KeyboardButtonSpec(
                        text=button["text"],
                        request_contact=bool(button.get("request_contact")),
                        request_location=bool(button.get("request_location")),
                    )
                )
            if parsed_row:
                parsed.append(parsed_row)
        if not parsed:
            raise _bad("Bad Request: keyboard must be non-empty")
        placeholder = value.get("input_field_placeholder")
        return _ReplyKeyboard(
            rows=parsed,
            one_time=bool(value.get("one_time_keyboard")),
            resize=bool(value.get("resize_keyboard")),
            persistent=bool(value.get("is_persistent")),
            placeholder=placeholder if isinstance(placeholder, str) else None,
        )

    @staticmethod
    def _apply_keyboard(chat: _Chat, markup: _MarkupSpec) -> None:
        if markup.keyboard is not None:
            chat.reply_keyboard = markup.keyboard
            chat.force_reply = False
        elif markup.remove_keyboard:
            chat.reply_keyboard = None
        elif markup.force_reply:
            chat.force_reply = True
            chat.force_reply_placeholder = markup.placeholder

    def _reply_to(self, chat: _Chat, p: _Params) -> int | None:
        target = p.int_opt("reply_to_message_id")
        allow_missing = p.bool_("allow_sending_without_reply")
        params = p.json_opt(
            "reply_parameters", "Bad Request: can't parse reply parameters JSON object"
        )
        if isinstance(params, dict):
            raw_id = params.get("message_id")
            target = raw_id if isinstance(raw_id, int) else target
            allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
        if target is None:
            return None
        msg = chat.messages.get(target)
        if msg is None or msg.deleted:
            if allow_missing:
                return None
            raise _bad("Bad Request: message to be replied not found")
        return target

    def _new_bot_message(self, chat: _Chat, kind: str, **values: Any) -> _Message:
        msg = _Message(
            chat_id=chat.user_id,
            message_id=chat.take_message_id(),
            from_bot=True,
            date=_now(),
            kind=kind,
            **values,
        )
        chat.messages[msg.message_id] = msg
        now = time.monotonic()
        last = self._last_bot_message_at.get(chat.user_id)
        if last is not None and now - last < self.chat_interval:
            self.chat_interval_violations[chat.user_id] += 1
        self._last_bot_message_at[chat.user_id] = now
        # Sending a message ends the "typing…" indicator, as in Telegram clients.
        chat.chat_action = None
        return msg

    def _file_param(self, p: _Params, name: str, kind: str) -> _Upload | _StoredFile:
        value = p.file(name)
        if value is None:
            raise _bad(f"Bad Request: there is no {name} in the request")
        if isinstance(value, _Upload):
            if not value.data:
                raise _bad("Bad Request: file must be non-empty")
            limit = MAX_PHOTO_BYTES if kind == "photo" else MAX_UPLOAD_BYTES
            if len(value.data) > limit:
                raise _ApiError(413, "Request Entity Too Large")
            return value
        stored = self._files.get(value)
        if stored is not None:
            if stored.kind != kind:
                raise _bad("Bad Request: type of file mismatch")
            return stored
        if value.lower().startswith(("http://", "https://")):
            # No internet here: remember the URL as an empty placeholder file.
            mime = mimetypes.guess_type(value)[0] or (
                "image/jpeg" if kind == "photo" else "application/octet-stream"
            )
            name_part = value.rsplit("/", 1)[-1] or None
            return self._store_file(b"", kind, mime, name_part, (0, 0))
        raise _bad(WRONG_FILE_ID)

    # ----------------------------------------------------------------------------------
    # Bot API methods
    # ----------------------------------------------------------------------------------

    async def _m_true(self, p: _Params) -> bool:
        return True

    async def _m_get_me(self, p: _Params) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.group_privacy,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _update_allowed(self, update: JSON) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self._allowed_updates

    def _confirm_updates(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            # A negative offset keeps only the last -offset updates, as Telegram does.
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    async def _m_get_updates(self, p: _Params) -> list[JSON]:
        if self._webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        limit = min(max(p.int_opt("limit") or 100, 1), 100)
        timeout = min(max(p.float_opt("timeout") or 0.0, 0.0), MAX_LONG_POLL_SECONDS)
        allowed = p.json_opt("allowed_updates", "Bad Request: can't parse allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._confirm_updates(p.int_opt("offset"))
        self._poll_generation += 1
        generation = self._poll_generation
        # Wake an older long poll so it can report the conflict.
        self._notify()
        deadline = time.monotonic() + timeout
        while True:
            self._updates = [u for u in self._updates if self._update_allowed(u)]
            batch = self._updates[:limit]
            if batch or self._closing:
                break
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._wait_change(remaining)
        if batch:
            self._delivered_up_to = max(self._delivered_up_to, batch[-1]["update_id"])
            self._bump()
        return json.loads(json.dumps(batch))

    async def _m_set_webhook(self, p: _Params) -> bool:
        url = p.str_opt("url") or ""
        refused = webhooks.refusal(
            url, allow_http=self.allow_http_webhooks, ports=self.webhook_ports)
        if refused:
            raise _bad(refused)
        certificate = p.uploads.get("certificate")
        tls = None
        if certificate is not None:
            try:
                tls = webhooks.trusting(certificate.data)
            except ValueError:
                raise _bad(webhooks.BAD_CERTIFICATE) from None
        self.webhook_certificate = certificate.data if certificate is not None else None
        self._webhook_tls = tls
        self._webhook_error = None
        if p.bool_("drop_pending_updates"):
            self._updates.clear()
        allowed = p.json_opt("allowed_updates", "Bad Request: can't parse allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._webhook_url = url
        self._webhook_params = {k: v for k, v in p.values.items() if k != "url"}
        if url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.create_task(self._push_updates())
        self._bump()
        return True

    async def _push_updates(self) -> None:
        """Deliver queued updates to the webhook one by one, in order, until each gets a 2xx."""
        delay = 0.05
        async with aiohttp.ClientSession() as http:
            while self._webhook_url and not self._closing:
                self._updates = [u for u in self._updates if self._update_allowed(u)]
                if not self._updates:
                    await self._wait_change(1.0)
                    continue
                update = self._updates[0]
                secret = self._webhook_params.get("secret_token")
                headers = {"X-Telegram-Bot-Api-Secret-Token": str(secret)} if secret else {}
                self.webhook_attempts += 1
                error = await self._post_update(http, update, headers)
                delivered = error is None
                if error is not None:  # getWebhookInfo changed: waiters look again
                    self._webhook_error = (int(time.time()), error)
                    self._bump()
                if not delivered:  # Telegram retries too, with growing pauses
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                delay = 0.05
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                self._delivered_up_to = max(self._delivered_up_to, update["update_id"])
                self._bump()

    async def _post_update(
        self, http: aiohttp.ClientSession, update: JSON, headers: dict[str, str]
    ) -> str | None:
        """POST one update to the webhook; None when it took it (2xx), else the error as
        getWebhookInfo's last_error_message words it."""
        url = webhooks.delivery_url(self._webhook_url, self.webhook_port_map)
        try:
            async with http.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10),
                # An uploaded certificate is trusted alone; else the public CAs, as Telegram.
                ssl=self._webhook_tls if self._webhook_tls is not None else True,
            ) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientSSLError as exc:
            return f"SSL error {{{exc}}}"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except (aiohttp.ClientError, TimeoutError):
            return "Read timeout expired"

    async def _m_delete_webhook(self, p: _Params) -> bool:
        if p.bool_("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = ""
        self._webhook_params = {}
        self.webhook_certificate = None
        self._webhook_tls = None
        self._webhook_error = None
        self._bump()
        return True

    async def _m_get_webhook_info(self, p: _Params) -> JSON:
        info: JSON = {
            "url": self._webhook_url,
            "has_custom_certificate": self.webhook_certificate is not None,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _m_send_message(self, p: _Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        text, entities, source, parse_mode = self._format(
            p, text_field="text", mode_field="parse_mode", entities_field="entities", caption=False
        )
        markup = self._parse_markup(p, inline_only=False)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat.user_id)
        msg = self._new_bot_message(
            chat,
            "text",
            text=text,
            entities=entities,
            source=source,
            parse_mode=parse_mode,
            markup=markup.inline,
            reply_to=reply_to,
        )
        self._apply_keyboard(chat, markup)
        self._bump(chat)
        return self._message_json(msg)

    async def _m_send_photo(self, p: _Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        photo = self._file_param(p, "photo", "photo")
        text, entities, source, parse_mode = self._format(
            p,
            text_field="caption",
            mode_field="parse_mode",
            entities_field="caption_entities",
            caption=True,
        )
        markup = self._parse_markup(p, inline_only=False)
        reply_to = self._reply_to(chat, p)
        if isinstance(photo, _Upload):
            size = _image_size(photo.data)
            if size is None:
                raise _bad("Bad Request: IMAGE_PROCESS_FAILED")
        self._check_flood(chat.user_id)
        if isinstance(photo, _Upload):
            mime = photo.content_type or "image/jpeg"
            if not mime.startswith("image/"):
                mime = "image/jpeg"
            photo = self._store_file(photo.data, "photo", mime, None, size)
        msg = self._new_bot_message(
            chat,
            "photo",
            text=text,
            entities=entities,
            source=source,
            parse_mode=parse_mode,
            markup=markup.inline,
            reply_to=reply_to,
            media={"photo": [photo.photo_size()]},
            file_id=photo.file_id,
            mime_type=photo.mime_type,
        )
        self._apply_keyboard(chat, markup)
        self._bump(chat)
        return self._message_json(msg)

    async def _m_send_document(self, p: _Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        document = self._file_param(p, "document", "document")
        text, entities, source, parse_mode = self._format(
            p,
            text_field="caption",
            mode_field="parse_mode",
            entities_field="caption_entities",
            caption=True,
        )
        markup = self._parse_markup(p, inline_only=False)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat.user_id)
        if isinstance(document, _Upload):
            name = document.filename or "document"
            mime = (
                document.content_type
                if document.content_type and document.content_type != "application/octet-stream"
                else mimetypes.guess_type(name)[0] or "application/octet-stream"
            )
            document = self._store_file(document.data, "document", mime, name, None)
        msg = self._new_bot_message(
            chat,
            "document",
            text=text,
            entities=entities,
            source=source,
            parse_mode=parse_mode,
            markup=markup.inline,
            reply_to=reply_to,
            media={"document": document.document()},
            file_id=document.file_id,
            file_name=document.file_name,
            mime_type=document.mime_type,
        )
        self._apply_keyboard(chat, markup)
        self._bump(chat)
        return self._message_json(msg)

    async def _m_send_location(self, p: _Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        latitude = p.float_opt("latitude")
        longitude = p.float_opt("longitude")
        if latitude is None or not -90 <= latitude <= 90:
            raise _bad("Bad Request: wrong latitude specified")
        if longitude is None or not -180 <= longitude <= 180:
            raise _bad("Bad Request: wrong longitude specified")
        markup = self._parse_markup(p, inline_only=False)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat.user_id)
        msg = self._new_bot_message(
            chat,
            "location",
            markup=markup.inline,
            reply_to=reply_to,
            media={"location": {"latitude": latitude, "longitude": longitude}},
            location=(latitude, longitude),
        )
        self._apply_keyboard(chat, markup)
        self._bump(chat)
        return self._message_json(msg)

    async def _m_send_chat_action(self, p: _Params) -> bool:
        chat, _ = self._sendable_chat(p)
        action = p.str_opt("action") or ""
        if action not in CHAT_ACTIONS:
            raise _bad("Bad Request: wrong parameter action in request")
        chat.chat_action = (action, time.monotonic())
        self._bump(chat)
        return True

    def _editable_message(self, p: _Params) -> tuple[_Chat, _Message]:
        if p.present("inline_message_id"):
            raise _bad("Bad Request: MESSAGE_ID_INVALID")
        chat, user = self._known_chat(p)
        if user is not None and user.blocked:
            raise _ApiError(403, BLOCKED)
        message_id = p.int_opt("message_id")
        if message_id is None:
            raise _bad("Bad Request: message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise _bad("Bad Request: message to edit not found")
        if not msg.from_bot:
            raise _bad("Bad Request: message can't be edited")
        return chat, msg

    async def _m_edit_message_text(self, p: _Params) -> JSON:
        chat, msg = self._editable_message(p)
        if msg.kind != "text":
            raise _bad("Bad Request: there is no text in the message to edit")
        text, entities, source, parse_mode = self._format(
            p, text_field="text", mode_field="parse_mode", entities_field="entities", caption=False
        )
        markup = self._parse_markup(p, inline_only=True)
        # Telegram drops the inline keyboard when an edit doesn't repeat it.
        if text == msg.text and entities == msg.entities and markup.inline == msg.markup:
            raise _bad(NOT_MODIFIED)
        self._check_flood(chat.user_id)
        msg.text, msg.entities, msg.source, msg.parse_mode = text, entities, source, parse_mode
        msg.markup = markup.inline
        msg.edit_date = _now()
        self._bump(chat)
        return self._message_json(msg)

    async def _m_edit_message_caption(self, p: _Params) -> JSON:
        chat, msg = self._editable_message(p)
        if msg.kind not in ("photo", "document"):
            raise _bad("Bad Request: there is no caption in the message to edit")
        text, entities, source, parse_mode = self._format(
            p,
            text_field="caption",
            mode_field="parse_mode",
            entities_field="caption_entities",
            caption=True,
        )
        markup = self._parse_markup(p, inline_only=True)
        if text == msg.text and entities == msg.entities and markup.inline == msg.markup:
            raise _bad(NOT_MODIFIED)
        self._check_flood(chat.user_id)
        msg.text, msg.entities, msg.source, msg.parse_mode = text, entities, source, parse_mode
        msg.markup = markup.inline
        msg.edit_date = _now()
        self._bump(chat)
        return self._message_json(msg)

    async def _m_edit_message_reply_markup(self, p: _Params) -> JSON:
        chat, msg = self._editable_message(p)
        markup = self._parse_markup(p, inline_only=True)
        if markup.inline == msg.markup:
            raise _bad(NOT_MODIFIED)
        self._check_flood(chat.user_id)
        msg.markup = markup.inline
        msg.edit_date = _now()
        self._bump(chat)
        return self._message_json(msg)

    async def _m_delete_message(self, p: _Params) -> bool:
        chat, _ = self._known_chat(p)
        message_id = p.int_opt("message_id")
        if message_id is None:
            raise _bad("Bad Request: message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise _bad("Bad Request: message to delete not found")
        msg.deleted = True
        self._bump(chat)
        return True

    async def _m_delete_messages(self, p: _Params) -> bool:
        chat, _ = self._known_chat(p)
        ids = p.json_opt("message_ids", "Bad Request: can't parse message_ids JSON array")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("Bad Request: message_ids must be a non-empty Array of at most 100 Integers")
        for message_id in ids:
            msg = chat.messages.get(message_id) if isinstance(message_id, int) else None
            if msg is not None:
                msg.deleted = True
        self._bump(chat)
        return True

    async def _m_answer_callback_query(self, p: _Params) -> bool:
        query = self._queries.get(p.str_opt("callback_query_id") or "")
        if (
            query is None
            or query.answered
            or time.monotonic() - query.created > self.callback_query_timeout
        ):
            raise _bad(QUERY_TOO_OLD)
        text = p.str_opt("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_CHARS:
            raise _bad("Bad Request: MESSAGE_TOO_LONG")
        url = p.str_opt("url")
        if url and not _is_button_url(url):
            raise _bad("Bad Request: URL_INVALID")
        query.answered = True
        answer = CallbackAnswer(text or None, p.bool_("show_alert"))
        self._answers.setdefault(query.user_id, []).append(answer)
        self._answer_seq += 1
        chat = self._chats[query.chat_id if query.chat_id is not None else query.user_id]
        chat.callback_answers.append((self._answer_seq, answer))
        self._bump(chat)
        return True

    def _command_scope(self, p: _Params) -> tuple[str, int | None, int | None]:
        scope = p.json_opt("scope", "Bad Request: can't parse BotCommandScope JSON object")
        if scope is None:
            return ("default", None, None)
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise _bad("Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind, None, None)
        if kind not in ("chat", "chat_administrators", "chat_member"):
            raise _bad("Bad Request: wrong BotCommandScope type specified")
        chat_id = _parse_chat_id(scope.get("chat_id"))
        if chat_id is None or chat_id not in self._users:
            raise _bad(CHAT_NOT_FOUND)
        if kind != "chat_member":
            return (kind, chat_id, None)
        user_id = _parse_chat_id(scope.get("user_id"))
        if user_id is None:
            raise _bad("Bad Request: user not found")
        return (kind, chat_id, user_id)

    @staticmethod
    def _language(p: _Params) -> str:
        language = p.str_opt("language_code") or ""
        if language and not _LANGUAGE_CODE_RE.fullmatch(language):
            raise _bad("Bad Request: LANG_CODE_INVALID")
        return language

    async def _m_set_my_commands(self, p: _Params) -> bool:
        raw = p.json_opt("commands", "Bad Request: can't parse commands JSON object")
        if not isinstance(raw, list):
            raise _bad("Bad Request: can't parse commands JSON object")
        if len(raw) > MAX_COMMANDS:
            raise _bad("Bad Request: BOT_COMMANDS_TOO_MUCH")
        commands: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad("Bad Request: can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not _COMMAND_NAME_RE.fullmatch(command):
                raise _bad("Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": command, "description": description})
        key = (*self._command_scope(p), self._language(p))
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        self._bump()
        return True

    async def _m_get_my_commands(self, p: _Params) -> list[JSON]:
        key = (*self._command_scope(p), self._language(p))
        return [dict(c) for c in self._commands.get(key, [])]

    async def _m_delete_my_commands(self, p: _Params) -> bool:
        key = (*self._command_scope(p), self._language(p))
        self._commands.pop(key, None)
        self._bump()
        return True

    async def _m_set_chat_menu_button(self, p: _Params) -> bool:
        button = p.json_opt("menu_button", "Bad Request: can't parse menu button JSON object")
        if button is not None:
            if not isinstance(button, dict) or button.get("type") not in (
                "commands",
                "web_app",
                "default",
            ):
                raise _bad("Bad Request: can't parse menu button JSON object")
            if button["type"] == "web_app":
                web_app = button.get("web_app")
                url = web_app.get("url") if isinstance(web_app, dict) else None
                if not isinstance(button.get("text"), str) or not isinstance(url, str):
                    raise _bad("Bad Request: can't parse menu button JSON object")
                if not url.lower().startswith("https://"):
                    raise _bad("Bad Request: BUTTON_URL_INVALID")
        if p.present("chat_id"):
            chat, _ = self._known_chat(p)
            chat.menu_button = button
            self._bump(chat)
        else:
            self._default_menu_button = button
            self._bump()
        return True

    async def _m_get_chat_menu_button(self, p: _Params) -> JSON:
        default = self._default_menu_button or {"type": "commands"}
        if p.present("chat_id"):
            chat, _ = self._known_chat(p)
            return dict(chat.menu_button or default)
        return dict(default)

    def _set_text_setting(
        self, p: _Params, store: dict[str, str], field_name: str, limit: int, error: str
    ) -> bool:
        language = self._language(p)
        value = p.str_opt(field_name) or ""
        if len(value) > limit:
            raise _bad(error)
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        self._bump()
        return True

    async def _m_set_my_description(self, p: _Params) -> bool:
        return self._set_text_setting(
            p, self._descriptions, "description", 512, "Bad Request: BOT_ABOUT_INVALID"
        )

    async def _m_get_my_description(self, p: _Params) -> JSON:
        language = self._language(p)
        text = self._descriptions.get(language, self._descriptions.get("", ""))
        return {"description": text}

    async def _m_set_my_short_description(self, p: _Params) -> bool:
        return self._set_text_setting(
            p, self._short_descriptions, "short_description", 120, "Bad Request: BOT_ABOUT_INVALID"
        )

    async def _m_get_my_short_description(self, p: _Params) -> JSON:
        language = self._language(p)
        text = self._short_descriptions.get(language, self._short_descriptions.get("", ""))
        return {"short_description": text}

    async def _m_set_my_name(self, p: _Params) -> bool:
        return self._set_text_setting(p, self._names, "name", 64, "Bad Request: BOT_TITLE_INVALID")

    async def _m_get_my_name(self, p: _Params) -> JSON:
        language = self._language(p)
        return {"name": self._names.get(language, self._names.get("", self.bot_first_name))}

    async def _m_get_chat(self, p: _Params) -> JSON:
        chat, user = self._known_chat(p)
        if user is None:
            return {**self._groups[chat.user_id].chat_api(), "accent_color_id": 0,
                    "max_reaction_count": 11}
        if not user.started:
            # Telegram knows nothing about people who never talked to the bot.
            raise _bad(CHAT_NOT_FOUND)
        return {
            **user.chat_api(),
            "accent_color_id": user.id % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    async def _m_get_file(self, p: _Params) -> JSON:
        stored = self._files.get(p.str_opt("file_id") or "")
        if stored is None:
            raise _bad("Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad("Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ----------------------------------------------------------------------------------
    # Control HTTP API (for the chat page)
    # ----------------------------------------------------------------------------------

    async def _handle_page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "chat.html", headers={"Cache-Control": "no-store"})

    async def _handle_emu_file(self, request: web.Request) -> web.StreamResponse:
        stored = self._files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="unknown file")
        headers = {}
        if stored.file_name:
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", stored.file_name)
            headers["Content-Disposition"] = f'inline; filename="{safe}"'
        return web.Response(body=stored.data, content_type=stored.mime_type, headers=headers)

    @staticmethod
    def _control_error(status: int, message: str) -> web.Response:
        return web.json_response({"error": message}, status=status)

    async def _json_body(self, request: web.Request) -> JSON:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": "body must be JSON"}), content_type="application/json"
            ) from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(
                text=json.dumps({"error": "body must be a JSON object"}),
                content_type="application/json",
            )
        return body

    def _path_user(self, request: web.Request) -> EmuUser:
        user_id = _parse_chat_id(request.match_info["user_id"])
        user = self._users.get(user_id) if user_id is not None else None
        if user is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "unknown user"}), content_type="application/json"
            )
        return user

    def _user_summary(self, user: EmuUser) -> JSON:
        chat = self._chats[user.id]
        bot_ids = [m.message_id for m in chat.messages.values() if m.from_bot and not m.deleted]
        return {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "language_code": user.language_code,
            "started": user.started,
            "blocked": user.blocked,
            "chat_version": chat.version,
            "last_bot_message_id": bot_ids[-1] if bot_ids else 0,
            "message_count": len(chat.messages),
        }

    @staticmethod
    def _wait_param(request: web.Request) -> tuple[int, float]:
        try:
            since = int(request.query.get("since", "-1"))
            wait = min(max(float(request.query.get("wait", "0")), 0.0), 30.0)
        except ValueError:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": "since/wait must be numbers"}),
                content_type="application/json",
            ) from None
        return since, wait

    async def _long_poll(self, changed: Callable[[], bool], wait: float) -> None:
        deadline = time.monotonic() + wait
        while not changed() and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await self._wait_change(remaining)

    async def _handle_users_list(self, request: web.Request) -> web.Response:
        since, wait = self._wait_param(request)
        await self._long_poll(lambda: self._version > since, wait)
        return web.json_response(
            {
                "version": self._version,
                "bot": {"username": self.bot_username, "first_name": self.bot_first_name},
                "users": [self._user_summary(u) for u in self._users.values()],
            }
        )

    async def _handle_users_add(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        user_id = _parse_chat_id(body.get("id"))
        first_name = body.get("first_name")
        if user_id is None or user_id <= 0:
            return self._control_error(400, "id must be a positive integer")
        if not isinstance(first_name, str) or not first_name.strip():
            return self._control_error(400, "first_name is required")
        language = body.get("language_code", "zh-hans")
        user = self.add_user(
            user_id,
            first_name.strip(),
            last_name=body.get("last_name") or None,
            username=body.get("username") or None,
            language_code=language if isinstance(language, str) and language else None,
        )
        if body.get("started") is True:  # as if they had opened the bot long ago
            user.started = True
        return web.json_response(self._user_summary(user))

    async def _handle_user_text(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        body = await self._json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return self._control_error(400, "text must be a non-empty string")
        return web.json_response({"update_id": self.send_text(user.id, text)})

    async def _handle_user_press(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        body = await self._json_body(request)
        message_id = _parse_chat_id(body.get("message_id"))
        data = body.get("data")
        match = body.get("match", "auto")
        if message_id is None or not isinstance(data, str):
            return self._control_error(400, "message_id (int) and data (str) are required")
        if match not in ("auto", "text", "data"):
            return self._control_error(400, "match must be auto, text or data")
        try:
            update_id = self.press_button(user.id, message_id, data, match=match)
        except LookupError as exc:
            return self._control_error(404, str(exc))
        return web.json_response({"update_id": update_id})

    async def _handle_user_contact(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        body = await self._json_body(request)
        phone = body.get("phone_number")
        if not isinstance(phone, str) or not phone.strip():
            return self._control_error(400, "phone_number is required")
        return web.json_response({"update_id": self.share_contact(user.id, phone.strip())})

    async def _handle_user_location(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        body = await self._json_body(request)
        try:
            latitude = float(body["latitude"])
            longitude = float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            return self._control_error(400, "latitude and longitude are required numbers")
        return web.json_response({"update_id": self.send_location(user.id, latitude, longitude)})

    async def _read_upload(self, request: web.Request) -> tuple[_Upload, str | None]:
        form = await request.post()
        upload: _Upload | None = None
        for name in ("file", "photo", "document"):
            value = form.get(name)
            if isinstance(value, web.FileField):
                upload = _Upload(value.file.read(), value.filename, value.content_type)
                break
        if upload is None or not upload.data:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": "multipart field 'file' is required"}),
                content_type="application/json",
            )
        caption = form.get("caption")
        return upload, caption if isinstance(caption, str) and caption else None

    async def _handle_user_photo(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        upload, caption = await self._read_upload(request)
        return web.json_response({"update_id": self.send_photo(user.id, upload.data, caption)})

    async def _handle_user_document(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        upload, caption = await self._read_upload(request)
        name = upload.filename or "file.bin"
        mime = upload.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        update_id = self.send_document(user.id, upload.data, name, mime, caption)
        return web.json_response({"update_id": update_id})

    async def _handle_user_block(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        return web.json_response({"update_id": self.block(user.id), "blocked": True})

    async def _handle_user_unblock(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        return web.json_response({"update_id": self.unblock(user.id), "blocked": False})

    async def _handle_user_commands(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        return web.json_response({"commands": self.commands_for(user.id)})

    def _entry_json(self, entry: ChatEntry) -> JSON:
        photos = entry.raw.get("photo") or []
        photo_size: JSON | None = photos[-1] if photos else None
        return {
            "message_id": entry.message_id,
            "from_bot": entry.from_bot,
            "kind": entry.kind,
            "text": entry.text,
            "entities": entry.entities,
            "html": entry.html,
            "file_id": entry.file_id,
            "file_url": f"/_emu/files/{entry.file_id}" if entry.file_id else None,
            "file_name": entry.file_name,
            "mime_type": entry.mime_type,
            "width": photo_size.get("width") if photo_size else None,
            "height": photo_size.get("height") if photo_size else None,
            "inline_keyboard": [
                [
                    {
                        "text": b.text,
                        "callback_data": b.callback_data,
                        "url": b.url,
                        "kind": b.kind,
                    }
                    for b in row
                ]
                for row in entry.inline_keyboard
            ],
            "edited": entry.edited,
            "deleted": entry.deleted,
            "date": entry.date,
            "reply_to_message_id": entry.reply_to_message_id,
            "location": list(entry.location) if entry.location else None,
            "phone_number": entry.phone_number,
        }

    async def burst(
        self, texts: Mapping[int, str], timeout: float = 300.0  # noqa: ASYNC109
    ) -> tuple[float, dict[int, float]]:
        """Send every text at once; return the seconds until all were answered, and each
        person's latency until the bot's first reply (measured here, next to the wire)."""
        before = {user: self.bot_message_count(user) for user in texts}
        sent: dict[int, float] = {}
        started = time.perf_counter()
        for user, text in texts.items():
            sent[user] = time.perf_counter()
            self.send_text(user, text)
        replied: dict[int, float] = {}
        waiting = set(texts)
        deadline = time.monotonic() + timeout
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(waiting)} of {len(texts)} got no reply")
            await self._wait_change(min(remaining, 0.05))
            now = time.perf_counter()
            for user in [u for u in waiting if self.bot_message_count(u) > before[u]]:
                replied[user] = now - sent[user]
                waiting.discard(user)
        return time.perf_counter() - started, replied

    async def _handle_burst(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        raw = body.get("texts")
        if not isinstance(raw, dict) or not raw:
            return self._control_error(400, "texts must map user ids to texts")
        texts: dict[int, str] = {}
        for key, text in raw.items():
            user_id = _parse_chat_id(key)
            if user_id is None or user_id not in self._users or not isinstance(text, str):
                return self._control_error(400, f"unknown user or bad text: {key}")
            texts[user_id] = text
        try:
            elapsed, latencies = await self.burst(texts)
        except TimeoutError as exc:
            return self._control_error(504, str(exc))
        return web.json_response(
            {"elapsed": elapsed, "latencies": {str(k): v for k, v in latencies.items()}}
        )

    def bot_message_count(self, chat_id: int) -> int:
        """How many messages the bot has sent to a chat (cheap: for benchmarks polling often)."""
        chat = self._chats.get(chat_id)
        return 0 if chat is None else sum(1 for m in chat.messages.values() if m.from_bot)

    def chat_state(self, chat_id: int) -> JSON:
        """The JSON the chat page renders: messages, reply keyboard, last toast, typing."""
        chat = self._chat(chat_id)
        user = self._users[chat_id]
        keyboard = chat.reply_keyboard
        answer: JSON | None = None
        if chat.callback_answers:
            seq, last = chat.callback_answers[-1]
            answer = {"seq": seq, "text": last.text, "show_alert": last.show_alert}
        action: str | None = None
        if chat.chat_action and time.monotonic() - chat.chat_action[1] < 5.0:
            action = chat.chat_action[0]
        return {
            "version": chat.version,
            "chat_id": chat_id,
            "user": self._user_summary(user),
            "messages": [self._entry_json(self._entry(m)) for m in chat.messages.values()],
            "reply_keyboard": (
                {
                    "rows": [
                        [
                            {
                                "text": b.text,
                                "request_contact": b.request_contact,
                                "request_location": b.request_location,
                            }
                            for b in row
                        ]
                        for row in keyboard.rows
                    ],
                    "one_time": keyboard.one_time,
                    "resize": keyboard.resize,
                    "placeholder": keyboard.placeholder,
                }
                if keyboard
                else None
            ),
            "force_reply": chat.force_reply,
            "placeholder": (
                chat.force_reply_placeholder
                if chat.force_reply
                else (keyboard.placeholder if keyboard else None)
            ),
            "callback_answer": answer,
            "chat_action": action,
        }

    async def _handle_chat_messages(self, request: web.Request) -> web.Response:
        chat_id = _parse_chat_id(request.match_info["chat_id"])
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None or chat_id is None or chat_id not in self._users:
            return self._control_error(404, "unknown chat")
        since, wait = self._wait_param(request)
        await self._long_poll(lambda: chat.version > since, wait)
        return web.json_response(self.chat_state(chat_id))


async def serve(
    host: str, port: int, global_rate: float | None, *, allow_http_webhooks: bool = False,
    window: float = 1.0, any_webhook_port: bool = False,
) -> None:
    """Run an emulator alone until interrupted (benchmarks give it its own process)."""
    emulator = BotApiEmulator(
        global_rate_per_second=global_rate, allow_http_webhooks=allow_http_webhooks,
        rate_window_seconds=window,
        webhook_ports=None if any_webhook_port else webhooks.TELEGRAM_WEBHOOK_PORTS,
    )
    await emulator.start(host=host, port=port)
    print(f"emulator listening on {emulator.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0, help="global sends/s (0: no limit)")
    parser.add_argument("--window", type=float, default=1.0,
                        help="at most rate × window sends in any window of this many seconds")
    parser.add_argument("--allow-http-webhooks", action="store_true",
                        help="accept http:// webhook URLs (bots on this machine)")
    parser.add_argument("--any-webhook-port", action="store_true",
                        help="accept webhook URLs on any port, not only 80, 88, 443 and 8443")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.host, arguments.port, arguments.rate or None,
                          allow_http_webhooks=arguments.allow_http_webhooks,
                          window=arguments.window,
                          any_webhook_port=arguments.any_webhook_port))
