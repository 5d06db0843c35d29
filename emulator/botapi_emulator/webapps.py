"""Mini Apps (web_app buttons and the menu button) opened as Telegram opens them: the app's URL
with `#tgWebAppData=<initData>` signed with the bot token, for one person.

Telegram's rule (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
the data-check-string is the fields but `hash`, `key=value` sorted by key and joined by
newlines; `hash` is HMAC-SHA256 of it keyed with HMAC-SHA256("WebAppData", bot token).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from .control_http import ControlHttp
from .state import JSON

WEB_APP_VERSION = "7.10"
_query_ids = itertools.count(1)


def sign_init_data(token: str, fields: dict[str, str]) -> str:
    """initData of `fields` (values unencoded) with Telegram's `hash` added."""
    secret = hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    signed = hmac.new(secret, check.encode("utf-8"), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": signed}, quote_via=quote)


def web_app_urls(markup: JSON | None) -> list[tuple[str, str]]:
    """(label, url) of the web_app buttons of an inline or reply keyboard."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    found = []
    for row in rows:
        for button in row if isinstance(row, list) else ():
            app = button.get("web_app") if isinstance(button, dict) else None
            if isinstance(app, dict) and isinstance(app.get("url"), str):
                found.append((str(button.get("text", "")), app["url"]))
    return found


class WebApps(ControlHttp):
    """Signed Mini App URLs for tests and the chat page."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # A Mini App's public (https) origin -> where this machine serves it: the sandbox's
        # bot has no https address, so it names a made-up one and maps it to its web port.
        self.web_app_origins: dict[str, str] = {}

    def _served_at(self, url: str) -> str:
        for public, local in self.web_app_origins.items():
            if url == public or url.startswith(public.rstrip("/") + "/"):
                return local.rstrip("/") + url[len(public.rstrip("/")):]
        return url

    def web_app_init_data(self, user_id: int, *, auth_date: int | None = None) -> str:
        """What Telegram hands the app of `user_id` now (or signed at `auth_date`)."""
        user = self._require_user(user_id)
        fields = {
            "query_id": f"AAE{next(_query_ids):08d}",
            "user": json.dumps(
                {key: value for key, value in user.to_api().items() if key != "is_bot"},
                ensure_ascii=False, separators=(",", ":"),
            ),
            "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        }
        return sign_init_data(self.token, fields)

    def web_app_url(self, user_id: int, url: str, *, auth_date: int | None = None) -> str:
        """The URL the person's client opens for a web_app button (or menu button) to `url`."""
        init_data = self.web_app_init_data(user_id, auth_date=auth_date)
        base = self._served_at(url.split("#", 1)[0])
        return (f"{base}#tgWebAppData={quote(init_data, safe='')}"
                f"&tgWebAppVersion={WEB_APP_VERSION}&tgWebAppPlatform=web")

    def menu_button_of(self, user_id: int) -> JSON:
        """The menu button the person's chat shows (the chat's own, else the default)."""
        chat = self._chats.get(user_id)
        button = (chat.menu_button if chat is not None else None) or self._default_menu_button
        return dict(button or {"type": "commands"})

    def _add_webapp_routes(self, app: web.Application) -> None:
        app.router.add_post("/_emu/api/users/{user_id}/webapp", self._handle_web_app)
        app.router.add_get("/_emu/api/users/{user_id}/menu_button", self._handle_menu_button)

    async def _handle_web_app(self, request: web.Request) -> web.Response:
        """{"url": the app's URL} -> {"url": the URL with the person's signed initData}."""
        user = self._path_user(request)
        body = await self._json_body(request)
        url = body.get("url")
        if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
            return self._control_error(400, "url must be an http(s) URL")
        return web.json_response({"url": self.web_app_url(user.id, url)})

    async def _handle_menu_button(self, request: web.Request) -> web.Response:
        user = self._path_user(request)
        return web.json_response(self.menu_button_of(user.id))
