"""The dashboard against hostile requests: odd numbers in URLs, bodies that are not UTF-8,
older sign-in links, and sign-in links opened on someone else's behalf (login CSRF)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.web.dashboard import COOKIE, LOGIN_COOKIE
from storage.models import WebSession
from tests.chat.test_dashboard import csrf_of, dashboard, link_for, open_link, sign_in
from tests.chat.test_overview_chat import SEC_A, build_world
from tests.harness import ADMIN_ID, Bot

ODD_NUMBERS = ("²", "١", "፩", "-1", "+1", " 1", "1_0", "2147483648", "9223372036854775808",
               "1" + "0" * 30, "")


async def test_odd_numbers_in_urls_are_404_or_400_not_500(bot: Bot) -> None:
    world = await build_world(bot)
    async with dashboard(bot) as client:
        await sign_in(client, bot, ADMIN_ID)  # an admin's scope covers every id
        for raw in ODD_NUMBERS:
            branch = await client.get(f"/dashboard/branch/{raw}")
            assert branch.status == 404, (raw, branch.status)
            audit = await client.get("/dashboard/audit", params={"page": raw})
            assert audit.status == 400, (raw, audit.status)
            assert "Bad request" in await audit.text()
        assert (await client.get(f"/dashboard/branch/{world.branch_a}")).status == 200
        assert (await client.get("/dashboard/audit", params={"page": "2"})).status == 200

        # A sign-out body that is not UTF-8 is a bad request; the session stays.
        page = await client.get("/dashboard/")
        token = csrf_of(await page.text())
        broken = await client.post(
            "/dashboard/logout", data=b"csrf=\xff\xfe" + token.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        assert broken.status == 400
        unicode_token = await client.post("/dashboard/logout", data={"csrf": "²" * 64})
        assert unicode_token.status == 403
        assert (await client.get("/dashboard/")).status == 200


async def test_a_new_link_revokes_the_older_ones(bot: Bot) -> None:
    await build_world(bot)
    async with dashboard(bot) as client:
        first = await link_for(bot, SEC_A)
        second = await link_for(bot, SEC_A)
        assert first != second
        refused = await client.get(first, headers={"Accept-Language": "en"})
        assert refused.status == 403
        assert "This link no longer works" in await refused.text()
        assert (await open_link(client, first)).status == 403
        assert (await open_link(client, second)).status == 303
        # Another person's new link does not touch this person's.
        other = await link_for(bot, ADMIN_ID)
        third = await link_for(bot, SEC_A)
        client.session.cookie_jar.clear()
        assert (await open_link(client, other)).status == 303
        client.session.cookie_jar.clear()
        assert (await open_link(client, third)).status == 303


async def test_opening_a_link_asks_before_signing_in(bot: Bot) -> None:
    await build_world(bot, language="zh")
    assert bot.app is not None
    async with dashboard(bot) as client:
        path = await link_for(bot, SEC_A)
        # Opening it (a link, an <img>, a prefetch) signs nobody in and uses nothing up.
        for _ in range(2):
            confirm = await client.get(path, allow_redirects=False,
                                       headers={"Accept-Language": "en"})
            assert confirm.status == 200
            assert COOKIE not in confirm.cookies
        html = await confirm.text()
        # In the person's own language (Chinese here), whatever the browser says.
        assert "登录" in html and "Sam Secretary" in html
        assert 'method="post"' in html
        async with bot.app.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 0

        # A cross-site form (no cookie of this browser, or a made-up token) is refused.
        token = csrf_of(html)
        nonce = client.session.cookie_jar.filter_cookies(client.make_url(path))[LOGIN_COOKIE]
        client.session.cookie_jar.clear()
        no_cookie = await client.post(path, data={"csrf": token}, allow_redirects=False)
        assert no_cookie.status == 403
        client.session.cookie_jar.update_cookies({LOGIN_COOKIE: nonce.value})
        forged = await client.post(path, data={"csrf": "0" * 64}, allow_redirects=False)
        assert forged.status == 403
        empty = await client.post(path, data={}, allow_redirects=False)
        assert empty.status == 403
        async with bot.app.database.session() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 0

        # The person's own press of the button signs in, once.
        signed = await client.post(path, data={"csrf": token}, allow_redirects=False)
        assert signed.status == 303 and COOKIE in signed.cookies
        assert (await client.get("/dashboard/")).status == 200
        again = await client.post(path, data={"csrf": token}, allow_redirects=False)
        assert again.status == 403


async def _raw_status(port: int, request: bytes) -> int:
    """Send bytes no HTTP client library would (a cookie that is not UTF-8)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


async def test_cookies_and_tokens_that_are_not_text_are_nobodys(bot: Bot) -> None:
    await build_world(bot)
    async with dashboard(bot) as client:
        port = client.server.port
        assert port is not None
        path = await link_for(bot, SEC_A)
        confirm = await client.get(path)
        nonce = client.session.cookie_jar.filter_cookies(client.make_url(path))[LOGIN_COOKIE]
        head = b"Host: 127.0.0.1\r\nConnection: close\r\n"
        for request in (
            b"GET /dashboard/ HTTP/1.1\r\n" + head + b"Cookie: branchbot_session=\xff\xfe\r\n\r\n",
            b"POST /login/%ff%fe HTTP/1.1\r\n" + head + b"Cookie: branchbot_login="
            + nonce.value.encode() + b"\r\nContent-Type: application/x-www-form-urlencoded"
            b"\r\nContent-Length: 9\r\n\r\ncsrf=abcd",
            b"POST " + path.encode() + b" HTTP/1.1\r\n" + head
            + b"Cookie: branchbot_login=\xff\r\nContent-Length: 0\r\n\r\n",
        ):
            assert await _raw_status(port, request) in (401, 403), request
        # The link still works for its owner.
        signed = await client.post(path, data={"csrf": csrf_of(await confirm.text())},
                                   allow_redirects=False)
        assert signed.status == 303
