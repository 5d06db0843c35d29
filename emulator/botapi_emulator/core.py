"""The state of one emulated Bot API and the plumbing every area of it builds on.

BotApiEmulator is assembled from layers, one per area, each a subclass of the one below so
it can use everything underneath: core (state, change notification, messages as the Bot API
shows them) → faults (flood limits, injected failures) → keyboards → messages → media →
updates → webhook_delivery → bot_profile → groups → joins (invite links, join requests) →
client (people acting) → reading (what tests look at) → control_http (the chat page's API) →
webapps (signed Mini App URLs) → server (HTTP wiring). Each layer adds the Bot API methods it
implements to ``_method_table``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import ssl
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping
from typing import Any

from aiohttp import web

from . import webhooks
from .limits import SlidingWindow
from .markup import inline_rows
from .params import Handler, Params
from .public_types import ApiCall, CallbackAnswer, ChatEntry, EmuGroup, EmuUser, Refusal
from .state import (
    BLOCKED,
    CANT_INITIATE,
    CHAT_NOT_FOUND,
    JSON,
    NOT_A_MEMBER,
    ApiError,
    CallbackQuery,
    Chat,
    Failure,
    Message,
    StoredFile,
    bad,
    parse_chat_id,
    unix_now,
)


class EmulatorCore:
    """State shared by every area, and the helpers they all use."""

    def __init__(
        self,
        *,
        token: str = "123456:SANDBOX-TOKEN",
        bot_username: str = "branchbot_sandbox_bot",
        bot_first_name: str = "branchbot",
        global_rate_per_second: float | None = 30.0,
        per_chat_rate_per_second: float | None = None,
        paid_rate_per_second: float | None = 1000.0,
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
        bot_id = parse_chat_id(token.split(":", 1)[0])
        self.bot_id = bot_id if bot_id is not None else 123456
        # Seconds after which an unanswered callback query can no longer be answered.
        self.callback_query_timeout = 15.0
        # Reject a bare "&" in HTML (Telegram keeps it literally; see html_entities).
        self.strict_html_ampersand = True

        self._users: dict[int, EmuUser] = {}
        self._chats: dict[int, Chat] = {}
        self._groups: dict[int, EmuGroup] = {}
        # The bot's privacy mode (BotFather's /setprivacy): on unless a test turns it off.
        self.group_privacy = True
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)

        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._delivered_up_to = 0
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0

        self._queries: dict[str, CallbackQuery] = {}
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
        # Paid broadcasts (allow_paid_broadcast) skip the global limit for one of their own.
        self._paid_rate = paid_rate_per_second
        self._paid_bucket: SlidingWindow | None = None
        self.paid_messages = 0  # sends made with allow_paid_broadcast, 0.1 Star each
        # Limits are rate × window sends in any window of this many seconds.
        self._rate_window = rate_window_seconds
        self._global_bucket: SlidingWindow | None = None
        self._chat_buckets: dict[int, SlidingWindow] = {}
        self._reset_buckets()
        # Sends answered with a message: (monotonic time, chat id, message id), in order.
        self.answered_sends: list[tuple[float, int, int]] = []
        # Edits of a message by chat id (text, caption or buttons), likewise.
        self.answered_edits: list[tuple[float, int, int]] = []
        self.flood_refusals = 0  # 429s the limits gave (injected ones not counted)

        self._failures: dict[str, deque[Failure]] = {}
        self._random_failures: dict[
            str, list[tuple[float, Failure, frozenset[int] | None]]
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

    def _method_table(self) -> dict[str, Handler]:
        """Bot API methods by their canonical names; every area adds its own."""
        return {}

    def _reset_buckets(self) -> None:
        """Flood windows counted afresh (at start, and when set_rates changes the limits)."""
        self._global_bucket = (
            SlidingWindow(self._global_rate, self._rate_window) if self._global_rate else None
        )
        self._paid_bucket = (
            SlidingWindow(self._paid_rate, self._rate_window) if self._paid_rate else None
        )
        self._chat_buckets = {}

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

    def _bump(self, chat: Chat | None = None) -> None:
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
    # People, chats and messages
    # ----------------------------------------------------------------------------------

    def _require_user(self, user_id: int) -> EmuUser:
        user = self._users.get(user_id)
        if user is None:
            raise LookupError(f"unknown user {user_id}; call add_user() first")
        return user

    def _chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise LookupError(f"unknown chat {chat_id}; call add_user() first")
        return chat

    def _new_chat(self, chat_id: int) -> Chat:
        chat = self._chats[chat_id] = Chat(chat_id)
        return chat

    def _new_message(
        self, chat: Chat, sender_id: int | None, kind: str, **values: Any
    ) -> Message:
        msg = Message(
            chat_id=chat.user_id,
            message_id=chat.take_message_id(),
            from_bot=False,
            date=unix_now(),
            kind=kind,
            sender_id=sender_id,
            **values,
        )
        chat.messages[msg.message_id] = msg
        return msg

    def _enqueue(self, body: JSON, chat: Chat | None = None) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        self._bump(chat)
        return update_id

    def _message_update(self, msg: Message) -> int:
        return self._enqueue({"message": self._message_json(msg)}, self._chats[msg.chat_id])

    def _known_chat(self, p: Params) -> tuple[Chat, EmuUser | None]:
        """The chat addressed by chat_id and its user (None for a group the bot is in)."""
        raw = p.raw("chat_id")
        if raw is None or raw == "":
            raise bad("Bad Request: chat_id is empty")
        chat_id = parse_chat_id(raw)
        group = self._groups.get(chat_id) if chat_id is not None else None
        if group is not None:
            if not group.bot_member:
                raise ApiError(403, NOT_A_MEMBER)
            return self._chats[group.id], None
        user = self._users.get(chat_id) if chat_id is not None else None
        if user is None or chat_id is None:
            raise bad(CHAT_NOT_FOUND)
        return self._chats[chat_id], user

    def _sendable_chat(self, p: Params) -> tuple[Chat, EmuUser | None]:
        chat, user = self._known_chat(p)
        if user is not None and user.blocked:
            raise ApiError(403, BLOCKED)
        if user is not None and not user.started:
            raise ApiError(403, CANT_INITIATE)
        return chat, user

    # ----------------------------------------------------------------------------------
    # Messages as the Bot API shows them
    # ----------------------------------------------------------------------------------

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(self, msg: Message, *, with_reply: bool = True) -> JSON:
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

    def _group_sender_api(self, group: EmuGroup, sender_id: int | None) -> JSON:
        if sender_id in group.bots:
            name = group.bots[sender_id]
            return {"id": sender_id, "is_bot": True, "first_name": name, "username": name}
        if sender_id is None:  # the bot's own message
            return self._bot_user()
        return self._users[sender_id].to_api()

    def _entry(self, msg: Message) -> ChatEntry:
        return ChatEntry(
            message_id=msg.message_id,
            from_bot=msg.from_bot,
            text=msg.text,
            html=msg.source if (msg.parse_mode or "").lower() == "html" else None,
            entities=[dict(e) for e in msg.entities],
            kind=msg.kind,
            file_id=msg.file_id,
            file_name=msg.file_name,
            inline_keyboard=inline_rows(msg.markup),
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

    @staticmethod
    def _error_response(error: ApiError) -> web.Response:
        body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)
