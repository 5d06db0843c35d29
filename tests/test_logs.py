"""Structured logs without the token or personal data, even at debug level."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import ConfigError, load_settings
from bot.logs import make_handler, redact
from tests.harness import Bot
from tests.test_registration import SECRETARY_ID, register, seed_branch

NAME = "王丽"
PHONE = "+8613800001234"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at debug level, through our JSON handler."""
    stream = io.StringIO()
    handler = make_handler("json", stream=stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_registration_leaves_no_token_name_or_phone_in_the_log(
    bot: Bot, captured: io.StringIO
) -> None:
    _, code = await seed_branch(bot)
    secretary = bot.person(SECRETARY_ID, "书记")
    await secretary.say("/start")
    member = bot.person(1001, "Alice")
    await register(bot, member, code, name=NAME, phone=PHONE)
    await secretary.tap("✅ 批准")
    assert "已批准" in secretary.last_text

    output = captured.getvalue()
    lines = output.splitlines()
    assert len(lines) > 20  # debug logging really ran (updates, API calls, SQL)
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert entries and {"ts", "level", "logger", "msg"} <= set(entries[0])
    token = bot.emulator.token
    for secret in (token, token.split(":", 1)[1], NAME, PHONE, PHONE[1:], "Alice"):
        assert secret not in output, secret


def test_redact_removes_tokens_and_given_secrets() -> None:
    line = "POST https://api.telegram.org/bot123456789:AAE-abc_DEF123456/sendMessage key=hunter2"
    cleaned = redact(line, ["hunter2"])
    assert "123456789:AAE" not in cleaned and "hunter2" not in cleaned
    assert "/sendMessage" in cleaned
    error = "IntegrityError\n[SQL: INSERT INTO people ...]\n[parameters: ('王丽', '+8613')]\n(x)"
    assert redact(error).splitlines() == [
        "IntegrityError", "[SQL: INSERT INTO people ...]", "[parameters: [redacted]]", "(x)"
    ]


def test_key_value_and_text_formats(capsys: pytest.CaptureFixture[str]) -> None:
    stream = io.StringIO()
    logger = logging.getLogger("bot.test_logs")
    handler = make_handler("kv", stream=stream, secrets=["s3cr3t"])
    logger.addHandler(handler)
    try:
        logger.warning('said "hi" with s3cr3t')
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().strip()
    assert line.startswith("ts=") and " level=WARNING logger=bot.test_logs " in line
    assert 'msg="said \\"hi\\" with [redacted]"' in line


def test_log_format_is_checked() -> None:
    with pytest.raises(ConfigError, match="BRANCHBOT_LOG_FORMAT: must be text, json or kv"):
        load_settings(log_format="xml")
