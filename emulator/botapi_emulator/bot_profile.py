"""The bot's own profile: getMe, getChat, commands by scope and language, the menu button,
descriptions and names."""

from __future__ import annotations

import re

from .limits import MAX_COMMANDS
from .params import Handler, Params
from .state import CHAT_NOT_FOUND, JSON, bad, parse_chat_id
from .webhook_delivery import WebhookDelivery

COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_CODE_RE = re.compile(r"[a-z]{2}")


class BotProfile(WebhookDelivery):
    """What the bot says about itself, and the chats it can look up."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "getMe": self._m_get_me,
            "close": self._m_true,
            "logOut": self._m_true,
            "getChat": self._m_get_chat,
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
        }

    async def _m_true(self, p: Params) -> bool:
        return True

    async def _m_get_me(self, p: Params) -> JSON:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.group_privacy,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_chat(self, p: Params) -> JSON:
        chat, user = self._known_chat(p)
        if user is None:
            return {**self._groups[chat.user_id].chat_api(), "accent_color_id": 0,
                    "max_reaction_count": 11}
        if not user.started:
            # Telegram knows nothing about people who never talked to the bot.
            raise bad(CHAT_NOT_FOUND)
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

    # ----------------------------------------------------------------------------------
    # Commands
    # ----------------------------------------------------------------------------------

    def _command_scope(self, p: Params) -> tuple[str, int | None, int | None]:
        scope = p.json_opt("scope", "Bad Request: can't parse BotCommandScope JSON object")
        if scope is None:
            return ("default", None, None)
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad("Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind, None, None)
        if kind not in ("chat", "chat_administrators", "chat_member"):
            raise bad("Bad Request: wrong BotCommandScope type specified")
        chat_id = parse_chat_id(scope.get("chat_id"))
        if chat_id is None or chat_id not in self._users:
            raise bad(CHAT_NOT_FOUND)
        if kind != "chat_member":
            return (kind, chat_id, None)
        user_id = parse_chat_id(scope.get("user_id"))
        if user_id is None:
            raise bad("Bad Request: user not found")
        return (kind, chat_id, user_id)

    @staticmethod
    def _language(p: Params) -> str:
        language = p.str_opt("language_code") or ""
        if language and not LANGUAGE_CODE_RE.fullmatch(language):
            raise bad("Bad Request: LANG_CODE_INVALID")
        return language

    async def _m_set_my_commands(self, p: Params) -> bool:
        raw = p.json_opt("commands", "Bad Request: can't parse commands JSON object")
        if not isinstance(raw, list):
            raise bad("Bad Request: can't parse commands JSON object")
        if len(raw) > MAX_COMMANDS:
            raise bad("Bad Request: BOT_COMMANDS_TOO_MUCH")
        commands: list[JSON] = []
        for item in raw:
            if not isinstance(item, dict):
                raise bad("Bad Request: can't parse BotCommand JSON object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not COMMAND_NAME_RE.fullmatch(command):
                raise bad("Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append({"command": command, "description": description})
        key = (*self._command_scope(p), self._language(p))
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        self._bump()
        return True

    async def _m_get_my_commands(self, p: Params) -> list[JSON]:
        key = (*self._command_scope(p), self._language(p))
        return [dict(c) for c in self._commands.get(key, [])]

    async def _m_delete_my_commands(self, p: Params) -> bool:
        key = (*self._command_scope(p), self._language(p))
        self._commands.pop(key, None)
        self._bump()
        return True

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
    # Menu button, descriptions, names
    # ----------------------------------------------------------------------------------

    async def _m_set_chat_menu_button(self, p: Params) -> bool:
        button = p.json_opt("menu_button", "Bad Request: can't parse menu button JSON object")
        if button is not None:
            if not isinstance(button, dict) or button.get("type") not in (
                "commands",
                "web_app",
                "default",
            ):
                raise bad("Bad Request: can't parse menu button JSON object")
            if button["type"] == "web_app":
                web_app = button.get("web_app")
                url = web_app.get("url") if isinstance(web_app, dict) else None
                if not isinstance(button.get("text"), str) or not isinstance(url, str):
                    raise bad("Bad Request: can't parse menu button JSON object")
                if not url.lower().startswith("https://"):
                    raise bad("Bad Request: BUTTON_URL_INVALID")
        if p.present("chat_id"):
            chat, _ = self._known_chat(p)
            chat.menu_button = button
            self._bump(chat)
        else:
            self._default_menu_button = button
            self._bump()
        return True

    async def _m_get_chat_menu_button(self, p: Params) -> JSON:
        default = self._default_menu_button or {"type": "commands"}
        if p.present("chat_id"):
            chat, _ = self._known_chat(p)
            return dict(chat.menu_button or default)
        return dict(default)

    def _set_text_setting(
        self, p: Params, store: dict[str, str], field_name: str, limit: int, error: str
    ) -> bool:
        language = self._language(p)
        value = p.str_opt(field_name) or ""
        if len(value) > limit:
            raise bad(error)
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        self._bump()
        return True

    async def _m_set_my_description(self, p: Params) -> bool:
        return self._set_text_setting(
            p, self._descriptions, "description", 512, "Bad Request: BOT_ABOUT_INVALID"
        )

    async def _m_get_my_description(self, p: Params) -> JSON:
        language = self._language(p)
        text = self._descriptions.get(language, self._descriptions.get("", ""))
        return {"description": text}

    async def _m_set_my_short_description(self, p: Params) -> bool:
        return self._set_text_setting(
            p, self._short_descriptions, "short_description", 120, "Bad Request: BOT_ABOUT_INVALID"
        )

    async def _m_get_my_short_description(self, p: Params) -> JSON:
        language = self._language(p)
        text = self._short_descriptions.get(language, self._short_descriptions.get("", ""))
        return {"short_description": text}

    async def _m_set_my_name(self, p: Params) -> bool:
        return self._set_text_setting(p, self._names, "name", 64, "Bad Request: BOT_TITLE_INVALID")

    async def _m_get_my_name(self, p: Params) -> JSON:
        language = self._language(p)
        return {"name": self._names.get(language, self._names.get("", self.bot_first_name))}
