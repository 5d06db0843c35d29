"""The "Schedule a meeting" form (issue 18): one screen for a one-off meeting, for branch
leaders. The branches offered are those the chat's /schedule picker offers; the submission is
checked and stored by the chat's own service (handlers/meetings/schedule.schedule_meeting), as
a forged press would be: a branch the actor does not lead is refused (403), a bad or past time
re-shows the form with the values kept (400)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time

from aiohttp import web

from bot.web.forms.fields import field, number, optional, select
from bot.web.forms.page import FormPage, texts
from bot.web.miniapp import MiniApps, fragment, message
from bot.web.tables import esc
from handlers.kit.actions import FormAct
from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON, Refused, deliver_through
from handlers.kit.i18n import N_, Html, Translator, translator
from handlers.kit.steps import invalid_text
from handlers.labels import MEETING_KIND_LABELS
from handlers.meetings import manage
from handlers.meetings import views as meeting_views
from handlers.meetings.schedule import schedule_meeting, scheduled_note
from handlers.pickers import managed_orgs, org_label
from rules.permissions import Actor
from rules.validation import MAX_PERSON, MAX_PLACE, MAX_TOPIC, Invalid, clean_text
from rules.vocabulary import MeetingKind
from storage import orgs as org_store
from storage.meetings import MeetingError, MeetingPlan
from storage.orgs import TreeRow

SCHEDULE_PATH = meeting_views.SCHEDULE_FORM_PATH
TITLE = N_("Schedule a meeting")
BAD_TIME = N_("Please enter a valid date, start time and end time.")
BAD_CHOICE = N_("Please choose the branch and the kind of meeting again.")
FIELDS = ("org", "kind", "grp", "topic", "date", "start", "end", "place", "host", "rec", "lect")
Kept = Mapping[str, str]


class ScheduleForms(FormPage):
    """GET the form, POST it: bound to the Mini Apps' shared checks."""

    path = SCHEDULE_PATH
    title = TITLE
    passed_on = "org"

    async def form(self, request: web.Request) -> web.StreamResponse:
        """GET /app/schedule/form (initData in the header)."""
        actor = await self.signed(request)
        if isinstance(actor, web.Response):
            return actor
        return await self.render(actor, {"org": request.query.get("org", "")})

    async def render(self, actor: Actor, kept: Kept, *, error: Html | None = None,
                     status: int = 200) -> web.Response:
        t = translator(actor.language)
        async with self.application.database.session() as session:
            rows = await managed_orgs(session, actor, member_kinds_only=True)
            groups = [(str(g.id), f"{row.org.name} · {g.name}") for row in rows
                      for g in await org_store.groups_of(session, row.org.id)]
        if not rows:
            return message(t, t(meeting_views.NO_BRANCH) if actor.is_admin else t(NOT_ALLOWED),
                           200 if actor.is_admin else 403, TITLE)
        return fragment(t, self.html(t, rows, groups, kept, error), status, TITLE)

    def html(self, t: Translator, rows: list[TreeRow], groups: list[tuple[str, str]], kept: Kept,
             error: Html | None) -> str:
        def value(name: str) -> str:
            return kept.get(name, "")

        zone = self.application.settings.timezone
        once = t("One meeting only: set up a monthly series, an online meeting or a location "
                 "for check-in in the chat with /schedule. Everyone expected is told.")
        only_group = t("Only for a party group meeting.")
        zone_hint = t("Times in {zone}.", zone=zone)
        orgs = [(str(row.org.id), org_label(row)) for row in rows]
        kinds = [(kind.value, t.as_plain(label)) for kind, label in MEETING_KIND_LABELS.items()]
        parts = [f'<form method="post" action="{esc(SCHEDULE_PATH)}" id="schedule">',
                 f"<h1>{t(TITLE)}</h1>"]
        if error:
            parts.append(f'<p class="error" id="outcome">{error}</p>')
        parts += [
            select("org", orgs, value("org"), t("Branch")),
            select("kind", kinds, value("kind"), t("Kind of meeting")),
        ]
        if groups:
            parts += [select("grp", [("", "—"), *groups], value("grp"), t("Party group"),
                             required=False),
                      f'<p class="hint">{only_group}</p>']
        parts += [
            field("topic", t("Topic"), "text", value("topic"), max_length=MAX_TOPIC,
                  required=True),
            field("date", t("Date"), "date", value("date"), required=True),
            field("start", t("Starts at"), "time", value("start"), required=True),
            field("end", t("Ends at"), "time", value("end"), required=True),
            f'<p class="hint">{zone_hint}</p>',
            field("place", t("Place (optional)"), "text", value("place"), max_length=MAX_PLACE),
            field("host", t("Host (optional)"), "text", value("host"), max_length=MAX_PERSON),
            field("rec", t("Recorder (optional)"), "text", value("rec"), max_length=MAX_PERSON),
            field("lect", t("Lecturer (only for a party lesson)"), "text", value("lect"),
                  max_length=MAX_PERSON),
            f'<p class="hint">{once}</p>',
            f'<button type="submit" id="submit">{t(TITLE)}</button></form>',
        ]
        return "".join(parts)

    def plan_of(self, t: Translator, kept: Kept) -> MeetingPlan | Html:
        """The plan as the chat builds it, or why the form is not filled right."""
        org, group = number(kept["org"]), number(kept["grp"])
        try:
            kind = MeetingKind(kept["kind"])
        except ValueError:
            kind = None
        if org is None or kind is None:
            return t(BAD_CHOICE)
        tz = self.application.settings.tzinfo
        try:
            day = date.fromisoformat(kept["date"])
            starts = datetime.combine(day, time.fromisoformat(kept["start"]), tzinfo=tz)
            ends = datetime.combine(day, time.fromisoformat(kept["end"]), tzinfo=tz)
        except ValueError:
            return t(BAD_TIME)
        topic = clean_text(kept["topic"], max_length=MAX_TOPIC)
        place, host = optional(kept["place"], MAX_PLACE), optional(kept["host"], MAX_PERSON)
        rec, lect = optional(kept["rec"], MAX_PERSON), optional(kept["lect"], MAX_PERSON)
        if isinstance(topic, Invalid):
            return invalid_text(t, topic)
        for cleaned in (place, host, rec, lect):
            if isinstance(cleaned, Invalid):
                return invalid_text(t, cleaned)
        assert not isinstance(place, Invalid) and not isinstance(host, Invalid)
        assert not isinstance(rec, Invalid) and not isinstance(lect, Invalid)
        return MeetingPlan(
            org_id=org, kind=kind, starts_at=starts.astimezone(UTC),
            ends_at=ends.astimezone(UTC), topic=topic, place=place, host=host, recorder=rec,
            lecturer=lect if kind is MeetingKind.LESSON else None,
            party_group_id=group if kind is MeetingKind.GROUP else None,
        )

    async def submit(self, request: web.Request) -> web.StreamResponse:
        """POST /app/schedule: the chat's own service, as a forged press would be checked."""
        signed = await self.posted(request)
        if isinstance(signed, web.Response):
            return signed
        actor, posted = signed
        t, tz = translator(actor.language), self.application.settings.tzinfo
        kept = texts(posted, FIELDS, 200)
        plan = self.plan_of(t, kept)
        if not isinstance(plan, MeetingPlan):
            return await self.render(actor, kept, error=plan, status=400)
        try:
            async with self.application.database.session() as session:
                done = await schedule_meeting(FormAct(session, actor, "schedule_form"), plan,
                                              [plan.starts_at], tz, self.application.now())
        except Refused as refused:
            text = t(BAD_CHOICE) if refused.message == STALE_BUTTON else t(
                refused.message, **refused.values)
            return message(t, text, 403, TITLE)
        except MeetingError as error:  # nothing was written
            problem = meeting_views.meeting_problem(error, tz)
            return await self.render(actor, kept, error=t(problem.message, **problem.values),
                                     status=400)
        told = await deliver_through(self.application, done.messages)
        scheduled = t("Scheduled: {kind}, {when}.",
                      kind=t(MEETING_KIND_LABELS[done.info.kind]),
                      when=meeting_views.span_text(t, tz, done.info.starts_at,
                                                   done.info.ends_at))
        # The chat says so too, as after the chat flow, with the meeting's button.
        await deliver_through(self.application,
                              [(actor.telegram_id, *scheduled_note(t, done, told))])
        return fragment(t, f'<p class="done" id="outcome">{scheduled}</p>'
                        f'<p class="hint">{manage.told_text(t, told)}</p>', 200, TITLE)


def setup_schedule_form(web_app: web.Application, apps: MiniApps) -> None:
    """Add the form's routes to the bot's web server."""
    ScheduleForms(apps).add_routes(web_app)
