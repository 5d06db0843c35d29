"""Stored files on the web: GET /dashboard/files/<id> serves a file from the project's file
store (issue 19) with its type, to the people allowed to see it (storage/files/access.py:
admins, the leaders of its branch and above, the member whose training record holds it).

Everyone else gets a 404, never a 403: no sign-in, another branch, an unknown id and a file
not stored yet look the same, so nothing is learnt about which files exist.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from bot.web.dashboard import COOKIE, MAX_ROW_ID, ascii_number
from bot.web.tables import FILE_PATH
from storage import files, web_sessions
from storage.people import load_actor

if TYPE_CHECKING:
    from bot.application import BranchApplication

logger = logging.getLogger(__name__)

PATH = FILE_PATH
# The browser shows the file as its own document: no scripts, nothing loaded, no framing.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline';"
    " sandbox; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "private, no-store",
    "X-Frame-Options": "DENY",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def disposition(name: str | None, stored_id: int) -> str:
    """inline, with an ASCII fallback name and the real one (RFC 6266 filename*)."""
    real = name or f"file-{stored_id}"
    fallback = _SAFE_NAME.sub("_", real) or f"file-{stored_id}"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(real)}"


class FileRoutes:
    def __init__(self, application: BranchApplication) -> None:
        self.application = application

    async def serve(self, request: web.Request) -> web.StreamResponse:
        stored_id = ascii_number(request.match_info["file_id"], MAX_ROW_ID)
        raw = request.cookies.get(COOKIE)
        settings = self.application.settings
        if stored_id is None or raw is None:
            raise web.HTTPNotFound()
        async with self.application.database.session() as session:
            signed = await web_sessions.session_of(session, raw, now=self.application.now())
            if signed is None:
                raise web.HTTPNotFound()
            actor = await load_actor(session, signed.telegram_id, admins=settings.admins,
                                     language="zh")
            row = await files.visible_file(session, stored_id, actor)
            if row is None:
                logger.info("stored file %s refused or missing for person %s", stored_id,
                            actor.person_id)
                raise web.HTTPNotFound()
            sha256, mime, name = row.sha256, row.mime_type, row.file_name
        assert sha256 is not None  # visible_file returns stored rows only
        data = await self.application.file_store.get(sha256)
        if data is None:
            logger.error("stored file %s: its bytes (%s) are missing from the store", stored_id,
                         sha256)
            raise web.HTTPNotFound()
        response = web.Response(
            body=data, content_type=mime or "application/octet-stream",
            headers={"Content-Disposition": disposition(name, stored_id), **HEADERS},
        )
        return response


def setup_files(web_app: web.Application, application: BranchApplication) -> None:
    web_app.router.add_get(PATH, FileRoutes(application).serve)
