"""Text messages: formatting and entities, replies, sends, edits, deletions, chat actions."""

from __future__ import annotations

import time
from typing import Any

from .html_entities import EntityParseError, parse_formatted, trim_formatted, utf16_len
from .keyboards import Keyboards
from .limits import MAX_CAPTION_UTF16, MAX_TEXT_UTF16
from .params import Handler, Params
from .state import BLOCKED, JSON, ApiError, Chat, Message, bad, unix_now

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

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class Messages(Keyboards):
    """sendMessage, sendLocation, sendChatAction, the edits and the deletions."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "sendMessage": self._m_send_message,
            "sendLocation": self._m_send_location,
            "sendChatAction": self._m_send_chat_action,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
        }

    # ----------------------------------------------------------------------------------
    # Formatting, replies, new messages
    # ----------------------------------------------------------------------------------

    def _format(
        self,
        p: Params,
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
            raise bad("Bad Request: message text is empty")
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
            raise bad(f"Bad Request: can't parse entities: {exc}") from exc
        except ValueError as exc:
            raise bad("Bad Request: unsupported parse_mode") from exc
        if caption:
            if utf16_len(text) > MAX_CAPTION_UTF16:
                raise bad("Bad Request: message caption is too long")
        else:
            if not text:
                raise bad("Bad Request: message text is empty")
            if utf16_len(text) > MAX_TEXT_UTF16:
                raise bad("Bad Request: message is too long")
        return text, entities, source, parse_mode

    @staticmethod
    def _validate_entities(raw: Any, text: str, field_name: str) -> list[JSON]:
        if not isinstance(raw, list):
            raise bad(f"Bad Request: can't parse {field_name} JSON object")
        total = utf16_len(text)
        entities: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                raise bad(
                    'Bad Request: can\'t parse MessageEntity: Field "type" must be of type String'
                )
            offset, length = item.get("offset"), item.get("length")
            if not isinstance(offset, int) or not isinstance(length, int):
                raise bad(
                    "Bad Request: can't parse MessageEntity: "
                    'Field "offset" must be of type Integer'
                )
            if offset < 0 or length <= 0 or offset + length > total:
                raise bad("Bad Request: entity is out of the text bounds")
            entities.append(dict(item))
        return sorted(entities, key=lambda e: (e["offset"], -e["length"]))

    def _reply_to(self, chat: Chat, p: Params) -> int | None:
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
            raise bad("Bad Request: message to be replied not found")
        return target

    def _new_bot_message(self, chat: Chat, kind: str, **values: Any) -> Message:
        msg = Message(
            chat_id=chat.user_id,
            message_id=chat.take_message_id(),
            from_bot=True,
            date=unix_now(),
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

    # ----------------------------------------------------------------------------------
    # Bot API methods
    # ----------------------------------------------------------------------------------

    async def _m_send_message(self, p: Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        text, entities, source, parse_mode = self._format(
            p, text_field="text", mode_field="parse_mode", entities_field="entities", caption=False
        )
        markup = self._parse_markup(p, chat, inline_only=False)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat.user_id, paid=p.bool_("allow_paid_broadcast"))
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

    async def _m_send_location(self, p: Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        latitude = p.float_opt("latitude")
        longitude = p.float_opt("longitude")
        if latitude is None or not -90 <= latitude <= 90:
            raise bad("Bad Request: wrong latitude specified")
        if longitude is None or not -180 <= longitude <= 180:
            raise bad("Bad Request: wrong longitude specified")
        markup = self._parse_markup(p, chat, inline_only=False)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat.user_id, paid=p.bool_("allow_paid_broadcast"))
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

    async def _m_send_chat_action(self, p: Params) -> bool:
        chat, _ = self._sendable_chat(p)
        action = p.str_opt("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad("Bad Request: wrong parameter action in request")
        chat.chat_action = (action, time.monotonic())
        self._bump(chat)
        return True

    def _editable_message(self, p: Params) -> tuple[Chat, Message]:
        if p.present("inline_message_id"):
            raise bad("Bad Request: MESSAGE_ID_INVALID")
        chat, user = self._known_chat(p)
        if user is not None and user.blocked:
            raise ApiError(403, BLOCKED)
        message_id = p.int_opt("message_id")
        if message_id is None:
            raise bad("Bad Request: message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad("Bad Request: message to edit not found")
        if not msg.from_bot:
            raise bad("Bad Request: message can't be edited")
        return chat, msg

    async def _m_edit_message_text(self, p: Params) -> JSON:
        chat, msg = self._editable_message(p)
        if msg.kind != "text":
            raise bad("Bad Request: there is no text in the message to edit")
        text, entities, source, parse_mode = self._format(
            p, text_field="text", mode_field="parse_mode", entities_field="entities", caption=False
        )
        markup = self._parse_markup(p, chat, inline_only=True)
        # Telegram drops the inline keyboard when an edit doesn't repeat it.
        if text == msg.text and entities == msg.entities and markup.inline == msg.markup:
            raise bad(NOT_MODIFIED)
        self._check_flood(chat.user_id)
        msg.text, msg.entities, msg.source, msg.parse_mode = text, entities, source, parse_mode
        msg.markup = markup.inline
        msg.edit_date = unix_now()
        self._bump(chat)
        return self._message_json(msg)

    async def _m_edit_message_caption(self, p: Params) -> JSON:
        chat, msg = self._editable_message(p)
        if msg.kind not in ("photo", "document"):
            raise bad("Bad Request: there is no caption in the message to edit")
        text, entities, source, parse_mode = self._format(
            p,
            text_field="caption",
            mode_field="parse_mode",
            entities_field="caption_entities",
            caption=True,
        )
        markup = self._parse_markup(p, chat, inline_only=True)
        if text == msg.text and entities == msg.entities and markup.inline == msg.markup:
            raise bad(NOT_MODIFIED)
        self._check_flood(chat.user_id)
        msg.text, msg.entities, msg.source, msg.parse_mode = text, entities, source, parse_mode
        msg.markup = markup.inline
        msg.edit_date = unix_now()
        self._bump(chat)
        return self._message_json(msg)

    async def _m_edit_message_reply_markup(self, p: Params) -> JSON:
        chat, msg = self._editable_message(p)
        markup = self._parse_markup(p, chat, inline_only=True)
        if markup.inline == msg.markup:
            raise bad(NOT_MODIFIED)
        self._check_flood(chat.user_id)
        msg.markup = markup.inline
        msg.edit_date = unix_now()
        self._bump(chat)
        return self._message_json(msg)

    async def _m_delete_message(self, p: Params) -> bool:
        chat, _ = self._known_chat(p)
        message_id = p.int_opt("message_id")
        if message_id is None:
            raise bad("Bad Request: message identifier is not specified")
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted:
            raise bad("Bad Request: message to delete not found")
        msg.deleted = True
        self._bump(chat)
        return True

    async def _m_delete_messages(self, p: Params) -> bool:
        chat, _ = self._known_chat(p)
        ids = p.json_opt("message_ids", "Bad Request: can't parse message_ids JSON array")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad("Bad Request: message_ids must be a non-empty Array of at most 100 Integers")
        for message_id in ids:
            msg = chat.messages.get(message_id) if isinstance(message_id, int) else None
            if msg is not None:
                msg.deleted = True
        self._bump(chat)
        return True
