"""The file store through the chat (issue 19, "keep the evidence"): a member hands in a
certificate photo and a PDF, the fetcher downloads both in the background into the directory
store with their hash; a download that fails is retried while the chat goes on; the dashboard
serves a file to the people allowed to see it and a 404 to everyone else.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.web.dashboard import COOKIE, setup_dashboard
from bot.web.files import setup_files
from bot.web.tables import file_url
from storage import web_sessions
from storage.files import path_in
from storage.models import FileState, StoredFile, TrainingEvidence
from tests.chat.test_training_chat import (
    ALICE,
    BOB,
    PDF,
    SEC_A,
    SEC_B,
    build_world,
    joined,
    newest,
    png,
    press,
    say,
    send_document,
    send_photo,
    today,
    who,
)
from tests.harness import ADMIN_ID, Bot, running_bot

STRANGER = 750_999  # signed in, but nobody in any branch


@pytest.fixture
async def filebot(database_url: str, tmp_path: Path) -> AsyncIterator[Bot]:
    """The bot with its file fetcher running (tests elsewhere leave it to the planner's
    switch, off) and the directory store in this test's folder."""
    async for running in running_bot(database_url, fetch_files=True,
                                     file_dir=tmp_path / "files"):
        yield running


async def log_with_evidence(bot: Bot) -> list[str]:
    """Alice logs a training with a photo and a PDF; returns the two Telegram file ids."""
    alice = who(bot, ALICE)
    await say(alice, "/training")
    await press(alice, "➕ Log a training")
    await press(alice, "Concentrated training")
    await say(alice, "Party history course")
    await say(alice, "District Party School")
    await press(alice, "Today")
    assert "How many hours" in await press(alice, f"Same day ({today().isoformat()})")
    assert "Attach evidence" in await say(alice, "6")
    assert "Received: photo" in joined(await send_photo(bot, alice, png()))
    assert "Received: certificate.pdf" in joined(
        await send_document(bot, alice, PDF, "certificate.pdf"))
    await press(alice, "Done (2 files)")
    assert "Logged: Party history course" in await press(alice, "✅ Submit")
    assert bot.app is not None
    async with bot.app.database.session() as s:
        return list((await s.scalars(
            select(TrainingEvidence.telegram_file_id).order_by(TrainingEvidence.id))).all())


async def stored_rows(bot: Bot) -> list[StoredFile]:
    assert bot.app is not None
    async with bot.app.database.session() as s:
        return list((await s.scalars(select(StoredFile).order_by(StoredFile.id))).all())


async def until_settled(bot: Bot, states: set[FileState], limit: float = 15.0) -> list[StoredFile]:
    """The rows once every one is in `states` (the fetcher runs as a job: wait for it)."""
    deadline = asyncio.get_running_loop().time() + limit
    while True:
        rows = await stored_rows(bot)
        if rows and all(r.state in states for r in rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError([(r.state, r.last_error) for r in rows])
        await asyncio.sleep(0.1)


async def test_evidence_is_downloaded_and_stored_with_its_hash(
    filebot: Bot, tmp_path: Path
) -> None:
    bot = filebot
    await build_world(bot)
    file_ids = await log_with_evidence(bot)
    rows = await until_settled(bot, {FileState.STORED})
    assert [r.telegram_file_id for r in rows] == file_ids
    for row in rows:
        data = bot.emulator.file_bytes(row.telegram_file_id)
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        assert row.size_bytes == len(data) and row.stored_at is not None
        assert path_in(tmp_path / "files", row.sha256).read_bytes() == data
    assert [r.mime_type for r in rows] == ["image/jpeg", "application/pdf"]
    assert bot.emulator.call_count("getFile") == 2
    # Fetched once: a later pass finds nothing to do.
    assert bot.app is not None
    assert await bot.app.file_fetcher.fetch_due() == 0


async def test_a_failed_download_is_retried_and_the_chat_goes_on(filebot: Bot) -> None:
    bot = filebot
    assert bot.app is not None
    await build_world(bot)
    bot.emulator.inject_failure("getFile", status=500, times=2)
    await log_with_evidence(bot)
    rows = await stored_rows(bot)
    for _ in range(150):  # the wake after the submit has run (at most 15 s)
        if any(r.last_error for r in rows):
            break
        await asyncio.sleep(0.1)
        rows = await stored_rows(bot)
    # The chat answers as ever while the files wait for their retry.
    assert "My training in" in await say(who(bot, ALICE), "/training")
    failed = [r for r in rows if r.state is FileState.PENDING]
    assert failed and all(r.attempts == 1 and r.next_attempt_at is not None for r in failed)
    # The retry falls due by the bot's clock (the courier's, which tests move).
    later = bot.app.now() + timedelta(minutes=5)
    bot.app.courier.clock = lambda: later
    await bot.app.file_fetcher.fetch_due()
    rows = await until_settled(bot, {FileState.STORED})
    assert all(r.stored_at == later or r.attempts == 1 for r in rows)
    assert bot.app.file_fetcher.retried >= 1


async def test_a_file_store_that_is_down_delays_nothing_in_the_chat(
    filebot: Bot, tmp_path: Path
) -> None:
    """The store's folder is unusable (a plain file stands where it should be): every step of
    logging a training answers as ever, the files wait with the error, and once the folder is
    back the next pass keeps them."""
    bot = filebot
    assert bot.app is not None
    await build_world(bot)
    folder = tmp_path / "files"
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_bytes(b"not a folder")
    await log_with_evidence(bot)  # asserts every reply on the way
    assert "My training in" in await say(who(bot, ALICE), "/training")
    rows = await until_settled(bot, {FileState.PENDING})
    for _ in range(150):  # the fetcher's wake after the submit (a job, not the chat)
        if all(r.last_error for r in rows):
            break
        await asyncio.sleep(0.1)
        rows = await stored_rows(bot)
    assert all(r.last_error and r.next_attempt_at for r in rows), [r.last_error for r in rows]

    folder.unlink()  # the store is back
    later = bot.app.now() + timedelta(minutes=5)
    bot.app.courier.clock = lambda: later
    await bot.app.file_fetcher.fetch_due()
    rows = await until_settled(bot, {FileState.STORED})
    assert all(path_in(folder, r.sha256).is_file() for r in rows if r.sha256)


async def test_files_are_served_only_to_the_allowed(filebot: Bot) -> None:
    bot = filebot
    assert bot.app is not None
    world = await build_world(bot)
    await log_with_evidence(bot)
    photo, pdf = await until_settled(bot, {FileState.STORED})
    app = web.Application()
    setup_files(app, bot.app)
    setup_dashboard(app, bot.app)
    async with TestClient(TestServer(app)) as client:

        async def fetch(telegram_id: int | None, stored_id: int) -> tuple[int, bytes, str]:
            client.session.cookie_jar.clear()
            if telegram_id is not None:
                assert bot.app is not None
                async with bot.app.database.session() as s:
                    raw = await web_sessions.start_session(s, telegram_id, now=bot.app.now())
                client.session.cookie_jar.update_cookies({COOKIE: raw})
            response = await client.get(file_url(stored_id))
            return response.status, await response.read(), response.content_type

        for allowed in (ADMIN_ID, SEC_A, ALICE):  # an admin, her secretary, herself
            status, body, kind = await fetch(allowed, pdf.id)
            assert (status, body, kind) == (200, PDF, "application/pdf"), allowed
        status, body, kind = await fetch(SEC_A, photo.id)
        assert status == 200 and kind == "image/jpeg"
        assert body == bot.emulator.file_bytes(photo.telegram_file_id)
        # Another branch's secretary, a member of her own branch, a stranger, nobody: 404.
        for refused in (SEC_B, BOB, STRANGER, None):
            status, _body, _kind = await fetch(refused, pdf.id)
            assert status == 404, refused
        assert (await fetch(ADMIN_ID, pdf.id + 100))[0] == 404  # no such file
        assert (await fetch(ADMIN_ID, 99999999999))[0] == 404  # not even an id

        # The branch's page on the dashboard links both, as evidence of Alice's training.
        await fetch(SEC_A, pdf.id)  # signs her in
        page = await (await client.get(f"/dashboard/branch/{world.branch_a}")).text()
        for kept in (photo, pdf):
            assert f'href="{file_url(kept.id)}"' in page
        assert "certificate.pdf" in page and "Party history course" in page


async def test_the_chat_sends_the_kept_copy_when_telegram_lost_the_file(filebot: Bot) -> None:
    """Telegram no longer serves the evidence (deleted on its side, or a new token): the
    secretary who opens it gets the bytes kept in the store, uploaded afresh."""
    bot = filebot
    await build_world(bot)
    photo_id, pdf_id = await log_with_evidence(bot)
    await until_settled(bot, {FileState.STORED})
    photo_bytes = bot.emulator.file_bytes(photo_id)
    bot.emulator.forget_file(photo_id)
    bot.emulator.forget_file(pdf_id)
    sec = who(bot, SEC_A)
    card = newest(sec, "Training to verify")
    replies = await sec.tap("📎 Evidence (2 files)", card.message_id)
    files = sorted((r for r in replies if r.kind != "text"), key=lambda r: r.kind)
    assert [f.kind for f in files] == ["document", "photo"]
    assert {f.file_id for f in files}.isdisjoint({photo_id, pdf_id})  # uploaded again
    assert bot.emulator.file_bytes(files[0].file_id) == PDF
    assert bot.emulator.file_bytes(files[1].file_id) == photo_bytes
    assert all("Evidence of Party history course" in f.text for f in files)
    assert not [r for r in replies if "could not be sent" in r.text]


async def test_a_lost_file_not_yet_kept_is_reported_not_raised(database_url: str) -> None:
    """Without a kept copy (the fetcher has not run), the secretary is told which file could
    not be sent; the other one arrives."""
    async for bot in running_bot(database_url):  # the fetcher off: nothing is stored
        await build_world(bot)
        photo_id, _pdf_id = await log_with_evidence(bot)
        bot.emulator.forget_file(photo_id)
        sec = who(bot, SEC_A)
        card = newest(sec, "Training to verify")
        replies = await sec.tap("📎 Evidence (2 files)", card.message_id)
        assert [r.kind for r in replies if r.kind != "text"] == ["document"]
        assert any("a file could not be sent: photo" in r.text for r in replies)
