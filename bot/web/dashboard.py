"""The web dashboard for admins and secretaries (issue 7).

Sign-in: /dashboard in the chat sends a one-time link <web_base_url>/login/<token> (revoking the
person's older ones); opening it shows a confirmation whose POST form starts a session (an
HttpOnly, SameSite=Lax cookie, 12 hours). Every request loads the viewer
again from the database, so a secretary who is replaced loses access at once. Each person
sees their subtree only (admins: everything); another subtree's branch is a 404. Every POST
carries the session's CSRF token. Pages are plain HTML built on the server, in the viewer's
language; every table has an .xlsx export of the same rows (append ?format=xlsx).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from string import Template
from typing import TYPE_CHECKING

from aiohttp import web

from bot.web import pages
from bot.web.pages import STATUS_LABELS
from bot.web.tables import PREFIX, Table, esc, link, render_table, workbook
from handlers.kit.i18n import N_, Translator, language_from_telegram, translator
from handlers.overview import overview_png
from rules.permissions import Actor
from storage import overview as store
from storage import web_sessions
from storage.people import load_actor, person_by_telegram_id

if TYPE_CHECKING:
    from bot.application import BranchApplication
    from bot.config import Settings

logger = logging.getLogger(__name__)

COOKIE = "branchbot_session"
LOGIN_COOKIE = "branchbot_login"  # binds the sign-in confirmation form to this browser
LOGIN_NONCE = re.compile(r"[A-Za-z0-9_-]{32,64}")
MAX_ROW_ID = 2**31 - 1  # organization ids are 32-bit integer columns
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
BRANCHES_PER_PAGE = 200
AUDIT_PER_PAGE = 100
AUDIT_EXPORT_LIMIT = 5000
MAX_AUDIT_PAGE = 999_999
LIST_ON_OVERVIEW = 20
APP_KEY: web.AppKey[Dashboard] = web.AppKey("branchbot_dashboard")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ---------------------------------------------------------------------------------------------
# Page shell
# ---------------------------------------------------------------------------------------------

PAGE = Template("""<!doctype html>
<html lang="$lang"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · branchbot</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:0;color:#222}
header{background:#a93226;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center;
flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a.on{text-decoration:underline}
header form{margin-left:auto}main{padding:1em;max-width:1200px}
table{border-collapse:collapse;margin:.4em 0 1.4em;font-size:.92em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num,th.num{text-align:right}td.behind{background:#f9d6d2}
td.due{background:#fcf3cf}td.ok{background:#d5f5e3}td.empty{color:#888}
.figures{display:flex;gap:1em;flex-wrap:wrap}.figure{border:1px solid #ddd;padding:.6em 1em;
border-radius:6px}.figure b{font-size:1.5em;display:block}.export{font-size:.85em}
form.filter{margin:.5em 0}img.chart{max-width:100%;border:1px solid #eee}
</style></head><body>
<header><b>branchbot</b>$nav
<form method="post" action="$prefix/logout"><input type="hidden" name="csrf" value="$csrf">
<button type="submit" id="logout">$logout</button></form><span>$who</span></header>
<main><h1>$title</h1>
$body
</main></body></html>
""")

MESSAGE_PAGE = Template("""<!doctype html>
<html lang="$lang"><head><meta charset="utf-8"><title>$title · branchbot</title></head>
<body style="font-family:system-ui,sans-serif;padding:2em"><h1>$title</h1><p>$text</p></body>
</html>
""")

LOGIN_PAGE = Template("""<!doctype html>
<html lang="$lang"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · branchbot</title></head>
<body style="font-family:system-ui,sans-serif;padding:2em"><h1>$title</h1><p>$text</p>
<form method="post" action="$action"><input type="hidden" name="csrf" value="$csrf">
<button type="submit" id="signin">$button</button></form><p><small>$note</small></p>
</body></html>
""")

NAV = (
    ("overview", "/", N_("Overview")),
    ("branches", "/branches", N_("Branches")),
    ("notices", "/notices", N_("Notices")),
    ("audit", "/audit", N_("Audit log")),
)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def message_page(t: Translator, title: str, text: str, status: int) -> web.Response:
    body = MESSAGE_PAGE.substitute(lang=esc(t.language), title=esc(title), text=esc(text))
    response = web.Response(text=body, content_type="text/html", status=status)
    _secure(response)
    return response


def ascii_number(raw: str, limit: int) -> int | None:
    """A number from a URL: ASCII digits only ("²".isdigit() is true) and at most `limit`."""
    if not _ASCII_NUMBER.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= limit else None


def language_of_request(request: web.Request) -> str:
    """For pages shown before sign-in: the browser's language (Chinese unless English)."""
    return language_from_telegram(request.headers.get("Accept-Language", "")[:8])


# ---------------------------------------------------------------------------------------------
# The viewer
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    scope: store.Scope
    name: str
    raw_session: str

    @property
    def t(self) -> Translator:
        return translator(self.actor.language)

    @property
    def csrf(self) -> str:
        return web_sessions.csrf_token(self.raw_session)


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    tables: list[Table]
    body: str  # HTML around and between the tables


class Dashboard:
    """The routes, bound to the running bot's database and settings."""

    def __init__(self, application: BranchApplication) -> None:
        self.application = application

    @property
    def settings(self) -> Settings:
        return self.application.settings

    # --- sign-in ---------------------------------------------------------------------------

    def _link_refused(self, t: Translator) -> web.Response:
        logger.info("dashboard sign-in refused: unknown, used or expired link")
        return message_page(
            t, t("This link no longer works"),
            t("Sign-in links work once and for 10 minutes. Send /dashboard to the bot "
              "for a new one."),
            403,
        )

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        """GET /login/<token>: a confirmation with a POST form; opening a link signs no one in.

        Otherwise anyone could sign a victim's browser into the sender's own session (login
        CSRF) with a link or an <img>. The form's token is bound to a cookie of this browser.
        """
        token = request.match_info["token"]
        async with self.application.database.session() as session:
            now = self.application.now()
            telegram_id = await web_sessions.peek_sign_in(session, token, now=now)
            person = (await person_by_telegram_id(session, telegram_id)
                      if telegram_id is not None else None)
        language = person.language if person is not None else language_of_request(request)
        t = translator(language)
        if telegram_id is None:
            return self._link_refused(t)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not LOGIN_NONCE.fullmatch(nonce):
            nonce = web_sessions.new_token()
        name = person.real_name if person is not None and person.real_name else None
        text = (t("Sign in to the dashboard as {name}?", name=name) if name
                else t("Sign in to the dashboard?"))
        body = LOGIN_PAGE.substitute(
            lang=esc("zh-CN" if t.language == "zh" else "en"), title=esc(t("Sign in")),
            text=esc(text), action=esc(f"/login/{token}"),
            csrf=esc(web_sessions.login_csrf_token(nonce, token)), button=esc(t("Sign in")),
            note=esc(t("Only continue if you asked the bot for this link yourself.")),
        )
        response = web.Response(text=body, content_type="text/html")
        response.set_cookie(
            LOGIN_COOKIE, nonce, max_age=int(web_sessions.SIGN_IN_TTL.total_seconds()),
            path="/login", httponly=True, samesite="Strict", secure=self._https,
        )
        _secure(response)
        return response

    @property
    def _https(self) -> bool:
        return self.settings.dashboard_url.startswith("https://")

    async def login(self, request: web.Request) -> web.StreamResponse:
        """POST /login/<token> from the confirmation: a valid, unused link starts a session."""
        t = translator(language_of_request(request))
        token = request.match_info["token"]
        form = await self._form(request, t)
        given = form.get("csrf")
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not (LOGIN_NONCE.fullmatch(nonce) and isinstance(given, str)
                and web_sessions.login_csrf_ok(nonce, token, given)):
            logger.info("dashboard sign-in refused: form without this browser's token")
            return message_page(t, t("Not allowed"),
                                t("The form was out of date. Go back and try again."), 403)
        now = self.application.now()
        async with self.application.database.session() as session:
            telegram_id = await web_sessions.redeem_sign_in(session, token, now=now)
            if telegram_id is not None:
                raw = await web_sessions.start_session(session, telegram_id, now=now)
        if telegram_id is None:
            return self._link_refused(t)
        response = web.Response(status=303, headers={"Location": PREFIX + "/"})
        response.set_cookie(
            COOKIE, raw, max_age=int(web_sessions.SESSION_TTL.total_seconds()), path="/",
            httponly=True, samesite="Lax", secure=self._https,
        )
        response.del_cookie(LOGIN_COOKIE, path="/login")
        _secure(response)
        return response

    async def _form(self, request: web.Request, t: Translator) -> Mapping[str, object]:
        """The posted form, or a 400 page for a body that is not a form (e.g. not UTF-8)."""
        try:
            return await request.post()
        except (UnicodeDecodeError, ValueError):
            raise self._error(t, t("Bad request"), t("The form could not be read."),
                              400) from None

    async def viewer(self, request: web.Request) -> Viewer:
        """The signed-in leader behind the request, or an HTTP error page."""
        raw = request.cookies.get(COOKIE)
        t = translator(language_of_request(request))
        async with self.application.database.session() as session:
            signed = await web_sessions.session_of(session, raw, now=self.application.now())
            if signed is None or raw is None:
                raise self._error(
                    t, t("Please sign in"),
                    t("Send /dashboard to the bot and open the link it sends you."), 401,
                )
            actor = await load_actor(
                session, signed.telegram_id, admins=self.settings.admins, language="zh"
            )
            person = await person_by_telegram_id(session, signed.telegram_id)
        scope = store.scope_of(actor)
        if scope is None:
            t = translator(actor.language)
            raise self._error(
                t, t("Not allowed"),
                t("The dashboard is for admins and branch secretaries."), 403,
            )
        name = (person.real_name if person else None) or str(actor.telegram_id)
        return Viewer(actor, scope, name, raw)

    @staticmethod
    def _error(t: Translator, title: str, text: str, status: int) -> web.HTTPException:
        error = web.HTTPException(
            text=MESSAGE_PAGE.substitute(lang=esc(t.language), title=esc(title), text=esc(text)),
            content_type="text/html",
        )
        error.set_status(status)
        for name, value in SECURITY_HEADERS.items():
            error.headers[name] = value
        return error

    def not_found(self, viewer: Viewer) -> web.HTTPException:
        t = viewer.t
        return self._error(t, t("Not found"), t("There is no such page for you."), 404)

    async def logout(self, request: web.Request) -> web.StreamResponse:
        """POST /dashboard/logout with the CSRF token: the session ends."""
        viewer = await self.viewer(request)
        form = await self._form(request, viewer.t)
        given = form.get("csrf")
        if not web_sessions.csrf_ok(viewer.raw_session, given if isinstance(given, str) else None):
            t = viewer.t
            return message_page(t, t("Not allowed"),
                                t("The form was out of date. Go back and try again."), 403)
        async with self.application.database.session() as session:
            await web_sessions.end_session(session, viewer.raw_session, now=self.application.now())
        t = viewer.t
        response = message_page(t, t("Signed out"),
                                t("Send /dashboard to the bot to sign in again."), 200)
        response.del_cookie(COOKIE, path="/")
        return response

    # --- rendering ------------------------------------------------------------------------

    async def render(
        self, request: web.Request, viewer: Viewer, page: Page
    ) -> web.StreamResponse:
        """The page as HTML, or its tables as .xlsx when ?format=xlsx."""
        t = viewer.t
        if request.query.get("format") == "xlsx":
            now = self.application.now().astimezone(self.settings.tzinfo)
            stamp = now.strftime("%Y-%m-%d %H:%M")
            data = await asyncio.to_thread(
                workbook, page.tables, title=page.title, generated=stamp
            )
            name = re.sub(r"[^A-Za-z0-9_-]", "", page.key) or "table"
            response = web.Response(
                body=data,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
            _secure(response)
            return response
        nav = []
        for key, path, label in NAV:
            if key == "audit" and not viewer.actor.is_admin:
                continue
            css = ' class="on"' if key == page.key.split("-")[0] else ""
            shown = t(label)
            nav.append(f'<a href="{esc(PREFIX + path)}"{css}>{esc(shown)}</a>')
        role = t("admin") if viewer.actor.is_admin else t("secretary")
        html_text = PAGE.substitute(
            lang=esc("zh-CN" if t.language == "zh" else "en"), title=esc(page.title),
            nav="".join(nav), prefix=PREFIX, csrf=esc(viewer.csrf), logout=esc(t("Sign out")),
            who=esc(f"{viewer.name} · {role}"), body=page.body,
        )
        response = web.Response(text=html_text, content_type="text/html")
        _secure(response)
        return response

    def export_link(self, request: web.Request, t: Translator) -> str:
        query = dict(request.query)
        query["format"] = "xlsx"
        label = t("Download all tables as .xlsx")
        return (f'<p class="export"><a id="export" href="{esc(link(request.path, query))}">'
                f"⬇ {esc(label)}</a></p>")

    def _today(self) -> date:
        # The bot's clock (the wall clock; tests move it), as the chat's views use.
        return self.application.courier.clock().astimezone(self.settings.tzinfo).date()

    async def _overview(self, viewer: Viewer) -> store.Overview:
        settings = self.settings
        async with self.application.database.session() as session:
            return await store.overview(
                session, viewer.scope, today=self._today(), tz=settings.tzinfo,
                requirements=settings.requirements, policy=settings.training_policy,
                inquorate_counts=settings.inquorate_committee_counts,
            )

    # --- pages ------------------------------------------------------------------------------

    async def overview_page(self, request: web.Request) -> web.StreamResponse:
        """GET /dashboard/: the same numbers as /overview, with the chart."""
        viewer = await self.viewer(request)
        t = viewer.t
        view = await self._overview(viewer)
        tables = pages.overview_tables(t, view, LIST_ON_OVERVIEW)
        title = t("Overview")
        body = [pages.overview_figures(t, view),
                f'<p><img class="chart" src="{PREFIX}/overview.png" alt="{esc(title)}"></p>',
                self.export_link(request, t)]
        body += [f"<h2>{esc(table.title)}</h2>" + (f"<p>{esc(table.note)}</p>" if table.note
                                                    else "") + render_table(table)
                 for table in tables]
        return await self.render(request, viewer, Page("overview", t("Overview"), tables,
                                                 "\n".join(body)))

    async def overview_chart(self, request: web.Request) -> web.StreamResponse:
        """GET /dashboard/overview.png."""
        viewer = await self.viewer(request)
        view = await self._overview(viewer)
        png = await overview_png(viewer.t, view)
        response = web.Response(body=png, content_type="image/png")
        _secure(response)
        return response

    async def branches_page(self, request: web.Request) -> web.StreamResponse:
        """GET /dashboard/branches?sort=&dir=&q=&status=: every branch in scope."""
        viewer = await self.viewer(request)
        t = viewer.t
        sort = request.query.get("sort", "status")
        if sort not in store.SORT_KEYS:
            sort = "name"
        descending = request.query.get("dir", "desc" if sort == "status" else "asc") == "desc"
        text = request.query.get("q", "")[:100]
        status = request.query.get("status", "")
        if status not in STATUS_LABELS:
            status = ""
        view = await self._overview(viewer)
        async with self.application.database.session() as session:
            rows = await store.branch_rows(session, viewer.scope, view)
        rows = store.sort_rows(store.filter_rows(rows, text, status), sort, descending)
        table = pages.branch_table(t, rows, PREFIX)
        base = {"q": text, "status": status}
        sort_links = {
            key: link(PREFIX + "/branches", {
                **base, "sort": key,
                "dir": "asc" if key == sort and descending else "desc" if key == sort else "asc",
            })
            for key in store.SORT_KEYS
        }
        shown = Table(table.key, table.title, table.columns, table.rows[:BRANCHES_PER_PAGE],
                      table.empty)
        body = [
            pages.filter_form(t, PREFIX + "/branches", text, status, sort,
                              "desc" if descending else "asc", STATUS_LABELS),
            "<p>" + t.plural("{n} branch", "{n} branches", len(rows)) + "</p>",
            self.export_link(request, t),
            render_table(shown, sort=sort, descending=descending, sort_link=sort_links),
        ]
        if len(rows) > BRANCHES_PER_PAGE:
            more = t("Only the first {n} are shown; narrow the filter or download the .xlsx.",
                     n=BRANCHES_PER_PAGE)
            body.append(f"<p>{more}</p>")
        return await self.render(request, viewer, Page("branches", t("Branches"), [table],
                                                 "\n".join(body)))

    async def branch_page(self, request: web.Request) -> web.StreamResponse:
        """GET /dashboard/branch/<id>: one organization of the viewer's subtree, else 404."""
        viewer = await self.viewer(request)
        t = viewer.t
        org_id = ascii_number(request.match_info["org_id"], MAX_ROW_ID)
        if org_id is None:
            raise self.not_found(viewer)
        if not viewer.scope.covers(org_id):
            logger.warning("dashboard: person %s asked for organization %s outside their scope",
                           viewer.actor.person_id, org_id)
            raise self.not_found(viewer)
        settings = self.settings
        async with self.application.database.session() as session:
            detail = await pages.branch_detail(
                session, t, org_id, now=self.application.now(), tz=settings.tzinfo,
                requirements=settings.requirements, policy=settings.training_policy,
                inquorate_counts=settings.inquorate_committee_counts,
            )
        if detail is None:
            raise self.not_found(viewer)
        title, intro, tables = detail
        body = [intro, self.export_link(request, t)]
        body += [f"<h2>{esc(table.title)}</h2>" + render_table(table) for table in tables]
        return await self.render(request, viewer, Page(f"branches-{org_id}", title, tables,
                                                 "\n".join(body)))

    async def notices_page(self, request: web.Request) -> web.StreamResponse:
        """GET /dashboard/notices: notices in the viewer's subtree with read counts."""
        viewer = await self.viewer(request)
        t = viewer.t
        async with self.application.database.session() as session:
            table = await pages.notices_table(session, t, viewer.scope, self.settings.tzinfo)
        body = [self.export_link(request, t), render_table(table)]
        return await self.render(request, viewer, Page("notices", t("Notices"), [table],
                                                 "\n".join(body)))

    async def audit_page(self, request: web.Request) -> web.StreamResponse:
        """GET /dashboard/audit?q=&page=: who did what and when (admins only)."""
        viewer = await self.viewer(request)
        t = viewer.t
        if not viewer.actor.is_admin:
            raise self._error(t, t("Not allowed"), t("The audit log is for admins."), 403)
        text = request.query.get("q", "")[:50]
        number = ascii_number(request.query.get("page", "1"), MAX_AUDIT_PAGE)
        if number is None:
            raise self._error(t, t("Bad request"), t("There is no such page."), 400)
        export = request.query.get("format") == "xlsx"
        limit = AUDIT_EXPORT_LIMIT if export else AUDIT_PER_PAGE
        offset = 0 if export else (max(number, 1) - 1) * AUDIT_PER_PAGE
        async with self.application.database.session() as session:
            table, more = await pages.audit_table(
                session, t, text, limit=limit, offset=offset, tz=self.settings.tzinfo
            )
        nav = []
        if number > 1:
            newer = link(PREFIX + "/audit", {"q": text, "page": str(number - 1)})
            label = t("Newer")
            nav.append(f'<a href="{esc(newer)}">‹ {esc(label)}</a>')
        if more:
            older = link(PREFIX + "/audit", {"q": text, "page": str(number + 1)})
            label = t("Older")
            nav.append(f'<a href="{esc(older)}">{esc(label)} ›</a>')
        body = [
            pages.search_form(t, PREFIX + "/audit", text),
            self.export_link(request, t),
            render_table(table),
            "<p>" + " · ".join(nav) + "</p>",
        ]
        return await self.render(request, viewer, Page("audit", t("Audit log"), [table],
                                                 "\n".join(body)))

    async def root(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(PREFIX + "/")


def setup_dashboard(web_app: web.Application, application: BranchApplication) -> None:
    """Add the dashboard's routes to the bot's web server."""
    dashboard = Dashboard(application)
    web_app[APP_KEY] = dashboard
    routes: Mapping[str, Handler] = {
        PREFIX: dashboard.root,
        PREFIX + "/": dashboard.overview_page,
        PREFIX + "/overview.png": dashboard.overview_chart,
        PREFIX + "/branches": dashboard.branches_page,
        PREFIX + "/branch/{org_id}": dashboard.branch_page,
        PREFIX + "/notices": dashboard.notices_page,
        PREFIX + "/audit": dashboard.audit_page,
        "/login/{token}": dashboard.login_form,
    }
    for path, handler in routes.items():
        web_app.router.add_get(path, handler)
    web_app.router.add_post(PREFIX + "/logout", dashboard.logout)
    web_app.router.add_post("/login/{token}", dashboard.login)


