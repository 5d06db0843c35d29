"""Photos, documents and files: uploads, sends by file_id or URL, getFile and downloads."""

from __future__ import annotations

import io
import mimetypes
import secrets

from aiohttp import web

from .limits import MAX_DOWNLOAD_BYTES, MAX_PHOTO_BYTES, MAX_UPLOAD_BYTES
from .messages import Messages
from .params import Handler, Params
from .state import JSON, WRONG_FILE_ID, ApiError, StoredFile, Upload, bad


def image_size(data: bytes) -> tuple[int, int] | None:
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


class Media(Messages):
    """sendPhoto, sendDocument, getFile, the file store and the download route."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "sendPhoto": self._m_send_photo,
            "sendDocument": self._m_send_document,
            "getFile": self._m_get_file,
        }

    def _store_file(
        self,
        data: bytes,
        kind: str,
        mime_type: str,
        file_name: str | None,
        size: tuple[int, int] | None,
    ) -> StoredFile:
        number = next(self._file_counter)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        file_id = f"{prefix}EMU{number}_{secrets.token_urlsafe(12)}"
        unique = f"AQAD{number}{secrets.token_hex(4)}"
        extension = mimetypes.guess_extension(mime_type) or ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
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

    def _file_param(self, p: Params, name: str, kind: str) -> Upload | StoredFile:
        value = p.file(name)
        if value is None:
            raise bad(f"Bad Request: there is no {name} in the request")
        if isinstance(value, Upload):
            if not value.data:
                raise bad("Bad Request: file must be non-empty")
            limit = MAX_PHOTO_BYTES if kind == "photo" else MAX_UPLOAD_BYTES
            if len(value.data) > limit:
                raise ApiError(413, "Request Entity Too Large")
            return value
        stored = self._files.get(value)
        if stored is not None:
            if stored.kind != kind:
                raise bad("Bad Request: type of file mismatch")
            return stored
        if value.lower().startswith(("http://", "https://")):
            # No internet here: remember the URL as an empty placeholder file.
            mime = mimetypes.guess_type(value)[0] or (
                "image/jpeg" if kind == "photo" else "application/octet-stream"
            )
            name_part = value.rsplit("/", 1)[-1] or None
            return self._store_file(b"", kind, mime, name_part, (0, 0))
        raise bad(WRONG_FILE_ID)

    async def _m_send_photo(self, p: Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        photo = self._file_param(p, "photo", "photo")
        text, entities, source, parse_mode = self._format(
            p,
            text_field="caption",
            mode_field="parse_mode",
            entities_field="caption_entities",
            caption=True,
        )
        markup = self._parse_markup(p, chat, inline_only=False)
        reply_to = self._reply_to(chat, p)
        if isinstance(photo, Upload):
            size = image_size(photo.data)
            if size is None:
                raise bad("Bad Request: IMAGE_PROCESS_FAILED")
        self._check_flood(chat.user_id, paid=p.bool_("allow_paid_broadcast"))
        if isinstance(photo, Upload):
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

    async def _m_send_document(self, p: Params) -> JSON:
        chat, _ = self._sendable_chat(p)
        document = self._file_param(p, "document", "document")
        text, entities, source, parse_mode = self._format(
            p,
            text_field="caption",
            mode_field="parse_mode",
            entities_field="caption_entities",
            caption=True,
        )
        markup = self._parse_markup(p, chat, inline_only=False)
        reply_to = self._reply_to(chat, p)
        self._check_flood(chat.user_id, paid=p.bool_("allow_paid_broadcast"))
        if isinstance(document, Upload):
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

    async def _m_get_file(self, p: Params) -> JSON:
        stored = self._files.get(p.str_opt("file_id") or "")
        if stored is None:
            raise bad("Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad("Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _handle_file_download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return self._error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)
