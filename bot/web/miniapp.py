"""Mini App forms (issue 18): one screen instead of a question chain, opened from a web_app
button in the chat or from the menu button.

Telegram opens <forms_url>/app/leave (mini_app_url, else web_base_url) with the person's
signed initData in the URL's hash (`#tgWebAppData=`); the page's small script (no
telegram-web-app.js: nothing is loaded from the internet) reads it and sends it with every
request, in the X-Telegram-Init-Data header or the form's `initData` field. Every request is
checked again: the signature and age of initData (bot/web/webapp_auth.py), then the actor
loaded from the database and the same service function and access checks the chat flow
calls, as if the request were a forged press.
The page shell comes in the browser's language; the form, once initData is known, in the
person's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from string import Template
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.web.dashboard import language_of_request
from bot.web.tables import esc
from bot.web.webapp_auth import InitDataError, WebAppUser, validate_init_data
from handlers.kit.actions import FormAct
from handlers.kit.buttons import MeetingId
from handlers.kit.chat import STALE_BUTTON, Refused, deliver_through
from handlers.kit.i18n import N_, Html, Translator, language_from_telegram, translator
from handlers.kit.steps import invalid_text
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings import manage
from handlers.meetings import views as meeting_views
from rules.permissions import Actor
from rules.validation import MAX_REASON, Invalid, clean_text
from rules.vocabulary import AttendanceStatus
from storage.people import load_actor

if TYPE_CHECKING:
    from bot.application import BranchApplication

logger = logging.getLogger(__name__)

APP_PREFIX = "/app"
LEAVE_PATH = meeting_views.LEAVE_FORM_PATH
INIT_HEADER = "X-Telegram-Init-Data"
MAX_MEETING_ID = 2**31 - 1
GONE = N_("This meeting can no longer be chosen. Close the form and open it again.")
LEAVE_TITLE = N_("Ask for leave")
APP_KEY: web.AppKey[MiniApps] = web.AppKey("branchbot_miniapps")

SECURITY_HEADERS = {
    # Opened inside Telegram's web view (an iframe in Telegram Web): framing is allowed; a
    # framing page gains nothing, as only Telegram can sign the initData a request needs.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; "
    "style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

SHELL = Template("""<!doctype html>
<html lang="$lang"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title · branchbot</title>
<style>
*{box-sizing:border-box}
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:0;color:#222;
background:#f6f6f6;font-size:16px;line-height:1.45}
header{background:#a93226;color:#fff;padding:.7em 1em;font-weight:bold}
main{padding:1em;max-width:640px;margin:0 auto}
h1{font-size:1.25em;margin:.2em 0 .8em}
fieldset{border:0;padding:0;margin:0 0 1em}legend{font-weight:bold;margin-bottom:.4em;padding:0}
label.choice{display:flex;gap:.6em;align-items:flex-start;background:#fff;border:1px solid #ccc;
border-radius:8px;padding:.7em;margin:.4em 0;cursor:pointer}
label.choice input{margin-top:.3em;width:1.2em;height:1.2em;flex:none}
label.choice span{display:block;color:#555;font-size:.92em}
label.field{display:block;font-weight:bold;margin:.6em 0 .3em}
textarea{width:100%;font:inherit;padding:.6em;border:1px solid #ccc;border-radius:8px;
min-height:6em}
input[type=text],input[type=date],input[type=time],select{display:block;width:100%;
font:inherit;padding:.55em;border:1px solid #ccc;border-radius:8px;background:#fff;color:#222}
button{width:100%;font:inherit;font-weight:bold;padding:.8em;margin-top:1em;border:0;
border-radius:8px;background:#a93226;color:#fff}button:disabled{opacity:.6}
.error{background:#f9d6d2;border-radius:8px;padding:.7em;margin:0 0 1em}
.done{background:#d5f5e3;border-radius:8px;padding:.7em;margin:0 0 1em}
.hint{color:#666;font-size:.9em}
</style></head><body>
<header>branchbot · <span id="title">$title</span></header>
<main id="app" data-form="$form" data-offline="$offline"><p>$loading</p>
<noscript><p class="error">$noscript</p></noscript></main>
<script src="$script"></script>
</body></html>
""")

# Reads initData from the hash, asks for the form, posts it back; the server renders (and
# escapes) every piece of HTML shown.
SCRIPT = """(function () {
  "use strict";
  var main = document.getElementById("app");
  var hash = new URLSearchParams(location.hash.slice(1));
  var initData = hash.get("tgWebAppData") || "";
  // Kept for this tab, as telegram-web-app.js keeps it: a reload may come without the hash.
  try {
    if (initData) { sessionStorage.setItem("tgWebAppData", initData); }
    else { initData = sessionStorage.getItem("tgWebAppData") || ""; }
  } catch (error) { /* storage refused: the hash alone */ }
  function show(response) {
    return response.text().then(function (html) {
      main.innerHTML = html;
      main.setAttribute("data-status", String(response.status));
      var view = document.getElementById("view");
      if (view) {
        document.documentElement.lang = view.getAttribute("data-lang");
        document.title = view.getAttribute("data-title") + " · branchbot";
        document.getElementById("title").textContent = view.getAttribute("data-title");
      }
      bind();
    });
  }
  function failed() {
    var note = document.createElement("p");
    note.className = "error";
    note.id = "outcome";
    note.textContent = main.getAttribute("data-offline");
    main.replaceChildren(note);
  }
  function bind() {
    var form = main.querySelector("form");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      data.append("initData", initData);
      form.querySelector("button").disabled = true;
      fetch(form.getAttribute("action"), {method: "POST", body: data})
        .then(show, failed);
    });
  }
  fetch(main.getAttribute("data-form"), {headers: {"X-Telegram-Init-Data": initData}})
    .then(show, failed);
})();
"""


def _secure(response: web.Response) -> web.Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def page(html_text: str, status: int = 200) -> web.Response:
    return _secure(web.Response(text=html_text, content_type="text/html", status=status))


def fragment(t: Translator, html_text: str, status: int = 200,
             title_id: str = LEAVE_TITLE) -> web.Response:
    """A piece of the form's page, in the person's language: the script puts it in the page
    and the page's title (the form's, `title_id`) and language follow it (the shell came in
    the browser's)."""
    title = esc(t.as_plain(title_id))
    return page(f'<div id="view" data-lang="{html_lang(t)}" data-title="{title}">'
                f"{html_text}</div>", status)


def message(t: Translator, text: Html, status: int,
            title_id: str = LEAVE_TITLE) -> web.Response:
    css = "done" if status == 200 else "error"
    return fragment(t, f'<p class="{css}" id="outcome">{text}</p>', status, title_id)


def html_lang(t: Translator) -> str:
    return "zh-CN" if t.language == "zh" else "en"


class MiniApps:
    """The forms' routes, bound to the running bot."""

    def __init__(self, application: BranchApplication) -> None:
        self.application = application

    # --- who is asking ---------------------------------------------------------------------

    def user_of(self, init_data: object) -> WebAppUser | None:
        token = self.application.settings.token
        if not isinstance(init_data, str) or token is None:
            return None
        try:
            return validate_init_data(init_data, token.get_secret_value(),
                                      now=self.application.now())
        except InitDataError as error:
            logger.warning("mini app: initData refused (%s)", error.reason)
            return None

    def unsigned(self, request: web.Request, title_id: str = LEAVE_TITLE) -> web.Response:
        t = translator(language_of_request(request))
        return message(t, t("This form could not tell who you are. Close it and open it "
                            "again from the chat with the bot."), 401, title_id)

    async def actor_of(self, user: WebAppUser) -> Actor:
        async with self.application.database.session() as session:
            return await load_actor(session, user.id, admins=self.application.settings.admins,
                                    language=language_from_telegram(user.language_code))

    # --- pages -------------------------------------------------------------------------------

    async def shell(self, request: web.Request) -> web.StreamResponse:
        """GET /app/leave: the page; its script fetches the form with the initData."""
        return self.shell_of(request, LEAVE_TITLE, LEAVE_PATH + "/form")

    def shell_of(self, request: web.Request, title_id: str, form_path: str) -> web.Response:
        """A form's page in the browser's language; its script fetches `form_path`."""
        t = translator(language_of_request(request))
        body = SHELL.substitute(
            lang=html_lang(t), title=esc(t.as_plain(title_id)),
            form=esc(form_path), script=esc(APP_PREFIX + "/miniapp.js"),
            loading=esc(t.as_plain("Loading…")),
            offline=esc(t.as_plain("Could not reach the bot. Check your connection and try "
                                   "again.")),
            noscript=esc(t.as_plain("This form needs JavaScript.")),
        )
        return page(body)

    async def script(self, request: web.Request) -> web.StreamResponse:
        response = web.Response(text=SCRIPT, content_type="text/javascript")
        return _secure(response)

    async def leave_form(self, request: web.Request) -> web.StreamResponse:
        """GET /app/leave/form (initData in the header): the person's meetings to choose."""
        user = self.user_of(request.headers.get(INIT_HEADER))
        if user is None:
            return self.unsigned(request)
        actor = await self.actor_of(user)
        return await self.render_leave(actor)

    async def render_leave(self, actor: Actor, *, error: Html | None = None,
                           chosen: int | None = None, reason: str = "",
                           status: int = 200) -> web.Response:
        t, tz = translator(actor.language), self.application.settings.tzinfo
        if not actor.is_member:
            return message(t, t(meeting_views.NOT_REGISTERED), 403)
        async with self.application.database.session() as session:
            choices = await manage.leave_choices(session, actor, self.application.now())
            infos = [(await manage.meeting_info(session, meeting), line.status)
                     for meeting, line in choices]
        if not infos:
            return message(t, t("You have no upcoming meetings to ask leave from."), 200)
        options = []
        for info, status_now in infos:
            checked = " checked" if info.id == chosen or len(infos) == 1 else ""
            kind = t(MEETING_KIND_LABELS[info.kind])
            where = info.place or info.org_name
            answer = t(meeting_views.ANSWER_LABELS[status_now]) if status_now in (
                meeting_views.ANSWER_LABELS) else ""
            options.append(
                f'<label class="choice"><input type="radio" name="meeting" '
                f'value="{info.id}" required{checked}><div><b>{kind}</b>'
                f"<span>{meeting_views.span_text(t, tz, info.starts_at, info.ends_at)}</span>"
                f"<span>{esc(where)}</span><span>{answer}</span></div></label>"
            )
        shown_error = f'<p class="error" id="outcome">{error}</p>' if error else ""
        title, which = t("Ask for leave"), t("From which meeting?")
        why = t("Why can you not attend?")
        hint = t("Your secretary will see the reason and decide.")
        placeholder = esc(t.as_plain("For example: on a business trip that day"))
        html_text = (
            f'<form method="post" action="{esc(LEAVE_PATH)}" id="leave">'
            f"<h1>{title}</h1>{shown_error}"
            f"<fieldset><legend>{which}</legend>{''.join(options)}</fieldset>"
            f'<label class="field" for="reason">{why}</label>'
            f'<textarea id="reason" name="reason" maxlength="{MAX_REASON}" required '
            f'placeholder="{placeholder}">{esc(reason)}</textarea>'
            f'<p class="hint">{hint}</p>'
            f'<button type="submit" id="submit">{title}</button></form>'
        )
        return fragment(t, html_text, status)

    async def submit_leave(self, request: web.Request) -> web.StreamResponse:
        """POST /app/leave (initData, meeting, reason): checked as a forged press would be."""
        try:
            form: Mapping[str, object] = await request.post()
        except (UnicodeDecodeError, ValueError):
            form = {}
        user = self.user_of(form.get("initData"))
        if user is None:
            return self.unsigned(request)
        actor = await self.actor_of(user)
        t, tz = translator(actor.language), self.application.settings.tzinfo
        raw_id, raw_reason = form.get("meeting"), form.get("reason")
        meeting_id = (int(raw_id) if isinstance(raw_id, str) and raw_id.isascii()
                      and raw_id.isdigit() and int(raw_id) <= MAX_MEETING_ID else None)
        # One line, as the chat's reason: the text box's line breaks become spaces.
        reason = clean_text(" ".join(raw_reason.splitlines()) if isinstance(raw_reason, str)
                            else "", max_length=MAX_REASON)
        if meeting_id is None:
            return await self.render_leave(actor, error=t(GONE), status=400)
        if isinstance(reason, Invalid):
            kept = raw_reason[:MAX_REASON] if isinstance(raw_reason, str) else ""
            return await self.render_leave(actor, error=invalid_text(t, reason),
                                           chosen=meeting_id, reason=kept, status=400)
        try:
            async with self.application.database.session() as session:
                asked = await manage.ask_leave(FormAct(session, actor, "leave_form"),
                                               MeetingId(meeting_id), reason, tz)
        except Refused as refused:
            if refused.message == STALE_BUTTON:  # the chat's wording speaks of a button
                return message(t, t(GONE), 403)
            return message(t, t(refused.message, **refused.values), 403)
        told = await deliver_through(self.application, asked.messages)
        # The member's own chat shows the answer, as after the chat flow.
        own = meeting_views.member_message(t, tz, asked.info, AttendanceStatus.LEAVE_REQUESTED)
        await deliver_through(self.application, [(actor.telegram_id, *own)])
        done = t("Leave requested from {kind}, {when}. Your secretary will decide; the bot "
                 "tells you their answer.", kind=t(MEETING_KIND_LABELS[asked.info.kind]),
                 when=meeting_views.span_text(t, tz, asked.info.starts_at,
                                              asked.info.ends_at))
        if not told:
            nobody = t("Nobody could be told yet; please tell your secretary yourself.")
            return fragment(t, f'<p class="done" id="outcome">{done}</p>'
                            f'<p class="error">{nobody}</p>')
        return message(t, done, 200)


def setup_miniapps(web_app: web.Application, application: BranchApplication) -> None:
    """Add the forms' routes to the bot's web server."""
    apps = MiniApps(application)
    web_app[APP_KEY] = apps
    web_app.router.add_get(APP_PREFIX + "/miniapp.js", apps.script)
    web_app.router.add_get(LEAVE_PATH, apps.shell)
    web_app.router.add_get(LEAVE_PATH + "/form", apps.leave_form)
    web_app.router.add_post(LEAVE_PATH, apps.submit_leave)


async def publish_menu_button(application: BranchApplication) -> None:
    """The chat's menu button opens the leave form, when the bot has a public https URL (the
    button's one label, in the default language: Telegram keeps one default button)."""
    url = meeting_views.leave_form_url(application.settings.forms_url)
    if url is None:
        return
    t = translator(application.settings.default_language)
    try:
        await application.bot.set_chat_menu_button(menu_button=MenuButtonWebApp(
            t.as_plain("📝 Ask for leave"), WebAppInfo(url)))
    except TelegramError as error:  # the bot works without it; say why in the log
        logger.warning("could not set the menu button: %s", error)
