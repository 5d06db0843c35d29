"""Keyboards and callback queries: the reply markup a send carries, what it does to the
person's keyboard, and the bot's answers to button presses."""

from __future__ import annotations

import time
from collections.abc import Callable

from .faults import LimitsAndFaults
from .limits import MAX_CALLBACK_ANSWER_CHARS
from .markup import (
    CANT_PARSE_MARKUP,
    is_button_url,
    validate_inline_keyboard,
    validate_reply_keyboard,
)
from .params import Handler, Params
from .public_types import CallbackAnswer, KeyboardButtonSpec
from .state import CallbackQuery, Chat, MarkupSpec, bad

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class Keyboards(LimitsAndFaults):
    """Reply markup on sends, the person's reply keyboard, callback queries and answers."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "answerCallbackQuery": self._m_answer_callback_query,
        }

    def _parse_markup(self, p: Params, chat: Chat, *, inline_only: bool) -> MarkupSpec:
        value = p.json_opt("reply_markup", CANT_PARSE_MARKUP)
        if value is None:
            return MarkupSpec()
        if not isinstance(value, dict):
            raise bad(CANT_PARSE_MARKUP)
        if "inline_keyboard" in value:
            inline = validate_inline_keyboard(value)
            # Mini Apps open from buttons in private chats only (Telegram: BUTTON_TYPE_INVALID).
            if chat.user_id < 0 and any("web_app" in b for row in inline["inline_keyboard"]
                                        for b in row):
                raise bad("Bad Request: BUTTON_TYPE_INVALID")
            return MarkupSpec(inline=inline)
        if inline_only:
            raise bad("Bad Request: inline keyboard expected")
        if "keyboard" in value:
            keyboard = validate_reply_keyboard(value)
            if chat.user_id < 0 and any(isinstance(b, dict) and "web_app" in b
                                        for row in value["keyboard"] for b in row):
                raise bad("Bad Request: BUTTON_TYPE_INVALID")
            return MarkupSpec(keyboard=keyboard)
        if value.get("remove_keyboard") is True:
            return MarkupSpec(remove_keyboard=True)
        if value.get("force_reply") is True:
            placeholder = value.get("input_field_placeholder")
            return MarkupSpec(
                force_reply=True, placeholder=placeholder if isinstance(placeholder, str) else None
            )
        raise bad(CANT_PARSE_MARKUP)

    @staticmethod
    def _apply_keyboard(chat: Chat, markup: MarkupSpec) -> None:
        if markup.keyboard is not None:
            chat.reply_keyboard = markup.keyboard
            chat.force_reply = False
        elif markup.remove_keyboard:
            chat.reply_keyboard = None
        elif markup.force_reply:
            chat.force_reply = True
            chat.force_reply_placeholder = markup.placeholder

    def _hide_one_time_keyboard(
        self, chat: Chat, predicate: Callable[[KeyboardButtonSpec], bool]
    ) -> None:
        keyboard = chat.reply_keyboard
        if keyboard is not None and keyboard.one_time and keyboard.has(predicate):
            chat.reply_keyboard = None

    def _new_callback_query(self, user_id: int, chat_id: int, message_id: int) -> str:
        query_id = f"{self.bot_id}{next(self._query_counter):09d}"
        self._queries[query_id] = CallbackQuery(
            query_id, user_id, message_id, time.monotonic(),
            chat_id=chat_id if chat_id != user_id else None,
        )
        return query_id

    async def _m_answer_callback_query(self, p: Params) -> bool:
        query = self._queries.get(p.str_opt("callback_query_id") or "")
        if (
            query is None
            or query.answered
            or time.monotonic() - query.created > self.callback_query_timeout
        ):
            raise bad(QUERY_TOO_OLD)
        text = p.str_opt("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_CHARS:
            raise bad("Bad Request: MESSAGE_TOO_LONG")
        url = p.str_opt("url")
        if url and not is_button_url(url):
            raise bad("Bad Request: URL_INVALID")
        query.answered = True
        answer = CallbackAnswer(text or None, p.bool_("show_alert"))
        self._answers.setdefault(query.user_id, []).append(answer)
        self._answer_seq += 1
        chat = self._chats[query.chat_id if query.chat_id is not None else query.user_id]
        chat.callback_answers.append((self._answer_seq, answer))
        self._bump(chat)
        return True
