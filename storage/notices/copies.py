"""A notice's copies in the outbox: their kinds, keys and subject, and the messages a notice is
sent as (split once when it is confirmed, stored in notices.parts)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import notices as rules
from storage.models import Notice, NoticeRecipient

KIND = "notice"
REMIND_KIND = "notice_remind"
WITHDRAWN_KIND = "notice_withdrawn"
GROUP_KIND = "notice_group"  # the notice posted in a linked group chat (issue 18)


def subject_of(notice_id: int) -> str:
    return f"notice:{notice_id}"


def key_of(notice_id: int, person_id: int) -> str:
    return f"notice:{notice_id}:{person_id}"


def group_key(notice_id: int, chat_id: int) -> str:
    return f"notice:{notice_id}:group:{chat_id}"


def notice_of_key(key: str) -> int | None:
    """The notice a copy's key names (key_of); None for any other key."""
    prefix, _, rest = key.partition(":")
    notice_id, _, person_id = rest.partition(":")
    if prefix != "notice" or not notice_id.isdigit() or not person_id.isdigit():
        return None
    return int(notice_id)


SPLIT_INLINE = 4096  # characters of HTML: longer texts are split in a worker thread


async def plan_messages(text_html: str, attachments: list[dict[str, Any]] | None
                ) -> list[rules.Step]:
    """The messages a recipient gets; a long text is split off the event loop."""
    if len(text_html) <= SPLIT_INLINE:
        return rules.delivery_steps(text_html, attachments)
    return await asyncio.to_thread(rules.delivery_steps, text_html, attachments)


async def planned_steps(session: AsyncSession, keys: Sequence[str]
                        ) -> dict[str, list[rules.Step]]:
    """For the keys of notice copies: the messages stored when the notice was confirmed
    (one query for a courier's batch; notices confirmed before they were stored have none)."""
    wanted = {key: notice_of_key(key) for key in keys}
    ids = {i for i in wanted.values() if i is not None}
    if not ids:
        return {}
    rows = await session.execute(
        select(Notice.id, Notice.parts).where(Notice.id.in_(ids), Notice.parts.is_not(None))
    )
    steps = {int(i): [rules.Step.from_json(p) for p in parts] for i, parts in rows.all()}
    return {key: steps[i] for key, i in wanted.items() if i in steps}


def _row_key() -> Any:
    return (
        literal("notice:") + cast(NoticeRecipient.notice_id, String) + literal(":")
        + cast(NoticeRecipient.person_id, String)
    )
