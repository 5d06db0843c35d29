"""/dues for leaders and admins: a branch's dues through this month (who owes which months,
reported payments to confirm or return), the branch's ledger as .xlsx, and the admin's arrears
across the tree and totals per branch and month."""

from __future__ import annotations

import asyncio

from handlers.access.dues import access_dues_branch, access_dues_member
from handlers.dues import payment, views
from handlers.dues.member import member_reply
from handlers.dues.workbook import LEDGER_TEXTS, build_dues_workbook
from handlers.kit.actions import Act, CommandArgs, Document, Reply
from handlers.kit.buttons import OrgId
from handlers.kit.chat import deliver_many
from handlers.kit.i18n import N_, Html, html_join, translator
from handlers.pickers import Picker
from rules.dues import Month
from storage import dues

PICKER = Picker(prompt=N_("Whose Party dues? Pick an organization."),
                pick=lambda org: views.BranchDues(org), page=lambda page: views.DuesBranches(page))
NOTHING = N_("You run no branch with members.")


async def open_dues(act: Act, _: CommandArgs) -> Reply | None:
    """Admins: the whole tree; leaders: their branch (or a choice); members: their own."""
    if act.actor.is_admin:
        return await admin_reply(act)
    if act.actor.leads_a_branch:
        return await PICKER.open(act, nothing=NOTHING,
                                 on_one=lambda org: branch_reply(act, org, back=False))
    return await member_reply(act)


async def turn(act: Act, press: views.DuesBranches) -> Reply:
    return await PICKER.turn(act, press.page)


async def show_branch(act: Act, press: views.BranchDues) -> Reply:
    return await branch_reply(act, press.org)


async def branch_reply(act: Act, org_id: OrgId, head: Html | None = None, *,
                       back: bool = True) -> Reply:
    org = await access_dues_branch(act, org_id)
    through = payment.current(act)
    members = await dues.branch_dues(act.session, org.id, through, act.settings.dues_rules)
    profiles = await dues.profiles_for(act.session, [m.person_id for m in members], through.year)
    stated = [views.StatedBase(m.person_id, m.name, p.category, m.monthly) for m in members
              if (p := profiles.get(m.person_id)) is not None and p.year == through.year
              and p.confirmed_by is None]
    several = act.actor.is_admin or len(await PICKER.rows(act)) > 1
    text = views.branch_text(act.t, org.name, through, members, stated)
    return Reply(html_join("\n\n", [head, text]) if head else text,
                 views.branch_markup(act.t, org.id, through.year, members,
                                     own=act.actor.is_member, stated=stated,
                                     back=views.DuesBranches(0) if back and several else None,
                                     months_ahead=org.dues_months_ahead))


async def confirm_base(act: Act, press: views.ConfirmBase) -> Reply:
    """Confirm the standard a member stated for this year, as it stands; the member is told."""
    membership = await access_dues_member(act, press.person)
    org_id = OrgId(membership.party_organization_id)
    year = payment.current(act).year
    name = membership.person.real_name or ""
    done = await dues.confirm_profile(act.session, press.person, year,
                                      by=act.actor.telegram_id, now=act.now())
    if done is None:
        return await branch_reply(act, org_id, act.t("Nothing from {name} waits any more.",
                                                     name=name), back=False)
    t = translator(membership.person.language or "zh")
    monthly = dues.monthly_of(done, act.settings.dues_rules)
    told = (t("✅ Your secretary confirmed your Party dues standard for {year}: {amount} yuan "
              "a month.", year=year, amount=views.yuan(monthly)) if monthly is not None
            else t("✅ Your secretary confirmed your Party dues category for {year}.",
                   year=year))
    context, chat = act.context, membership.person.telegram_id
    act.after(lambda: deliver_many(context, [(chat, told, None)]))
    return await branch_reply(act, org_id, act.t("✅ Standard confirmed for {name}.", name=name),
                              back=False)


async def decide(act: Act, press: views.DecideReported) -> Reply:
    """Confirm (or return) everything the member reported; the member is told."""
    membership = await access_dues_member(act, press.person)
    org_id = OrgId(membership.party_organization_id)
    through = payment.current(act)
    mine = await dues.member_dues(act.session, org_id, press.person, through,
                                  act.settings.dues_rules)
    months = sorted(mine.reported) if mine else []
    name = membership.person.real_name or ""
    if not months:
        return await branch_reply(act, org_id, act.t("Nothing from {name} waits any more.",
                                                     name=name), back=False)
    await dues.decide_reported(act.session, press.person, months, accept=press.accept,
                               by=act.actor.telegram_id)
    shown = views.months_text(months)
    t = translator(membership.person.language or "zh")
    told = (t("✅ Your secretary confirmed your Party dues for {months}.", months=shown)
            if press.accept else
            t("↩️ Your secretary did not find your reported payment for {months}; it was taken "
              "back. Please talk to them, then report it again.", months=shown))
    context, chat = act.context, membership.person.telegram_id
    act.after(lambda: deliver_many(context, [(chat, told, None)]))
    head = (act.t("✅ Confirmed for {name}: {months}.", name=name, months=shown) if press.accept
            else act.t("↩️ Returned to {name}: {months}.", name=name, months=shown))
    return await branch_reply(act, org_id, head, back=False)


async def send_ledger(act: Act, press: views.DuesLedger) -> Reply:
    org = await access_dues_branch(act, press.org)
    act.check(1921 <= press.year <= payment.current(act).year + 1)
    through = payment.current(act)
    last = through if press.year == through.year else Month(press.year, 12)
    members = await dues.branch_dues(act.session, org.id, last, act.settings.dues_rules)
    paid = await dues.payments_in(act.session, org.id, press.year)
    texts = {key: act.t.as_plain(message) for key, message in LEDGER_TEXTS.items()}
    content = await asyncio.to_thread(build_dues_workbook, org.name, press.year, last, members,
                                      paid, texts, act.now().astimezone(act.settings.tzinfo))
    reply = await branch_reply(act, OrgId(org.id))
    return Reply(reply.text, reply.markup, files=(
        Document(f"dues-{org.id}-{press.year}.xlsx", content,
                 act.t("📊 Party dues ledger {year}: {org}", year=press.year, org=org.name)),))


async def admin_reply(act: Act) -> Reply:
    act.check(act.actor.is_admin)
    through = payment.current(act)
    rows = await PICKER.rows(act)
    names = {row.org.id: row.org.name for row in rows}
    offset = act.now().astimezone(act.settings.tzinfo).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    owing = await dues.arrears(act.session, list(names), through, offset_minutes=minutes)
    totals = await dues.totals_by_month(act.session, list(names), through.year)
    return Reply(views.admin_text(act.t, through, owing, totals, names),
                 views.admin_markup(act.t))


async def show_admin(act: Act, _: views.AdminDues) -> Reply:
    return await admin_reply(act)

