"""The web dashboard over aiohttp's test client: sign-in links (single use, expiry), sessions
(expiry, sign-out), CSRF, subtree isolation by direct requests, and .xlsx exports.

The links come from the bot through the emulator (/dashboard), as people get them.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import openpyxl
from aiohttp import client as web_response
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.web.dashboard import COOKIE, setup_dashboard
from handlers.kit.chat import NOT_ALLOWED
from handlers.kit.i18n import translator
from rules.vocabulary import NoticeState
from storage import people, web_sessions
from storage.models import Notice, NoticeRecipient, WebSession, WebSignInToken, utcnow
from tests.chat.test_overview_chat import ALICE, NAMES, SEC_A, SEC_C, World, build_world
from tests.harness import ADMIN_ID, Bot

t = translator("en")
LINK = re.compile(r"https?://\S+/login/(\S+)")


@asynccontextmanager
async def dashboard(bot: Bot) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    assert bot.app is not None
    app = web.Application()
    setup_dashboard(app, bot.app)
    async with TestClient(TestServer(app)) as client:
        yield client


async def link_for(bot: Bot, telegram_id: int) -> str:
    """Ask the bot for a sign-in link in the chat; returns its path (/login/<token>)."""
    person = bot.person(telegram_id, NAMES[telegram_id], language_code="en")
    replies = await person.say("/dashboard")
    found = LINK.search(replies[-1].text)
    assert found, replies[-1].text
    return f"/login/{found.group(1)}"


async def open_link(client: TestClient, path: str) -> web_response.ClientResponse:
    """Open the link (a confirmation page) and press its Sign in button."""
    confirm = await client.get(path, allow_redirects=False)
    if confirm.status != 200:
        return confirm
    return await client.post(path, data={"csrf": csrf_of(await confirm.text())},
                             allow_redirects=False)


async def sign_in(client: TestClient, bot: Bot, telegram_id: int) -> None:
    response = await open_link(client, await link_for(bot, telegram_id))
    assert response.status == 303
    assert response.headers["Location"] == "/dashboard/"
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_a_link_signs_in_once_and_only_while_fresh(bot: Bot) -> None:
    await build_world(bot)
    async with dashboard(bot) as client:
        path = await link_for(bot, ADMIN_ID)
        first = await open_link(client, path)
        assert first.status == 303
        client.session.cookie_jar.clear()
        again = await client.get(path, allow_redirects=False, headers={"Accept-Language": "en"})
        assert again.status == 403
        assert "This link no longer works" in await again.text()
        assert COOKIE not in again.cookies

        # A link made 11 minutes ago has expired.
        assert bot.app is not None
        async with bot.app.database.session() as session:
            stale = await web_sessions.create_sign_in(
                session, ADMIN_ID, now=utcnow() - timedelta(minutes=11)
            )
        expired = await client.get(f"/login/{stale}", allow_redirects=False)
        assert expired.status == 403
        forged = await client.get("/login/not-a-token", allow_redirects=False)
        assert forged.status == 403

        # Tokens are stored as digests only.
        async with bot.app.database.session() as session:
            hashes = (await session.scalars(select(WebSignInToken.token_hash))).all()
        assert stale not in hashes and web_sessions.digest(stale) in hashes

        page = await client.get("/dashboard/")
        assert page.status == 401


async def test_sessions_expire_and_end_on_sign_out_with_csrf(bot: Bot) -> None:
    await build_world(bot)
    assert bot.app is not None
    async with dashboard(bot) as client:
        async with bot.app.database.session() as session:
            old = await web_sessions.start_session(
                session, ADMIN_ID, now=utcnow() - timedelta(hours=13)
            )
        client.session.cookie_jar.update_cookies({COOKIE: old})
        assert (await client.get("/dashboard/")).status == 401

        client.session.cookie_jar.clear()
        await sign_in(client, bot, ADMIN_ID)
        page = await client.get("/dashboard/")
        assert page.status == 200
        html = await page.text()
        token = csrf_of(html)

        # Sign-out without the token, or with another session's token, is refused.
        assert (await client.post("/dashboard/logout", data={})).status == 403
        async with bot.app.database.session() as session:
            other = await web_sessions.start_session(session, ADMIN_ID, now=utcnow())
        wrong = web_sessions.csrf_token(other)
        assert (await client.post("/dashboard/logout", data={"csrf": wrong})).status == 403
        assert (await client.get("/dashboard/")).status == 200

        out = await client.post("/dashboard/logout", data={"csrf": token})
        assert out.status == 200
        assert "Signed out" in await out.text()
        assert (await client.get("/dashboard/")).status == 401
        # Before sign-in the browser's language is used: Chinese unless it asks for English.
        signed_out = await client.get("/dashboard/")
        assert "请先登录" in await signed_out.text()
        async with bot.app.database.session() as session:
            ended = await session.scalar(
                select(func.count()).select_from(WebSession).where(
                    WebSession.ended_at.is_not(None)
                )
            )
        assert ended == 1


async def test_each_person_sees_only_their_subtree(bot: Bot) -> None:
    world: World = await build_world(bot)
    async with dashboard(bot) as client:
        await sign_in(client, bot, SEC_A)
        own = await client.get(f"/dashboard/branch/{world.branch_a}")
        assert own.status == 200
        assert "Branch A" in await own.text()
        for org_id in (world.joint, world.branch_c, world.top, world.other_top, 999_999):
            response = await client.get(f"/dashboard/branch/{org_id}")
            assert response.status == 404, org_id
            assert "Branch C" not in await response.text()
        assert (await client.get("/dashboard/branch/abc")).status == 404
        assert (await client.get("/dashboard/audit")).status == 403
        branches = await (await client.get("/dashboard/branches")).text()
        assert "Branch A" in branches
        assert "Joint Branch" not in branches and "Branch C" not in branches
        overview = await (await client.get("/dashboard/")).text()
        assert "Branch C" not in overview and "Harbour Committee" not in overview
        await add_notices(bot, world)
        notices = await (await client.get("/dashboard/notices")).text()
        assert "Meeting on Friday" in notices and "Branch C only" not in notices
        export = await client.get("/dashboard/branches", params={"format": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(await export.read())).active
        names = {row[0] for row in sheet.iter_rows(min_row=5, values_only=True)}
        assert names == {"Branch A"}

        client.session.cookie_jar.clear()
        await sign_in(client, bot, SEC_C)
        assert (await client.get(f"/dashboard/branch/{world.branch_c}")).status == 200
        assert (await client.get(f"/dashboard/branch/{world.branch_a}")).status == 404

        client.session.cookie_jar.clear()
        await sign_in(client, bot, ADMIN_ID)
        for org_id in (world.branch_a, world.joint, world.branch_c, world.top):
            assert (await client.get(f"/dashboard/branch/{org_id}")).status == 200
        assert (await client.get("/dashboard/audit")).status == 200

    # A member gets no link; a link made for them anyway opens nothing.
    member = bot.person(ALICE, NAMES[ALICE], language_code="en")
    replies = await member.say("/dashboard")
    assert [m.text for m in replies] == [t(NOT_ALLOWED)]
    assert bot.app is not None
    async with bot.app.database.session() as session:
        raw = await web_sessions.create_sign_in(session, ALICE, now=utcnow())
    async with dashboard(bot) as client:
        assert (await open_link(client, f"/login/{raw}")).status == 303
        assert (await client.get("/dashboard/")).status == 403


async def add_notices(bot: Bot, world: World) -> None:
    """A sent notice of Branch A read by one of its two members, and one of Branch C."""
    assert bot.app is not None
    async with bot.app.database.session() as session:
        ids = {
            telegram_id: (await people.person_by_telegram_id(session, telegram_id))
            for telegram_id in (SEC_A, ALICE, SEC_C)
        }
        for org_id, author, text, readers in (
            (world.branch_a, SEC_A, "<b>Meeting</b> on Friday", {SEC_A: True, ALICE: False}),
            (world.branch_c, SEC_C, "Branch C only", {SEC_C: False}),
        ):
            notice = Notice(author_telegram_id=author, party_organization_id=org_id,
                            text_html=text, state=NoticeState.SENT, confirmed_at=utcnow(),
                            sent_at=utcnow())
            session.add(notice)
            await session.flush()
            for telegram_id, read in readers.items():
                person = ids[telegram_id]
                assert person is not None
                session.add(NoticeRecipient(
                    notice_id=notice.id, person_id=person.id, chat_id=telegram_id,
                    party_organization_id=org_id, read_at=utcnow() if read else None,
                ))


async def test_tables_export_to_xlsx_with_their_rows(bot: Bot) -> None:
    world = await build_world(bot)
    await add_notices(bot, world)
    async with dashboard(bot) as client:
        await sign_in(client, bot, ADMIN_ID)
        page = await (await client.get("/dashboard/branches",
                                       params={"sort": "name", "dir": "asc"})).text()
        assert page.index("Branch A") < page.index("Branch C") < page.index("Joint Branch")
        filtered = await (await client.get("/dashboard/branches", params={"q": "joint"})).text()
        assert "Joint Branch" in filtered and "Branch C" not in filtered

        response = await client.get("/dashboard/branches",
                                    params={"sort": "name", "dir": "asc", "format": "xlsx"})
        assert response.status == 200
        assert response.headers["Content-Disposition"].endswith('.xlsx"')
        book = openpyxl.load_workbook(io.BytesIO(await response.read()))
        rows = list(book.active.iter_rows(min_row=4, values_only=True))
        assert rows[0][0] == "Branch"
        assert [r[0] for r in rows[1:]] == ["Branch A", "Branch C", "Joint Branch"]
        members = {r[0]: r[3] for r in rows[1:]}
        assert members == {"Branch A": 2, "Branch C": 2, "Joint Branch": 1}

        overview = await client.get("/dashboard/", params={"format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(await overview.read()))
        coverage = list(book.worksheets[0].iter_rows(min_row=5, values_only=True))
        assert coverage[0][:4] == (2, 2, 1, 5)
        assert len(book.worksheets) == 5

        branch = await client.get(f"/dashboard/branch/{world.branch_a}",
                                  params={"format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(await branch.read()))
        training = book.worksheets[4]
        names = {r[0] for r in training.iter_rows(min_row=5, values_only=True)}
        assert names == {"Sam Secretary", "Alice Wang"}

        audit = await client.get("/dashboard/audit", params={"format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(await audit.read()))
        actions = [r[2] for r in book.active.iter_rows(min_row=5, values_only=True)]
        assert "party_org.create" in actions and "meeting.close" in actions

        notices = await client.get("/dashboard/notices", params={"format": "xlsx"})
        book = openpyxl.load_workbook(io.BytesIO(await notices.read()))
        lines = list(book.active.iter_rows(min_row=5, values_only=True))
        assert {(r[3], r[4], r[7]) for r in lines} == {("Meeting on Friday", 2, 1),
                                                      ("Branch C only", 1, 0)}

        chart = await client.get("/dashboard/overview.png")
        assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
