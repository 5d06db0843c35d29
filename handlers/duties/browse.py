"""Looking at deadlines: /duties (an admin's duty calendar, a leader's organizations), a
duty's card and switching it off or on, and the list of terms to renew (/renewal).

"Today" is the one clock's (the courier's), so what is listed agrees with what is sent.
"""

from __future__ import annotations

from handlers.access.duties import access_calendar_duty, access_duty_documents, dues_duty
from handlers.access.orgs import access_led_org
from handlers.duties import views
from handlers.kit.actions import ADMINS, LEADERS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.files import KeptFile, send_kept_files
from handlers.kit.i18n import BLANK, N_, Html, in_every_language
from handlers.pickers import Picker
from storage import duties as store
from storage import orgs as org_store
from storage.models import Duty, PartyOrganization

# Before documents were kept with no name for a photo, a photo's was "photo" in the sender's
# language.
PHOTO_NAMES = frozenset(in_every_language(N_("photo")))

PICKER = Picker(N_("Deadlines of which organization?"), views.ShowOrg, views.PickOrg,
                member_kinds_only=False)


async def org_reply(act: Act, org: PartyOrganization) -> Reply:
    """An organization's deadlines (the actor runs it)."""
    today = act.today()
    lines = await store.upcoming(act.session, org, today)
    dues = await dues_duty(act.session, org)
    return views.org_deadlines(act.t, org, lines, today, dues, admin=act.actor.is_admin,
                               documents=await store.documents(act.session, org.id))


async def show_calendar(act: Act, press: views.ShowCalendar) -> Reply:
    """The duty calendar (the actor is an admin), at the page pressed."""
    await store.ensure_default_duties(act.session, act.now())
    duties = await store.calendar(act.session, None)
    names = {row.org.id: row.org.name for row in await org_store.party_tree(act.session, None)}
    return views.duty_calendar(act.t, duties, names, press.page)


async def card_reply(act: Act, duty: Duty, note: Html = BLANK) -> Reply:
    org = (await org_store.get_party_org(act.session, duty.party_organization_id)
           if duty.party_organization_id else None)
    return views.duty_card(act.t, duty, org.name if org else None, note)


async def show_duties(act: Act, _: CommandArgs) -> Reply | None:
    """/duties: an admin gets the calendar; a leader their organization's deadlines."""
    if act.actor.is_admin:
        return await show_calendar(act, views.ShowCalendar(0))
    return await PICKER.open(act, nothing=N_("There are no branches yet."),
                             on_one=lambda org: show_org(act, views.ShowOrg(org)))


async def show_org(act: Act, press: views.ShowOrg) -> Reply:
    return await org_reply(act, await access_led_org(act, press.org))


async def show_duty(act: Act, press: views.ShowDuty) -> Reply:
    return await card_reply(act, await access_calendar_duty(act, press.duty))


async def send_documents(act: Act, press: views.ShowDocuments) -> None:
    """The documents the organization handed in for the duty, sent after the session (kept
    copies where Telegram lost any); the deadlines stay as they are."""
    org, duty, handed_in = await access_duty_documents(act, press.duty, press.org)
    t = act.t
    files = [KeptFile(d.file_id, None if photo else d.file_name, photo,
                      views.document_caption(t, duty, d.occurrence, org.name))
             for d in handed_in
             for photo in [d.file_name is None or d.file_name in PHOTO_NAMES]]
    update, context = act.update, act.context
    act.after(lambda: send_kept_files(context, update, t, files))


async def ask_switch(act: Act, press: views.AskSwitch) -> Reply:
    return views.switch_question(act.t, await access_calendar_duty(act, press.duty), press.on)


async def switch(act: Act, press: views.Switch) -> Reply:
    duty = await access_calendar_duty(act, press.duty)
    await store.edit_duty(act.session, duty, by=act.actor.telegram_id, active=press.on)
    return await card_reply(act, duty, act.t("Switched on.") if press.on
                            else act.t("Switched off."))


async def show_renewals(act: Act, data: CommandArgs | views.RenewalsPage) -> Reply:
    """/renewal: organizations whose committee term ends within 6 months or has ended."""
    today = act.today()
    lines = await store.terms_ending(act.session, None, today)
    page = data.page if isinstance(data, views.RenewalsPage) else 0
    return views.renewals(act.t, lines, today, page)


SHOW_ORG = Action(views.ShowOrg, LEADERS, show_org)
SHOW_CALENDAR = Action(views.ShowCalendar, ADMINS, show_calendar)
SHOW_DUTY = Action(views.ShowDuty, ADMINS, show_duty)
RENEWALS_PAGE = Action(views.RenewalsPage, ADMINS, show_renewals)
DUTIES = Action(Command("duties", label=N_("📋 Deadlines"), description=N_(
    "Reporting deadlines: mark done; admins: the duty calendar")), LEADERS, show_duties)
RENEWAL = Action(Command("renewal", description=N_("Record a committee renewal election (换届)")),
                 ADMINS, show_renewals)
# Leave a duties flow in progress, as a press of these or the commands did before.
EXITS = (SHOW_ORG, SHOW_DUTY, SHOW_CALENDAR, RENEWALS_PAGE, DUTIES, RENEWAL)

ACTIONS = (
    DUTIES,
    RENEWAL,
    Action(views.PickOrg, LEADERS, PICKER.turn_page),
    SHOW_ORG,
    SHOW_CALENDAR,
    SHOW_DUTY,
    Action(views.ShowDocuments, LEADERS, send_documents),
    Action(views.AskSwitch, ADMINS, ask_switch),
    Action(views.Switch, ADMINS, switch),
    RENEWALS_PAGE,
)
