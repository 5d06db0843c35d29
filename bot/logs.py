"""Log output: text, JSON or key=value lines, never the bot token and no personal data.

The token sits in every Bot API URL (PTB logs its base URL at debug level, a network error may
quote a URL): every formatted line, tracebacks included, goes through `redact`. Libraries log
whole updates, request parameters and SQL arguments at debug level (names, phone numbers,
message text): for loggers outside our own packages, arguments that are objects rather than
plain numbers or short words are replaced by a marker before the message is built.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from bot.log_context import ContextFilter
from handlers.kit.pseudonyms import set_pseudonym_key

OUR_LOGGERS = ("bot", "handlers", "storage", "reminders", "rules", "branchbot", "bench")
REDACTED = "[redacted]"
# Any bot token, also one we were not told about (e.g. a test's or a mistyped one).
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{8,}")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_.:/-]{0,64}")  # method names, states, ids
# SQLAlchemy errors quote the statement's arguments (names, phone numbers) on their own line.
_SQL_PARAMETERS = re.compile(r"^\[parameters: .*$", re.MULTILINE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text without the given secrets or anything shaped like a bot token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _SQL_PARAMETERS.sub(f"[parameters: {REDACTED}]", text)
    return _TOKEN.sub(REDACTED, text)


def _ours(name: str) -> bool:
    return name.split(".", 1)[0] in OUR_LOGGERS


def _harmless(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    return isinstance(value, str) and bool(_PLAIN_WORD.fullmatch(value))


class PersonalDataFilter(logging.Filter):
    """Library records keep their message but lose arguments that may carry personal data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _ours(record.name) or not record.args:
            return True
        if isinstance(record.args, dict):
            record.args = {k: v if _harmless(v) else REDACTED for k, v in record.args.items()}
        else:
            record.args = tuple(a if _harmless(a) else REDACTED for a in record.args)
        return True


class _Redacting(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.render(record), self.secrets)

    def render(self, record: logging.LogRecord) -> str:
        raise NotImplementedError

    def _exception(self, record: logging.LogRecord) -> str | None:
        if record.exc_info:
            return self.formatException(record.exc_info)
        return None

    @staticmethod
    def _context(record: logging.LogRecord) -> list[tuple[str, str]]:
        """instance and update_id, where known (bot.log_context puts them on the record)."""
        pairs = []
        for key in ("instance", "update_id"):
            value = getattr(record, key, None)
            if value is not None:
                pairs.append((key, str(value)))
        return pairs

    @staticmethod
    def _time(record: logging.LogRecord) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(_Redacting):
    """`time LEVEL logger [instance=… update_id=…]: message`."""

    def render(self, record: logging.LogRecord) -> str:
        context = " ".join(f"{key}={value}" for key, value in self._context(record))
        where = f"{record.name} [{context}]" if context else record.name
        line = f"{self._time(record)} {record.levelname} {where}: {record.getMessage()}"
        exception = self._exception(record)
        return f"{line}\n{exception}" if exception else line


class JsonFormatter(_Redacting):
    """One JSON object a line: ts, level, logger, instance, update_id (where known), msg (and
    exc)."""

    def render(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._time(record),
            "level": record.levelname,
            "logger": record.name,
        }
        for key in ("instance", "update_id"):
            if getattr(record, key, None) is not None:
                entry[key] = getattr(record, key)
        entry["msg"] = record.getMessage()
        exception = self._exception(record)
        if exception:
            entry["exc"] = exception
        return json.dumps(entry, ensure_ascii=False)


class KeyValueFormatter(_Redacting):
    """`ts=... level=INFO logger=x msg="..."` (logfmt)."""

    def render(self, record: logging.LogRecord) -> str:
        pairs = [
            ("ts", self._time(record)),
            ("level", record.levelname),
            ("logger", record.name),
            *self._context(record),
            ("msg", record.getMessage()),
        ]
        exception = self._exception(record)
        if exception:
            pairs.append(("exc", exception))
        return " ".join(f"{key}={_logfmt(value)}" for key, value in pairs)


def _logfmt(value: str) -> str:
    if value and not any(c in value for c in ' "=\n\t\\'):
        return value
    return json.dumps(value, ensure_ascii=False)


FORMATTERS: dict[str, type[_Redacting]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "kv": KeyValueFormatter,
}


def make_handler(
    log_format: str, *, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """A stream handler with our formatter, the personal-data filter and the instance and
    update id of each line."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(FORMATTERS[log_format](secrets))
    handler.addFilter(PersonalDataFilter())
    handler.addFilter(ContextFilter())
    return handler


def configure_logging(
    log_format: str = "text", *, verbose: bool = False, secrets: Iterable[str] = ()
) -> None:
    """Replace the root handlers with one of ours; httpx's request lines stay quiet."""
    secrets = tuple(secrets)
    if secrets and secrets[0]:
        set_pseudonym_key(secrets[0])
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.addHandler(make_handler(log_format, secrets=secrets))
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # httpx logs every request with the URL, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs each run of the courier's and notices' frequent jobs: noise unless -v.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose else logging.WARNING)
