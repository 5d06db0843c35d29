"""Leaders' view of an organization's training: the panel, who is behind the pro-rata
target, secretaries on track, and the year's record as .xlsx."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from handlers.access.orgs import access_led_org
from handlers.access.training import access_training_scope
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.buttons import BadCallback, OrgId
from handlers.kit.chat import reply_chat
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_join
from handlers.kit.ui import keyboard, page_row
from handlers.labels import training_group_labels, training_kind_labels
from handlers.ledger import fit
from handlers.pickers import Picker
from handlers.training.views import (
    ChoosePanel,
    ExportYear,
    LogForMembers,
    Rows,
    ShowBehind,
    ShowOnTrack,
    ShowPanel,
    ShowQueue,
    ShowRequirement,
    behind_lines,
    counted_kinds_text,
    duration,
    leaders_also_owe,
    non_empty,
    percent,
)
from handlers.training.workbook import WORKBOOK_TEXTS, build_workbook
from rules import training as rules
from rules.tree import MEMBER_KINDS
from rules.vocabulary import TrainingGroup
from storage import orgs as org_store
from storage import training as store
from storage.training import TrainingExport

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 50  # records listed for verification at once (oldest first)
PANELS = Picker(N_("Training of which organization?"), ShowPanel, ChoosePanel,
                member_kinds_only=False)


async def choose_panels(act: Act, press: ChoosePanel) -> Reply | None:
    """The organizations the leader runs: one goes straight to its panel."""
    act.check(act.actor.is_admin or act.actor.leads_a_branch)
    rows = await PANELS.rows(act)
    if not rows:
        return Reply(act.t("There are no branches yet."), new=True)
    if len(rows) == 1:
        return await show_panel(act, ShowPanel(OrgId(rows[0].org.id)))
    return PANELS.reply(act.t, rows, press.page)


async def show_panel(act: Act, press: ShowPanel) -> Reply:
    """An organization's training at a glance, and what a leader can do about it."""
    tz, policy, today, t = act.settings.tzinfo, act.settings.training_policy, act.today(), act.t
    org_id = press.org
    org = await access_led_org(act, org_id)
    org_ids = await org_store.descendant_ids(act.session, {org_id})
    waiting = await store.pending_records(act.session, org_ids, limit=QUEUE_LIMIT)
    late = await store.behind(act.session, org_ids, today, tz=tz, policy=policy)
    report = await store.secretaries_on_track(act.session, org_id, today, tz=tz, policy=policy)
    several = act.actor.is_admin or len(await org_store.party_tree(
        act.session, set(act.actor.managed_org_ids))) > 1
    pending = f"{len(waiting)}+" if len(waiting) >= QUEUE_LIMIT else str(len(waiting))
    hpd = policy.hours_per_day
    lines = [
        t("📚 <b>Training · {org}</b> ({year})", org=org.name, year=today.year),
        t("Waiting for verification: {n}", n=pending),
        t("Below the pro-rata target today: {n}", n=len(late)),
        t("Secretaries on track: {on_track} of {total}", on_track=report.on_track,
          total=report.secretaries),
        t("A leader owes {leader} and a member {member} a year by default.",
          leader=duration(t, policy.required_minutes[TrainingGroup.LEADER], hpd),
          member=duration(t, policy.required_minutes[TrainingGroup.MEMBER], hpd)),
    ]
    previous, current = rules.counting_years(today)
    rows: Rows = [
        [ShowQueue(org_id, 0).button(t.as_plain("✅ Verify ({n})", n=pending))],
        [ShowBehind(org_id, 0).button(t.as_plain("⚠️ Who is behind ({n})", n=len(late)))],
        [ShowOnTrack(org_id, current).button(t("📊 Secretaries on track"))],
        [ExportYear(org_id, current).button(t.as_plain("📤 Export {year}", year=current)),
         ExportYear(org_id, previous).button(t.as_plain("📤 Export {year}", year=previous))],
    ]
    if org.kind in MEMBER_KINDS:
        rows.insert(1, [LogForMembers(org_id).button(t("👥 Log for members"))])
    if act.actor.is_admin:
        rows.append([ShowRequirement(org_id).button(t("🎯 Yearly requirement"))])
    if several:
        rows.append([ChoosePanel(0).button(t("‹ Organizations"))])
    return Reply(html_join("\n", lines), keyboard(rows))


def back_to_panel(t: Translator, scope: OrgId) -> Rows:
    return [[ShowPanel(scope).button(t("‹ Branch training"))]] if scope else []


async def show_behind(act: Act, press: ShowBehind) -> Reply:
    """Members and committee members below the pro-rata target today, biggest gap first."""
    tz, policy, today, t = act.settings.tzinfo, act.settings.training_policy, act.today(), act.t
    scope, page = press.scope, press.page
    org_ids = await access_training_scope(act, scope)
    rows = await store.behind(act.session, org_ids, today, tz=tz, policy=policy)
    elapsed, total = rules.elapsed_days(today, today.year)
    lines, pages = behind_lines(t, rows, page, policy.hours_per_day,
                                with_org=len({row.org_id for row in rows}) > 1)
    text: list[Html] = [
        t("⚠️ <b>Below the pro-rata training target on {date}</b>", date=today.isoformat()),
        t("Due by today is the yearly requirement × {share} of the year gone; biggest gap "
          "first.", share=percent(elapsed / total)),
        t("Below the target: {n}", n=len(rows)),
        BLANK,
    ]
    if not rows:
        text.append(t("Everyone is on track."))
    text += lines
    nav = page_row(t, min(max(page, 0), pages - 1), pages, lambda to: ShowBehind(scope, to))
    return Reply(fit(text), non_empty(keyboard([nav, *back_to_panel(t, scope)])))


async def behind_command(act: Act, _args: CommandArgs) -> Reply:
    """/behind: everyone below the target in what the leader runs."""
    return await show_behind(act, ShowBehind(OrgId(0), 0))


async def show_on_track(act: Act, press: ShowOnTrack) -> Reply:
    """Secretaries whose counted training reaches the pro-rata target."""
    if press.year not in rules.counting_years(act.today()):
        raise BadCallback(press.pack())
    tz, policy, today, t = act.settings.tzinfo, act.settings.training_policy, act.today(), act.t
    year, org_id = press.year, press.org
    on = today if year == today.year else date(year, 12, 31)
    org = await access_led_org(act, org_id)
    report = await store.secretaries_on_track(act.session, org_id, on, tz=tz, policy=policy)
    hpd = policy.hours_per_day
    text = [
        t("📊 <b>Secretaries on track · {org}</b> ({year})", org=org.name, year=year),
        t("A secretary owes {required} of {kinds} a year (unless an organization sets "
          "otherwise); on track means at least the pro-rata share by {date}.",
          required=duration(t, policy.required_minutes[TrainingGroup.LEADER], hpd),
          kinds=counted_kinds_text(t, policy, TrainingGroup.LEADER), date=on.isoformat()),
        *[line for line in [leaders_also_owe(t, policy)] if line is not None],
        t("On track: {on_track} of {total} secretaries ({share})", on_track=report.on_track,
          total=report.secretaries, share=percent(report.share)),
        BLANK,
    ]
    if not report.rows:
        text.append(t("No secretaries yet."))
    for row in report.rows:
        mark = "✅" if row.on_track == row.secretaries else "⚠️"
        text.append(t("{mark} {org}: {on_track} of {total}", mark=mark, org=row.org_name,
                      on_track=row.on_track, total=row.secretaries))
    previous, current = rules.counting_years(today)
    rows = [
        [ShowOnTrack(org_id, y).button(("• " if y == year else "") + label)
         for y, label in ((current, t("This year")), (previous, t("Last year")))],
        *back_to_panel(t, org_id),
    ]
    return Reply(fit(text), keyboard(rows))


async def export_year(act: Act, press: ExportYear) -> None:
    """The year's record per member and per course, as .xlsx (sent after the session)."""
    if press.year not in rules.counting_years(act.today()):
        raise BadCallback(press.pack())
    tz, policy, today = act.settings.tzinfo, act.settings.training_policy, act.today()
    org = await access_led_org(act, press.org)
    org_ids = await org_store.descendant_ids(act.session, {press.org})
    exported = await store.export_data(
        act.session, org_ids, press.year, org_name=org.name, tz=tz, now=act.now(),
        policy=policy, on=today if press.year == today.year else None,
    )
    update, t, name = act.update, act.t, org.name
    act.after(lambda: send_export(update, t, exported, name, press))


async def send_export(
    update: Update, t: Translator, exported: TrainingExport, org_name: str, press: ExportYear
) -> None:
    chat = reply_chat(update)
    try:
        await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:
        logger.info("chat action failed: %s", exc)
    texts = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}
    workbook = await asyncio.to_thread(
        build_workbook, exported, texts, training_kind_labels(t), training_group_labels(t)
    )
    await chat.send_document(
        InputFile(io.BytesIO(workbook), filename=f"training-{press.org}-{press.year}.xlsx"),
        caption=t("Training record of {org}, {year}: {members} members, {courses} courses.",
                  org=org_name, year=press.year, members=len(exported.members),
                  courses=len(exported.courses)),
    )
