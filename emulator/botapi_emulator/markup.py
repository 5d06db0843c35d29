"""Reply markup as Telegram checks it: inline keyboards, reply keyboards, button URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .limits import MAX_CALLBACK_DATA_BYTES, MAX_INLINE_BUTTONS
from .public_types import InlineButton, KeyboardButtonSpec
from .state import JSON, ReplyKeyboard, bad

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

CANT_PARSE_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
CANT_PARSE_BUTTON = "Bad Request: can't parse inline keyboard button: "


def is_button_url(url: Any) -> bool:
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme.lower() == "tg" and bool(parts.netloc or parts.path)


def inline_rows(markup: JSON | None) -> list[list[InlineButton]]:
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
                    # A url button's link, or the page a web_app button opens.
                    url=raw.get("url") or (raw.get("web_app") or {}).get("url"),
                    kind=kind,
                )
            )
        rows.append(row)
    return rows


def validate_inline_keyboard(value: JSON) -> JSON:
    """An InlineKeyboardMarkup as Telegram accepts it (ApiError with its wording if not)."""
    rows = value["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad(
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be '
            "an Array of Arrays"
        )
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad("Bad Request: REPLY_MARKUP_TOO_LONG")
    clean_rows: list[list[JSON]] = []
    for row in rows:
        clean_row: list[JSON] = []
        for button in row:
            if not isinstance(button, dict):
                raise bad(CANT_PARSE_BUTTON + "InlineKeyboardButton must be an Object")
            text = button.get("text")
            if not isinstance(text, str):
                raise bad(CANT_PARSE_BUTTON + 'Field "text" must be of type String')
            if not text.strip():
                raise bad("Bad Request: BUTTON_TEXT_INVALID")
            actions = [k for k in INLINE_BUTTON_ACTIONS if button.get(k) is not None]
            if not actions:
                raise bad(
                    CANT_PARSE_BUTTON + "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad(
                    CANT_PARSE_BUTTON + "exactly one of the optional fields must be used, "
                    f"got {', '.join(actions)}"
                )
            action = actions[0]
            target = button[action]
            if action == "callback_data":
                if not isinstance(target, str) or not (
                    1 <= len(target.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise bad("Bad Request: BUTTON_DATA_INVALID")
            elif action == "url":
                if not is_button_url(target):
                    raise bad("Bad Request: BUTTON_URL_INVALID")
            elif action in ("web_app", "login_url"):
                url = target.get("url") if isinstance(target, dict) else None
                if not isinstance(url, str) or not url.lower().startswith("https://"):
                    raise bad("Bad Request: BUTTON_URL_INVALID")
            clean_row.append(dict(button))
        clean_rows.append(clean_row)
    return {"inline_keyboard": clean_rows}


def validate_reply_keyboard(value: JSON) -> ReplyKeyboard:
    """A ReplyKeyboardMarkup as Telegram accepts it (ApiError with its wording if not)."""
    rows = value["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad(
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
                raise bad(
                    "Bad Request: can't parse keyboard button: "
                    'Field "text" must be of type String'
                )
            if not button["text"].strip():
                raise bad("Bad Request: keyboard button text must be non-empty")
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
        raise bad("Bad Request: keyboard must be non-empty")
    placeholder = value.get("input_field_placeholder")
    return ReplyKeyboard(
        rows=parsed,
        one_time=bool(value.get("one_time_keyboard")),
        resize=bool(value.get("resize_keyboard")),
        persistent=bool(value.get("is_persistent")),
        placeholder=placeholder if isinstance(placeholder, str) else None,
    )
