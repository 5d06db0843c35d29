"""Which instance wrote a log line, and for which update: context variables and a filter.

Every line carries `instance` (the courier id of this process start, the id recorded in
courier_instances; its first 8 hex digits in the line) and, while an update is handled,
`update_id`. Context variables follow the update into every task it starts; the filter copies
them onto each record, where the formatters of bot/logs.py show them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

INSTANCE_CHARS = 8  # uuid4 hex: 8 digits tell a handful of instances apart
_update_id: ContextVar[int | None] = ContextVar("branchbot_update_id", default=None)
_instance: ContextVar[str | None] = ContextVar("branchbot_instance", default=None)
# This process start's id, from the first line on (migrations run before the bot is built):
# the first application built takes it as its courier's name (courier_instances).
PROCESS_INSTANCE = uuid.uuid4().hex
_process_instance_taken = False


def short_instance(name: str) -> str:
    return name[:INSTANCE_CHARS]


def take_process_instance() -> str | None:
    """The process's id for the first application built, None for later ones (tests build
    several in one process; each needs a courier of its own)."""
    global _process_instance_taken
    if _process_instance_taken:
        return None
    _process_instance_taken = True
    return PROCESS_INSTANCE


def current_instance() -> str:
    return _instance.get() or short_instance(PROCESS_INSTANCE)


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
