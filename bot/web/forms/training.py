"""The "Log a training" form (issue 18): one screen for a member's own training, the steps of
the chat's flow at once. The submission is checked and stored by the chat's own service
(handlers/training/own_record.log_own_training): only the actor's own record, the same rules
(a bad date or length re-shows the form with the values kept, 400), the same record and the
same cards to the leaders. Certificates are added in the chat afterwards (📎 Add a file).
Opened with ?org=N (🏢 Branch training), a leader logs one training for the members of that
branch they tick, through the chat's service for many (handlers/training/many_records): the
branch and every id posted are checked again, a forged one refuses it all (403)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from aiohttp import web

from bot.web.forms.fields import field, hidden, number, select
from bot.web.forms.page import FormPage, Posted, every, texts
from bot.web.miniapp import MiniApps, fragment, message
from bot.web.tables import esc
from handlers.kit.actions import FormAct
from handlers.kit.chat import NOT_ALLOWED, STALE_BUTTON, Refused, deliver_through
from handlers.kit.i18n import N_, Html, Translator, translator
from handlers.kit.ui import keyboard, person_name
from handlers.labels import MEMBER_STATUS_LABELS, ROLE_LABELS, training_kind_labels
from handlers.training import views
from handlers.training.log_views import problem_of
from handlers.training.many_records import branch_members, branch_to_log, log_for_members
from handlers.training.own_record import NOBODY_TOLD, InvalidTraining, log_own_training
from rules import training as rules
from rules.permissions import Actor
from rules.training import DurationUnit, TrainingDraft
from rules.validation import strip_format_chars
from rules.vocabulary import MemberRole, TrainingKind
from storage import training as store
from storage.models import Membership, PartyOrganization

TRAINING_PATH = views.TRAINING_FORM_PATH
TITLE = N_("Log a training")
BAD_DATES = N_("Please enter the first and the last day of the training as dates.")
BAD_CHOICE = N_("Please choose the kind of training and the unit of its length again.")
LATER = N_("Send the certificate in the chat afterwards: press 📎 Add a file under the "
           "training there (a photo or a PDF).")
YOURS_ONLY = N_("This form logs your own training. To log one training for members of your "
                "branch, use 🏢 Branch training in the chat.")
FOR_MANY = N_("Log and verify now (your own record still waits for another leader)")
NO_FILES = N_("To attach a certificate to every record, log it in the chat with 👥 Log for "
              "members instead.")
NO_MEMBERS = N_("{org} has no active members yet.")
FIELDS = ("year", "kind", "course", "organizer", "start", "end", "amount", "unit")
MANY_FIELDS = ("org", "kind", "course", "organizer", "start", "end", "amount", "unit", "verify")
Kept = Mapping[str, str]  # the title is "course": the page's header holds id="title"


def standing(member: Membership) -> str:
    """A leader's role, else whether a full or probationary member or an activist."""
    if member.role is MemberRole.MEMBER:
        return MEMBER_STATUS_LABELS[member.status]
    return ROLE_LABELS[member.role]


class TrainingForms(FormPage):
    """GET the form, POST it: bound to the Mini Apps' shared checks."""

    path = TRAINING_PATH
    title = TITLE
    passed_on = ("year", "org")

    def today(self) -> date:
        return self.application.now().astimezone(self.application.settings.tzinfo).date()

    async def form(self, request: web.Request) -> web.StreamResponse:
        """GET /app/training/form (initData in the header)."""
        actor = await self.signed(request)
        if isinstance(actor, web.Response):
            return actor
        if "org" in request.query:  # a leader's form for many (🏢 Branch training)
            kept = {"org": request.query["org"], "unit": DurationUnit.HOURS.value}
            return await self.render_many(actor, kept, set())
        year = number(request.query.get("year"))
        if year not in rules.counting_years(self.today()):
            year = self.today().year
        return self.render(actor, {"year": str(year), "unit": DurationUnit.HOURS.value})

    def refused(self, actor: Actor) -> web.Response | None:
        """Training is for approved members, as in the chat."""
        if actor.is_member and actor.person_id is not None:
            return None
        t = translator(actor.language)
        return message(t, t(views.NOT_APPROVED if actor.is_pending else views.NOT_REGISTERED),
                       403, TITLE)

    def render(self, actor: Actor, kept: Kept, *, error: Html | None = None,
               status: int = 200) -> web.Response:
        refused = self.refused(actor)
        if refused is not None:
            return refused
        t = translator(actor.language)
        leads = actor.is_admin or actor.leads_a_branch
        return fragment(t, self.html(t, kept, error, leads=leads), status, TITLE)

    def html(self, t: Translator, kept: Kept, error: Html | None, *, leads: bool) -> str:
        year = number(kept.get("year", "")) or self.today().year
        counts = t("Log a training that counts in {year}.", year=year)
        parts = [f'<form method="post" action="{esc(TRAINING_PATH)}" id="training">',
                 f"<h1>{t(TITLE)}</h1>",
                 f'<p class="hint">{counts} {t(views.LESSONS_COUNT)}</p>']
        if error:
            parts.append(f'<p class="error" id="outcome">{error}</p>')
        parts += [hidden("year", kept.get("year", "")), *self.fields(t, kept),
                  f'<p class="hint">{t(LATER)}</p>']
        if leads:
            parts.append(f'<p class="hint">{t(YOURS_ONLY)}</p>')
        parts.append(f'<button type="submit" id="submit">{t(TITLE)}</button></form>')
        return "".join(parts)

    def fields(self, t: Translator, kept: Kept) -> list[str]:
        """The training's own fields, the same for one's own and for many."""
        def value(name: str) -> str:
            return kept.get(name, "")

        settings, today = self.application.settings, self.today()
        first, _last = rules.counting_years(today)
        days = {"min": date(first, 1, 1).isoformat(), "max": today.isoformat()}
        kinds = [(kind.value, t.as_plain(label))
                 for kind, label in training_kind_labels(t).items()]
        units = [(DurationUnit.HOURS.value, t.as_plain("Hours")),
                 (DurationUnit.DAYS.value, t.as_plain("Days"))]
        zone = t("Dates in {zone}.", zone=settings.timezone)
        per_day = t("A day counts {hours} hours.", hours=settings.training_policy.hours_per_day)
        return [
            select("kind", kinds, value("kind"), t("Kind of training")),
            field("course", t("Title"), "text", value("course"), max_length=rules.MAX_TITLE,
                  required=True),
            field("organizer", t("Organizer (optional)"), "text", value("organizer"),
                  max_length=rules.MAX_ORGANIZER),
            field("start", t("First day"), "date", value("start"), required=True, attrs=days),
            field("end", t("Last day"), "date", value("end"), required=True, attrs=days),
            f'<p class="hint">{zone}</p>',
            field("amount", t("Length"), "text", value("amount"), max_length=20,
                  required=True, attrs={"inputmode": "decimal"}),
            select("unit", units, value("unit"), t("Counted in")),
            f'<p class="hint">{per_day}</p>',
        ]

    async def render_many(self, actor: Actor, kept: Kept, chosen: set[int], *,
                          error: Html | None = None, status: int = 200) -> web.Response:
        """The form for many: the branch checked as the chat's entry checks it (403)."""
        t, org_id = translator(actor.language), number(kept.get("org"))
        async with self.application.database.session() as session:
            act = FormAct(session, actor, "training_form")
            try:
                if org_id is None:
                    act.refuse()
                org = await branch_to_log(act, org_id)
            except Refused as refusal:
                return message(t, t(refusal.message, **refusal.values), 403, TITLE)
            members = await branch_members(act, org.id)
        if not members:
            return message(t, t(NO_MEMBERS, org=org.name), 200, TITLE)
        return fragment(t, self.many_html(t, org, members, kept, chosen, error), status, TITLE)

    def many_html(self, t: Translator, org: PartyOrganization, members: list[Membership],
                  kept: Kept, chosen: set[int], error: Html | None) -> str:
        boxes = "".join(
            f'<label class="choice"><input type="checkbox" name="person" value="{m.person_id}"'
            f'{" checked" if m.person_id in chosen else ""}><div>'
            f"<b>{esc(person_name(t, m.person))}</b><span>{t(standing(m))}</span>"
            f"</div></label>" for m in members)
        which = t("Who attended? Tick the members of {org} to log one training for.",
                  org=org.name)
        verify = " checked" if kept.get("verify") == "1" else ""
        parts = [f'<form method="post" action="{esc(TRAINING_PATH)}" id="training">',
                 f"<h1>{t(TITLE)}</h1>", f'<p class="hint">{t(views.LESSONS_COUNT)}</p>']
        if error:
            parts.append(f'<p class="error" id="outcome">{error}</p>')
        parts += [hidden("org", str(org.id)),
                  f'<fieldset id="people"><legend>{which}</legend>{boxes}</fieldset>',
                  *self.fields(t, kept),
                  f'<label class="choice"><input type="checkbox" name="verify" value="1"'
                  f'{verify}><div><b>{t(FOR_MANY)}</b></div></label>',
                  f'<p class="hint">{t(NO_FILES)}</p>',
                  f'<button type="submit" id="submit">{t(TITLE)}</button></form>']
        return "".join(parts)

    def draft_of(self, t: Translator, kept: Kept) -> TrainingDraft | Html:
        """The training as the chat's steps read it, or why the form is not filled right."""
        try:
            kind, unit = TrainingKind(kept["kind"]), DurationUnit(kept["unit"])
        except ValueError:
            return t(BAD_CHOICE)
        try:
            start, end = date.fromisoformat(kept["start"]), date.fromisoformat(kept["end"])
        except ValueError:
            return t(BAD_DATES)
        hpd = self.application.settings.training_policy.hours_per_day
        minutes = rules.parse_length(kept["amount"], unit, hpd)
        if minutes is None:
            return t(views.TYPE_A_NUMBER)
        if isinstance(minutes, rules.TrainingProblem):
            problem = problem_of(minutes, self.today(), start=start, end=end)
            return t(problem.message, **problem.values)
        organizer = strip_format_chars(kept["organizer"]).strip()
        return TrainingDraft(title=strip_format_chars(kept["course"]).strip(), kind=kind,
                             starts_on=start, ends_on=end, minutes=minutes,
                             organizer=organizer or None)

    async def submit(self, request: web.Request) -> web.StreamResponse:
        """POST /app/training: the chat's own service, for the actor's own record only."""
        signed = await self.posted(request)
        if isinstance(signed, web.Response):
            return signed
        actor, posted = signed
        if "org" in posted:
            return await self.submit_many(actor, posted)
        refused = self.refused(actor)
        if refused is not None:
            return refused
        assert actor.person_id is not None  # a member, as refused() checked
        t, today = translator(actor.language), self.today()
        kept = texts(posted, FIELDS, 400)
        year = number(kept["year"])
        if year is None:
            return self.render(actor, kept, error=t(BAD_CHOICE), status=400)
        draft = self.draft_of(t, kept)
        if not isinstance(draft, TrainingDraft):
            return self.render(actor, kept, error=draft, status=400)
        settings = self.application.settings
        try:
            async with self.application.database.session() as session:
                done = await log_own_training(
                    FormAct(session, actor, "training_form"), actor.person_id, year, draft,
                    t=t, settings=settings, today=today, now=self.application.now())
        except Refused as refusal:
            return message(t, t(refusal.message, **refusal.values), 403, TITLE)
        except InvalidTraining as invalid:
            problem = problem_of(invalid.problem, today, start=draft.starts_on,
                                 end=draft.ends_on, year=year)
            return self.render(actor, kept, error=t(problem.message, **problem.values),
                               status=400)
        except store.DuplicateTraining:
            return self.render(actor, kept, status=400, error=t(
                "You have already logged {title} starting on {date}.", title=draft.title,
                date=draft.starts_on.isoformat()))
        except store.TrainingError as error:
            return message(t, t(views.ERROR_TEXTS.get(error.code, STALE_BUTTON)), 403, TITLE)
        note = done.note
        if done.messages and not await deliver_through(self.application, done.messages):
            note += "\n" + t(NOBODY_TOLD)  # as the chat says when nobody could be reached
        # The chat says so too, with the buttons to add the certificate and see the year.
        markup = keyboard([[views.AddFiles(done.info.id).button(t("📎 Add a file"))],
                           [views.ShowYear(year).button(t(views.MY_TRAINING))]])
        await deliver_through(self.application, [(actor.telegram_id, note, markup)])
        shown = note.replace("\n", "<br>")
        return fragment(t, f'<p class="done" id="outcome">{shown}</p>'
                        f'<p class="hint">{t(LATER)}</p>', 200, TITLE)

    async def submit_many(self, actor: Actor, posted: Posted) -> web.StreamResponse:
        """POST /app/training with org: the chat's service for many, every id checked again."""
        t, today = translator(actor.language), self.today()
        kept = texts(posted, MANY_FIELDS, 400)
        ids = [number(raw) for raw in every(posted, "person")]
        chosen = {pid for pid in ids if pid is not None}
        if None in ids:  # no id of ours: forged
            return message(t, t(NOT_ALLOWED), 403, TITLE)
        if not chosen:
            return await self.render_many(actor, kept, chosen, status=400,
                                          error=t(views.ERROR_TEXTS["no_members"]))
        draft = self.draft_of(t, kept)
        if not isinstance(draft, TrainingDraft):
            return await self.render_many(actor, kept, chosen, error=draft, status=400)
        org_id = number(kept["org"])
        settings = self.application.settings
        try:
            async with self.application.database.session() as session:
                if org_id is None:
                    raise Refused(NOT_ALLOWED)
                done = await log_for_members(
                    FormAct(session, actor, "training_form"), org_id, sorted(chosen), draft,
                    verify=kept["verify"] == "1", t=t, settings=settings, today=today,
                    now=self.application.now())
        except Refused as refusal:
            return message(t, t(refusal.message, **refusal.values), 403, TITLE)
        except InvalidTraining as invalid:
            problem = problem_of(invalid.problem, today, start=draft.starts_on,
                                 end=draft.ends_on)
            return await self.render_many(actor, kept, chosen, status=400,
                                          error=t(problem.message, **problem.values))
        except store.DuplicateTraining:
            return await self.render_many(actor, kept, chosen, status=400,
                                          error=t(views.ERROR_TEXTS["duplicate"]))
        except store.TrainingError as error:
            return message(t, t(views.ERROR_TEXTS.get(error.code, STALE_BUTTON)), 403, TITLE)
        await deliver_through(self.application, [*done.messages, (actor.telegram_id, done.text,
                                                                  None)])
        shown = done.text.replace("\n", "<br>")
        return fragment(t, f'<p class="done" id="outcome">{shown}</p>', 200, TITLE)


def setup_training_form(web_app: web.Application, apps: MiniApps) -> None:
    """Add the form's routes to the bot's web server."""
    TrainingForms(apps).add_routes(web_app)
