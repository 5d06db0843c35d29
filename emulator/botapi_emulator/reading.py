"""What tests look at: chats in both directions, keyboards, answers, API calls, and the
waits that pace a test on the bot."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping

from .client import Client
from .public_types import ApiCall, CallbackAnswer, ChatEntry, KeyboardButtonSpec, Refusal
from .state import Message


class Reading(Client):
    """Snapshots of chats and of the API traffic, and waits on the bot's replies."""

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

    def bot_message_count(self, chat_id: int) -> int:
        """How many messages the bot has sent to a chat (cheap: for benchmarks polling often)."""
        chat = self._chats.get(chat_id)
        return 0 if chat is None else sum(1 for m in chat.messages.values() if m.from_bot)

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file (uploaded by the bot or a person)."""
        stored = self._files.get(file_id)
        if stored is None:
            raise LookupError(f"unknown file_id {file_id!r}")
        return stored.data

    # ----------------------------------------------------------------------------------
    # API traffic
    # ----------------------------------------------------------------------------------

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

    # ----------------------------------------------------------------------------------
    # Waiting on the bot
    # ----------------------------------------------------------------------------------

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

        def find() -> Message | None:
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
