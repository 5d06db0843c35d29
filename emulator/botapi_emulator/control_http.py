"""The chat page and the control HTTP API under /_emu/ it drives: people, their chats,
bursts."""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from .public_types import ChatEntry, EmuUser
from .reading import Reading
from .state import JSON, Upload, parse_chat_id

STATIC_DIR = Path(__file__).with_name("static")


class ControlHttp(Reading):
    """Serves the chat page and lets it act as people over HTTP."""

    def _add_control_routes(self, app: web.Application) -> None:
        """The chat page, its static files, and the /_emu/api routes it drives."""
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
        app.router.add_get("/_emu/api/stats", self._handle_stats)

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

    async def _handle_stats(self, request: web.Request) -> web.Response:
        """Flood refusals and what paid broadcasts cost, for benchmarks in another process."""
        return web.json_response({
            "flood_refusals": self.flood_refusals, "paid_messages": self.paid_messages,
            "stars_spent": str(self.stars_spent),
        })

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
        user_id = parse_chat_id(request.match_info["user_id"])
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

    # ----------------------------------------------------------------------------------
    # People
    # ----------------------------------------------------------------------------------

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
        user_id = parse_chat_id(body.get("id"))
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
        message_id = parse_chat_id(body.get("message_id"))
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

    async def _read_upload(self, request: web.Request) -> tuple[Upload, str | None]:
        form = await request.post()
        upload: Upload | None = None
        for name in ("file", "photo", "document"):
            value = form.get(name)
            if isinstance(value, web.FileField):
                upload = Upload(value.file.read(), value.filename, value.content_type)
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

    async def _handle_burst(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        raw = body.get("texts")
        if not isinstance(raw, dict) or not raw:
            return self._control_error(400, "texts must map user ids to texts")
        texts: dict[int, str] = {}
        for key, text in raw.items():
            user_id = parse_chat_id(key)
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

    # ----------------------------------------------------------------------------------
    # Chats
    # ----------------------------------------------------------------------------------

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
        chat_id = parse_chat_id(request.match_info["chat_id"])
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None or chat_id is None or chat_id not in self._users:
            return self._control_error(404, "unknown chat")
        since, wait = self._wait_param(request)
        await self._long_poll(lambda: chat.version > since, wait)
        return web.json_response(self.chat_state(chat_id))
