"""What every Mini App form shares: its page shell, who is asking (the signed initData, checked
again on every request) and its routes. A form declares its path, its title and the values
the chat's button passes on (ids), and writes `form` (GET) and `submit` (POST)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from aiohttp import web
from multidict import MultiMapping

from bot.web.forms.fields import number
from bot.web.miniapp import INIT_HEADER, MiniApps
from rules.permissions import Actor

if TYPE_CHECKING:
    from bot.application import BranchApplication

Posted = Mapping[str, object]


class FormPage:
    """One form: GET its shell and its form, POST it; bound to the Mini Apps' shared checks."""

    path: ClassVar[str]
    title: ClassVar[str]
    passed_on: ClassVar[str | tuple[str, ...] | None] = None  # the chat's button's ids

    def __init__(self, apps: MiniApps) -> None:
        self.apps = apps
        self.application: BranchApplication = apps.application

    async def shell(self, request: web.Request) -> web.StreamResponse:
        """GET <path>[?<passed_on>=N]: the page; its script fetches the form with initData."""
        names = (self.passed_on,) if isinstance(self.passed_on, str) else self.passed_on or ()
        values = [(name, number(request.query.get(name))) for name in names]
        query = "&".join(f"{name}={value}" for name, value in values if value is not None)
        return self.apps.shell_of(request, self.title,
                                  self.path + "/form" + (f"?{query}" if query else ""))

    async def signed(self, request: web.Request) -> Actor | web.Response:
        """The actor of a GET (initData in the header), or the page saying who is unknown."""
        user = self.apps.user_of(request.headers.get(INIT_HEADER))
        if user is None:
            return self.apps.unsigned(request, self.title)
        return await self.apps.actor_of(user)

    async def posted(self, request: web.Request) -> tuple[Actor, Posted] | web.Response:
        """The actor of a POST (initData among the fields) and what was posted."""
        try:
            posted: Posted = await request.post()
        except (UnicodeDecodeError, ValueError):
            posted = {}
        user = self.apps.user_of(posted.get("initData"))
        if user is None:
            return self.apps.unsigned(request, self.title)
        return await self.apps.actor_of(user), posted

    async def form(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    async def submit(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_get(self.path, self.shell)
        web_app.router.add_get(self.path + "/form", self.form)
        web_app.router.add_post(self.path, self.submit)


def texts(posted: Posted, names: tuple[str, ...], limit: int) -> dict[str, str]:
    """The posted text fields, each cut to `limit` characters ("" when missing)."""
    return {name: (raw if isinstance(raw := posted.get(name), str) else "")[:limit]
            for name in names}


def every(posted: Posted, name: str) -> list[str]:
    """Every text posted under `name` (the ticked boxes of one name), in order."""
    found = posted.getall(name, []) if isinstance(posted, MultiMapping) else [posted.get(name)]
    return [value for value in found if isinstance(value, str)]
