"""Structured logs without the token or personal data, even at debug level."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from bot.config import ConfigError, load_settings
from bot.log_context import handling_update
from bot.logs import make_handler, redact
from tests.chat.test_registration import SECRETARY_ID, register, seed_branch
from tests.harness import Bot, running_bot

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
        with handling_update(42, "abcdef0123456789"):
            logger.warning('said "hi" with s3cr3t')
        logger.warning("outside any update")
    finally:
        logger.removeHandler(handler)
    line, outside = stream.getvalue().strip().splitlines()
    assert line.startswith("ts=") and " level=WARNING logger=bot.test_logs " in line
    assert " instance=abcdef01 update_id=42 msg=" in line
    assert 'msg="said \\"hi\\" with [redacted]"' in line
    assert re.search(r" instance=[0-9a-f]{8} msg=", outside) and "update_id" not in outside


def test_log_format_is_checked() -> None:
    with pytest.raises(ConfigError, match="BRANCHBOT_LOG_FORMAT: must be text, json or kv"):
        load_settings(log_format="xml")


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_lines_logged_while_handling_an_update_carry_its_id_and_the_instance(
    database_url: str, log_format: str
) -> None:
    stream = io.StringIO()
    handler = make_handler(log_format, stream=stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        # Two updates allowed, then one every 100 s: the third is throttled, and logged.
        async for bot in running_bot(database_url, flood_burst=2, flood_rate_per_second=0.01):
            assert bot.app is not None and bot.app.instance_id
            instance = bot.app.instance_id[:8]
            bot.person(1001, "Flo", language_code="en")
            ids = [bot.emulator.send_text(1001, f"/help {n}") for n in range(4)]
            await bot.settle()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    lines = stream.getvalue().splitlines()
    assert lines
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        assert all(re.fullmatch("[0-9a-f]{8}", entry["instance"]) for entry in entries), lines
        (throttled,) = [e for e in entries if "throttling" in e["msg"]]
        assert (throttled["instance"], throttled["update_id"]) == (instance, ids[2])
        assert not [e for e in entries if "update_id" in e and e is not throttled
                    and e["logger"].startswith("apscheduler")]  # jobs belong to no update
    else:
        assert all(re.search(r" \[instance=[0-9a-f]{8}[] ]", line) for line in lines), lines
        (throttled,) = [line for line in lines if "throttling" in line]
        assert f" handlers.throttle [instance={instance} update_id={ids[2]}]: " in throttled
