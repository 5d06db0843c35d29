"""Bot API parameters as a request carries them (query string, JSON, form or multipart),
read with Telegram's coercions."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from .state import JSON, WRONG_FILE_ID, Upload, bad


class Params:
    """Bot API parameters from JSON, form, multipart or query, with Telegram's coercions."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def present(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def str_opt(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def int_opt(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value.strip())
        raise bad(f'Bad Request: field "{name}" must be of type Integer')

    def float_opt(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return float(value.strip())
        raise bad(f'Bad Request: field "{name}" must be of type Float')

    def bool_(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return False

    def json_opt(self, name: str, error: str) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad(error) from exc
        return value

    def file(self, name: str) -> Upload | str | None:
        if name in self.uploads:
            return self.uploads[name]
        value = self.str_opt(name)
        if value is None or value == "":
            return None
        if value.startswith("attach://"):
            upload = self.uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad(WRONG_FILE_ID)
            return upload
        return value


# A Bot API method of the emulator: its parameters in, the JSON ``result`` out.
Handler = Callable[[Params], Coroutine[Any, Any, Any]]


async def read_params(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """The values and uploads of a Bot API request, whichever way it sent them."""
    values: JSON = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return values, uploads
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad("Bad Request: can't parse JSON encoded request") from exc
        if body is not None:
            if not isinstance(body, dict):
                raise bad("Bad Request: can't parse JSON encoded request")
            values.update(body)
        return values, uploads
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            uploads[name] = Upload(value.file.read(), value.filename, value.content_type)
        else:
            values[name] = value
    return values, uploads
