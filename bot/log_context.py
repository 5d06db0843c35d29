"""Which instance wrote a log line, and for which update: context variables and a filter.

Every line carries `instance` (the courier id of this process start, the id recorded in
courier_instances; its first 8 hex digits in the line) and, while an update is handled,
`update_id`. Context variables follow the update into every task it starts; the filter copies
them onto each record, where the formatters of bot/logs.py show them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

INSTANCE_CHARS = 8  # uuid4 hex: 8 digits tell a handful of instances apart
_update_id: ContextVar[int | None] = ContextVar("branchbot_update_id", default=None)
_instance: ContextVar[str | None] = ContextVar("branchbot_instance", default=None)
# Lines outside any update (start-up, jobs, the web server) name the process's instance.
_process_instance: str | None = None


def short_instance(name: str) -> str:
    return name[:INSTANCE_CHARS]


def set_process_instance(name: str) -> None:
    """The instance named on lines that no update's context names (one per process start)."""
    global _process_instance
    _process_instance = short_instance(name)


def current_instance() -> str | None:
    return _instance.get() or _process_instance


def current_update_id() -> int | None:
    return _update_id.get()


@contextmanager
def handling_update(update_id: int | None, instance: str | None = None) -> Iterator[None]:
    """Lines logged inside (and in tasks started inside) carry this update id and instance."""
    update_token = _update_id.set(update_id)
    instance_token = _instance.set(short_instance(instance) if instance else _instance.get())
    try:
        yield
    finally:
        _instance.reset(instance_token)
        _update_id.reset(update_token)


class ContextFilter(logging.Filter):
    """Puts `instance` and `update_id` on every record (None when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "instance"):
            record.instance = current_instance()
        if not hasattr(record, "update_id"):
            record.update_id = current_update_id()
        return True
