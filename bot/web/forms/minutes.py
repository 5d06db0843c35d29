"""The "Record minutes" form (issue 18): one screen to close a meeting with its minutes, for
the leaders who run it. The meeting comes from the chat's button (?meeting=N) or is picked
among the actor's meetings that have begun and await their minutes. The submission is checked
and stored by the chat's own service (handlers/checkin/closing.close_with_minutes), as a forged
press would be: a meeting the actor does not run is refused (403) and nothing is stored; empty
or over-long minutes re-show the form with the text kept (400). Photos and documents are sent
in the chat's closing flow; the form takes the minutes' text only."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from bot.web.forms.fields import number, textarea
from bot.web.forms.page import FormPage
from bot.web.miniapp import GONE, MiniApps, fragment, message
from bot.web.tables import esc
from handlers.checkin import views as checkin_views
from handlers.checkin.closing import (
    CAUGHT_UP_TOLD,
    CLOSED,
    awaiting_minutes,
    close_with_minutes,
)
from handlers.checkin.leading import live_meeting
from handlers.checkin.record_views import CLOSE_AND_FREEZE
from handlers.checkin.roster import record_message
from handlers.kit.actions import FormAct
from handlers.kit.buttons import MeetingId
from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON, Refused, deliver_through
from handlers.kit.i18n import N_, Html, Translator, translator
from handlers.kit.steps import invalid_text
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings import views as meeting_views
from rules import meetings as rules
from rules.permissions import Actor
from rules.validation import Invalid
from storage import meetings as store
from storage.models import Meeting

logger = logging.getLogger(__name__)

MINUTES_PATH = meeting_views.MINUTES_FORM_PATH
TITLE = N_("Record minutes")
NONE_AWAITING = N_("No meeting of yours awaits its minutes: a meeting can be closed once it has "
                   "begun.")
Kept = Mapping[str, str]
Choice = tuple[Meeting, Html]  # a meeting and its counts so far


class MinutesForms(FormPage):
    """GET the form, POST it: bound to the Mini Apps' shared checks."""

    path = MINUTES_PATH
    title = TITLE
    passed_on = "meeting"

    async def form(self, request: web.Request) -> web.StreamResponse:
        """GET /app/minutes/form (initData in the header)."""
        actor = await self.signed(request)
        if isinstance(actor, web.Response):
            return actor
        return await self.render(actor, {"meeting": request.query.get("meeting", ""),
                                         "minutes": ""})

    async def render(self, actor: Actor, kept: Kept, *, error: Html | None = None,
                     status: int = 200) -> web.Response:
        """The meeting given (checked as the chat checks a press), else those awaiting minutes."""
        t, now = translator(actor.language), self.application.now()
        chosen = number(kept["meeting"])
        async with self.application.database.session() as session:
            if chosen is not None:
                try:
                    meetings = [await live_meeting(FormAct(session, actor, "minutes_form"),
                                                   MeetingId(chosen))]
                except Refused as refused:
                    return self.refusal(t, refused)
                if now < meetings[0].starts_at:
                    return message(t, t(checkin_views.NOT_STARTED), 403, TITLE)
            else:
                meetings = await awaiting_minutes(session, actor, now)
            # The counts the record would freeze now, as the chat's last step shows them.
            choices = [(meeting, t("If closed now: {counts}", counts=checkin_views.counts_line(
                t, rules.ledger_counts({a.id: a.status for a, _p
                                        in await store.roster(session, meeting.id)}))))
                for meeting in meetings]
        if not choices:
            if not (actor.is_admin or actor.leads_a_branch):
                return message(t, t(NOT_ALLOWED), 403, TITLE)
            return message(t, t(NONE_AWAITING), 200, TITLE)
        return fragment(t, self.html(t, choices, chosen, kept, error), status, TITLE)

    def html(self, t: Translator, choices: list[Choice], chosen: int | None, kept: Kept,
             error: Html | None) -> str:
        tz = self.application.settings.tzinfo
        options = []
        for meeting, counts in choices:
            checked = " checked" if meeting.id == chosen or len(choices) == 1 else ""
            topic = esc(meeting.topic)
            where = esc(" · ".join(
                name for name in (meeting.party_organization.name,
                                  meeting.party_group.name if meeting.party_group else None,
                                  meeting.place) if name))
            options.append(
                f'<label class="choice"><input type="radio" name="meeting" '
                f'value="{meeting.id}" required{checked}><div>'
                f"<b>{t(MEETING_KIND_LABELS[meeting.kind])}</b> «{topic}»"
                f"<span>{meeting_views.span_text(t, tz, meeting.starts_at, meeting.ends_at)}"
                f"</span><span>{where}</span><span>{counts}</span></div></label>")
        which = t("Which meeting?") if len(choices) > 1 else t("Meeting")
        limit = t("At most {limit} characters.", limit=checkin_views.MAX_MINUTES)
        frozen = t("Everyone not checked in and without approved leave is recorded absent.")
        catch_up = t("The record is frozen, and the absent are asked to catch up (补学).")
        photos = t("Photos and documents (the sign-in sheet, materials) are not taken here: to "
                   "attach them, close the meeting in the chat with “🔒 Close meeting” instead.")
        parts = [f'<form method="post" action="{esc(MINUTES_PATH)}" id="minutes">',
                 f"<h1>{t(TITLE)}</h1>"]
        if error:
            parts.append(f'<p class="error" id="outcome">{error}</p>')
        parts += [
            f"<fieldset><legend>{which}</legend>{''.join(options)}</fieldset>",
            textarea("text", t("Minutes: what was discussed and decided"), kept["minutes"],
                     max_length=checkin_views.MAX_MINUTES, required=True),
            f'<p class="hint">{limit}</p><p class="hint">{frozen}</p>',
            f'<p class="hint">{catch_up}</p>',
            f'<p class="hint">{photos}</p>',
            f'<button type="submit" id="submit">{t(CLOSE_AND_FREEZE)}</button></form>',
        ]
        return "".join(parts)

    def refusal(self, t: Translator, refused: Refused) -> web.Response:
        text = t(GONE) if refused.message == STALE_BUTTON else t(refused.message,
                                                                 **refused.values)
        return message(t, text, 403, TITLE)

    async def submit(self, request: web.Request) -> web.StreamResponse:
        """POST /app/minutes: the chat's own service, as a forged press would be checked."""
        signed = await self.posted(request)
        if isinstance(signed, web.Response):
            return signed
        actor, posted = signed
        t, tz = translator(actor.language), self.application.settings.tzinfo
        raw_id, raw_text = posted.get("meeting"), posted.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        kept = {"meeting": raw_id if isinstance(raw_id, str) else "",
                "minutes": text[:checkin_views.MAX_MINUTES]}
        meeting_id = number(kept["meeting"])
        if meeting_id is None:
            return await self.render(actor, kept, error=t(GONE), status=400)
        minutes = checkin_views.clean_minutes(text)
        if isinstance(minutes, Invalid):
            return await self.render(actor, kept, error=invalid_text(t, minutes), status=400)
        try:
            async with self.application.database.session() as session:
                closed = await close_with_minutes(FormAct(session, actor, "minutes_form"),
                                                  MeetingId(meeting_id), minutes, tz,
                                                  self.application.now())
                record = await record_message(session, t, tz, closed.meeting, t(CLOSED))
        except Refused as refused:
            return self.refusal(t, refused)
        told = await deliver_through(self.application, closed.notices)
        logger.info("meeting %s: %s of %s %s", meeting_id, told, len(closed.notices),
                    CAUGHT_UP_TOLD)
        # The chat shows the frozen record with its buttons, as after the chat flow.
        await deliver_through(self.application, [(actor.telegram_id, record.text, record.markup)])
        asked = t.plural("{n} absent member was asked to catch up (补学).",
                         "{n} absent members were asked to catch up (补学).",
                         len(closed.notices))
        sent = t("The record is in your chat with the bot.")
        return fragment(t, f'<p class="done" id="outcome">{t(CLOSED)}</p>'
                        f'<p>{checkin_views.counts_line(t, closed.counts)}</p>'
                        f'<p class="hint">{asked}</p><p class="hint">{sent}</p>', 200, TITLE)


def setup_minutes_form(web_app: web.Application, apps: MiniApps) -> None:
    """Add the form's routes to the bot's web server."""
    MinutesForms(apps).add_routes(web_app)
