"""No Telegram user id in the log at INFO and above: registration, a refusal, forged presses
and a member who blocked the bot, logged through the bot's own handler as operators see it."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.logs import make_handler
from handlers.kit.pseudonyms import pseudonym
from storage import outbox
from storage.outbox import Planned
from tests.chat.test_registration import SECRETARY_ID, register, seed_branch
from tests.harness import ADMIN_ID, Bot

ALICE = 7_123_456_789  # Telegram ids are 64-bit
STRANGER = 5_555_555_555
T0 = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, through the bot's text handler."""
    stream = io.StringIO()
    handler = make_handler("text", stream=stream)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_no_telegram_user_id_reaches_the_log(bot: Bot, logged: io.StringIO) -> None:
    assert bot.app is not None
    _, code = await seed_branch(bot)
    secretary = bot.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    alice = bot.person(ALICE, "Alice")
    await register(bot, alice, code, name="王丽", phone="+8613800001234")

    # A stranger presses the approval button they saw somewhere, and forges others.
    stranger = bot.person(STRANGER, "Mallory", language_code="en")
    await stranger.say("/help")
    approve = next(b.callback_data for row in secretary.last.inline_keyboard for b in row
                   if b.callback_data and b.callback_data.startswith("apv:y"))
    await stranger.forge(approve)
    await stranger.forge("mem:card:²")
    await stranger.forge("org:card:99999999999999999999")
    assert stranger.alerts()

    # Alice blocks the bot: the decision cannot reach her, nor a reminder from the outbox.
    bot.emulator.block(ALICE)
    await secretary.tap("✅ 批准")
    assert "已批准" in secretary.last_text
    bot.app.courier.clock = lambda: T0
    async with bot.app.database.session() as session:
        await outbox.enqueue(session, [Planned(key="privacy", kind="test", chat_id=ALICE,
                                               text="hello", due_at=T0, expires_at=None)])
    await bot.app.courier.deliver_due()

    output = logged.getvalue()
    assert "refused" in output and "forged or stale callback data" in output
    assert "could not message" in output and "unreachable" in output
    for telegram_id in (ALICE, STRANGER, SECRETARY_ID, ADMIN_ID):
        assert not re.search(rf"(?<!\d){telegram_id}(?!\d)", output), (telegram_id, output)
    assert pseudonym(STRANGER) in output  # lines still tell one person's actions apart
