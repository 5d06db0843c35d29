"""Leaders' view of an organization's training: the panel, the records waiting for verification
and one record's card (verify, reject with a typed reason, correct the length: audited; the
member is told each time; nobody decides on their own record), who is behind the pro-rata
target, secretaries on track, and the year's record as .xlsx."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date
from typing import Any

from telegram import InputFile
from telegram.constants import ChatAction

from handlers.access.orgs import access_led_org
from handlers.access.training import (
    OWN_RECORD,
    RecordInfo,
    access_decided_record,
    access_record,
    access_training_scope,
    can_decide,
    record_info,
)
from handlers.kit.actions import LEADERS, Act, CommandArgs, Reply
from handlers.kit.buttons import OrgId, TrainingId
from handlers.kit.chat import STALE_BUTTON, reply_chat
from handlers.kit.files import busy
from handlers.kit.flows import Entry, Flow, Form, Problem, Text, cleaned
from handlers.kit.i18n import BLANK, N_, Html, Translator, html_join, translator
from handlers.kit.pseudonyms import pseudonym
from handlers.kit.ui import fit, keyboard, page_of, page_row, paged_rows
from handlers.labels import ROLE_LABELS, training_group_labels, training_kind_labels
from handlers.pickers import Picker
from handlers.training import views
from handlers.training.log_views import problem_of
from handlers.training.views import Rows
from handlers.training.workbook import WORKBOOK_TEXTS, build_workbook
from rules import training as rules
from rules.training import DurationUnit, TrainingDraft, TrainingProblem
from rules.tree import MEMBER_KINDS
from rules.validation import MAX_REASON
from rules.vocabulary import TrainingGroup, TrainingState
from storage import orgs as org_store
from storage import training as store

logger = logging.getLogger(__name__)

QUEUE_LIMIT = 50  # records listed for verification at once (oldest first)
BEHIND_PER_PAGE = 25
PANELS = Picker(N_("Training of which organization?"), views.ShowPanel, views.ChoosePanel,
                member_kinds_only=False)


async def choose_panels(act: Act, press: views.ChoosePanel) -> Reply | None:
    """The organizations the leader runs: one goes straight to its panel."""
    rows = await PANELS.rows(act)
    if not rows:
        return Reply(act.t("There are no branches yet."), new=True)
    if len(rows) == 1:
        return await show_panel(act, views.ShowPanel(OrgId(rows[0].org.id)))
    return PANELS.reply(act.t, rows, press.page)


async def show_panel(act: Act, press: views.ShowPanel) -> Reply:
    """An organization's training at a glance, and what a leader can do about it."""
    tz, policy, today, t = act.settings.tzinfo, act.settings.training_policy, act.today(), act.t
    org_id = press.org
    org = await access_led_org(act, org_id)
    org_ids = await org_store.descendant_ids(act.session, {org_id})
    waiting = await store.pending_records(act.session, org_ids, limit=QUEUE_LIMIT)
    late = await store.behind(act.session, org_ids, today, tz=tz, policy=policy)
    report = await store.secretaries_on_track(act.session, org_id, today, tz=tz, policy=policy)
    several = act.actor.is_admin or len(await PANELS.rows(act)) > 1
    pending = f"{len(waiting)}+" if len(waiting) >= QUEUE_LIMIT else str(len(waiting))
    hpd = policy.hours_per_day
    lines = [
        t("📚 <b>Training · {org}</b> ({year})", org=org.name, year=today.year),
        t("Waiting for verification: {n}", n=pending),
        t("Below the pro-rata target today: {n}", n=len(late)),
        t("Secretaries on track: {on_track} of {total}", on_track=report.on_track,
          total=report.secretaries),
        t("A leader owes {leader} and a member {member} a year by default.",
          leader=views.duration(t, policy.required_minutes[TrainingGroup.LEADER], hpd),
          member=views.duration(t, policy.required_minutes[TrainingGroup.MEMBER], hpd)),
    ]
    previous, current = rules.counting_years(today)
    rows: Rows = [
        [views.ShowQueue(org_id, 0).button(t.as_plain("✅ Verify ({n})", n=pending))],
        [views.ShowBehind(org_id, 0).button(t.as_plain("⚠️ Who is behind ({n})", n=len(late)))],
        [views.ShowOnTrack(org_id, current).button(t("📊 Secretaries on track"))],
        [views.ExportYear(org_id, current).button(t.as_plain("📤 Export {year}", year=current)),
         views.ExportYear(org_id, previous).button(t.as_plain("📤 Export {year}", year=previous))],
    ]
    if org.kind in MEMBER_KINDS:
        rows.insert(1, [views.LogForMembers(org_id).button(t("👥 Log for members"))])
        form = views.many_form_button(t, act.settings.forms_url, org_id)
        if form is not None:
            rows.insert(2, [form])
    if act.actor.is_admin:
        rows.append([views.ShowRequirement(org_id).button(t("🎯 Yearly requirement"))])
    if several:
        rows.append([views.ChoosePanel(0).button(t("‹ Organizations"))])
    return Reply(html_join("\n", lines), keyboard(rows))


def back_to_panel(t: Translator, scope: OrgId) -> Rows:
    return [[views.ShowPanel(scope).button(t("‹ Branch training"))]] if scope else []


async def show_behind(act: Act, press: views.ShowBehind | CommandArgs) -> Reply:
    """Members and committee members below the pro-rata target today, biggest gap first
    (/behind: everyone in what the leader runs)."""
    tz, policy, today, t = act.settings.tzinfo, act.settings.training_policy, act.today(), act.t
    press = press if isinstance(press, views.ShowBehind) else views.ShowBehind(OrgId(0), 0)
    scope, hpd = press.scope, policy.hours_per_day
    org_ids = await access_training_scope(act, scope)
    rows = await store.behind(act.session, org_ids, today, tz=tz, policy=policy)
    elapsed, total = rules.elapsed_days(today, today.year)
    text: list[Html] = [
        t("⚠️ <b>Below the pro-rata training target on {date}</b>", date=today.isoformat()),
        t("Due by today is the yearly requirement × {share} of the year gone; biggest gap "
          "first.", share=views.percent(elapsed / total)),
        t("Below the target: {n}", n=len(rows)),
        BLANK,
    ]
    if not rows:
        text.append(t("Everyone is on track."))
    page, pages, shown = page_of(rows, press.page, BEHIND_PER_PAGE)
    with_org = len({row.org_id for row in rows}) > 1
    for number, row in enumerate(shown, start=page * BEHIND_PER_PAGE + 1):
        name = row.name + (f" ({row.org_name})" if with_org else "")
        line = t("{number}. {name} · {role}: {done} of {due} due, {gap} short",
                 number=number, name=name, role=t(ROLE_LABELS[row.role]),
                 done=views.duration(t, row.counted, hpd),
                 due=views.due_duration(t, row.target, hpd),
                 gap=views.due_duration(t, row.gap, hpd))
        if row.group is TrainingGroup.LEADER and row.study_required > 0:  # bound by both rows
            line += t("; yearly study: {done} of {due} due",
                      done=views.duration(t, row.study_counted, hpd),
                      due=views.due_duration(t, row.study_target, hpd))
        text.append(line)
    nav = [row for row in (page_row(t, page, pages, lambda to: views.ShowBehind(scope, to)),
                           *back_to_panel(t, scope)) if row]
    return Reply(fit(text), keyboard(nav) if nav else None)


async def show_on_track(act: Act, press: views.ShowOnTrack) -> Reply:
    """Secretaries whose counted training reaches the pro-rata target."""
    tz, policy, today, t = act.settings.tzinfo, act.settings.training_policy, act.today(), act.t
    year, org_id = views.counting_year(today, press.year), press.org
    on = today if year == today.year else date(year, 12, 31)
    org = await access_led_org(act, org_id)
    report = await store.secretaries_on_track(act.session, org_id, on, tz=tz, policy=policy)
    hpd = policy.hours_per_day
    text = [
        t("📊 <b>Secretaries on track · {org}</b> ({year})", org=org.name, year=year),
        t("A secretary owes {required} of {kinds} a year (unless an organization sets "
          "otherwise); on track means at least the pro-rata share by {date}.",
          required=views.duration(t, policy.required_minutes[TrainingGroup.LEADER], hpd),
          kinds=views.counted_kinds_text(t, policy, TrainingGroup.LEADER), date=on.isoformat()),
    ]
    if TrainingGroup.MEMBER in policy.binding(TrainingGroup.LEADER):  # the default
        text.append(t("Like every member, a secretary also owes {required} of {kinds} a year; "
                      "on track means on track on both.",
                      required=views.duration(t, policy.required_minutes[TrainingGroup.MEMBER],
                                              hpd),
                      kinds=views.counted_kinds_text(t, policy, TrainingGroup.MEMBER)))
    text += [t("On track: {on_track} of {total} secretaries ({share})", on_track=report.on_track,
               total=report.secretaries, share=views.percent(report.share)), BLANK]
    if not report.rows:
        text.append(t("No secretaries yet."))
    for row in report.rows:
        mark = "✅" if row.on_track == row.secretaries else "⚠️"
        text.append(t("{mark} {org}: {on_track} of {total}", mark=mark, org=row.org_name,
                      on_track=row.on_track, total=row.secretaries))
    rows = [views.year_row(t, today, year, lambda y: views.ShowOnTrack(org_id, y)),
            *back_to_panel(t, org_id)]
    return Reply(fit(text), keyboard(rows))


async def export_year(act: Act, press: views.ExportYear) -> None:
    """The year's record per member and per course, as .xlsx (sent after the session)."""
    tz, policy, today = act.settings.tzinfo, act.settings.training_policy, act.today()
    year = views.counting_year(today, press.year)
    org = await access_led_org(act, press.org)
    org_ids = await org_store.descendant_ids(act.session, {press.org})
    exported = await store.export_data(act.session, org_ids, year, org_name=org.name, tz=tz,
                                       now=act.now(), policy=policy,
                                       on=today if year == today.year else None)
    update, t, org_name = act.update, act.t, org.name  # read before the session closes

    async def send_export() -> None:
        await busy(update, ChatAction.UPLOAD_DOCUMENT)
        texts = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}
        workbook = await asyncio.to_thread(
            build_workbook, exported, texts, training_kind_labels(t), training_group_labels(t)
        )
        await reply_chat(update).send_document(
            InputFile(io.BytesIO(workbook), filename=f"training-{press.org}-{year}.xlsx"),
            caption=t("Training record of {org}, {year}: {members} members, {courses} courses.",
                      org=org_name, year=year, members=len(exported.members),
                      courses=len(exported.courses)),
        )

    act.after(send_export)


# The records waiting for verification, and the decisions on them


async def show_queue(act: Act, press: views.ShowQueue | CommandArgs) -> Reply:
    """Records waiting for verification in the scope, oldest first (/verify: everything the
    leader may verify)."""
    press = press if isinstance(press, views.ShowQueue) else views.ShowQueue(OrgId(0), 0)
    t, hpd, scope = act.t, act.settings.training_policy.hours_per_day, press.scope
    org_ids = await access_training_scope(act, scope)
    waiting = await store.pending_records(act.session, org_ids, limit=QUEUE_LIMIT)
    items = [views.ShowRecord(TrainingId(line.record.id)).button(
        f"{line.name} · {views.short(line.record.title)} · "
        f"{views.hours_figure(line.record.minutes)} h") for line in waiting]
    text = [t("✅ <b>Training waiting for verification</b>: {n} (oldest first)",
              n=len(waiting))]
    if len(waiting) >= QUEUE_LIMIT:
        text.append(t("Only the oldest {n} are listed; verify them to see more.",
                      n=QUEUE_LIMIT))
    if not waiting:
        text.append(t("Nothing is waiting for verification."))
    for line in waiting[:3]:
        text.append("· " + t("{name}: {title}, {length}", name=line.name,
                             title=line.record.title,
                             length=views.duration(t, line.record.minutes, hpd)))
    rows = paged_rows(t, items, press.page, lambda number: views.ShowQueue(scope, number),
                      back_to_panel(t, scope))
    return Reply(html_join("\n", text), keyboard(rows) if rows else None)


async def show_card(act: Act, press: views.ShowRecord, note: Html = BLANK, *,
                    new: bool = False) -> Reply:
    """One record for its member's leaders, with what they may do about it."""
    t = act.t
    info = await access_record(act, press.record)
    text = views.card_text(t, info, act.settings.training_policy.hours_per_day)
    decide = can_decide(act.actor, info)
    if not decide and info.person_id == act.actor.person_id:
        text += "\n" + t(OWN_RECORD)
    if note:
        text = note + "\n\n" + text
    return Reply(text, views.card_keyboard(t, info, decide=decide, back=info.org_id), new=new)


async def back_to_card(act: Act, form: Form, press: views.ShowRecord) -> Reply:
    """‹ Back while a reason or a length is asked: the card, and nothing is typed."""
    return await show_card(act, press)


async def verify_record(act: Act, press: views.VerifyRecord) -> Reply:
    return await decide(act, await access_decided_record(act, press.record))


async def decide(act: Act, info: RecordInfo, reason: str | None = None) -> Reply:
    """Verified (no reason) or rejected once; the member is told."""
    approve, new = reason is None, reason is not None
    if not await store.decide(act.session, info.id, approve=approve, by=act.actor.telegram_id,
                              now=act.now(), reason=reason):
        return await show_card(act, views.ShowRecord(info.id),
                               act.t("This record was already decided or withdrawn."), new=new)
    logger.info("user %s %s training record %s", pseudonym(act.actor.telegram_id),
                "verified" if approve else "rejected", info.id)
    await tell_member(act, info, reason=reason)
    note = (act.t("✅ Verified.") if approve
            else act.t("❌ Not accepted; {name} was told.", name=info.name))
    return await show_card(act, views.ShowRecord(info.id), note, new=new)


async def tell_member(act: Act, info: RecordInfo, *, reason: str | None = None,
                      before: int | None = None) -> None:
    """The member hears of a decision on their record, or of its corrected length (after the
    reply)."""
    fresh = await record_info(act.session, info.id)
    assert fresh is not None
    t, hpd = translator(info.language), act.settings.training_policy.hours_per_day
    if before is not None:
        heading = t("✏️ <b>Your training record was corrected</b>")
        more = [t("Length: {before} → {after}", before=views.duration(t, before, hpd),
                  after=views.duration(t, fresh.minutes, hpd))]
    elif reason is None:
        heading, more = t("✅ <b>Your training was verified</b>; it counts now."), []
    else:
        heading = t("❌ <b>Your training was not accepted</b>")
        more = [t("Reason: {reason}", reason=reason),
                t("You can log it again, corrected, in 📚 Training.")]
    act.deliver([(info.telegram_id, views.member_note(t, fresh, hpd, heading, *more), None)])


class DecisionForm(Form):
    """The record a reason (to reject it) or a length (to correct it) is typed for."""

    record: TrainingId
    reject: bool


async def start_decision(act: Act, press: views.RejectRecord | views.CorrectLength
                         ) -> DecisionForm:
    """A reason is typed while the record waits; a length also once it is verified."""
    info = await access_decided_record(act, press.record)
    if isinstance(press, views.RejectRecord) and info.state is not TrainingState.PENDING:
        act.refuse(views.ERROR_TEXTS["not_pending"])
    if info.state not in (TrainingState.PENDING, TrainingState.VERIFIED):
        act.refuse(views.ERROR_TEXTS["not_editable"])
    return DecisionForm(record=press.record, reject=isinstance(press, views.RejectRecord))


async def ask_reason(act: Act, form: DecisionForm) -> Html:
    info = await access_decided_record(act, form.record)
    return act.t("Why is {title} of {name} not accepted? Type the reason; {name} will see it "
                 "and can log it again corrected.", title=info.title, name=info.name)


async def back_button(act: Act, form: DecisionForm) -> Rows:
    return [[views.ShowRecord(form.record).button(act.t("‹ Back"))]]


async def reject(act: Act, form: DecisionForm, reason: str) -> Reply:
    """The reason typed: rejected once, and the member told."""
    return await decide(act, await access_decided_record(act, form.record), reason)


async def ask_length(act: Act, form: DecisionForm) -> Html:
    info = await access_decided_record(act, form.record)
    return act.t("How long was {title} of {name}? Now {length}. Type the hours, for example 4 "
                 "or 1.5, or days like 2 days.", title=info.title, name=info.name,
                 length=views.duration(act.t, info.minutes,
                                       act.settings.training_policy.hours_per_day))


async def read_length(act: Act, form: DecisionForm, text: str) -> Any:
    """The length: the record is corrected (audited) and its member told."""
    t, hpd, today = act.t, act.settings.training_policy.hours_per_day, act.today()
    minutes = rules.parse_length(text, DurationUnit.HOURS, hpd)
    if minutes is None:
        return Problem(views.TYPE_A_NUMBER)
    info = await access_decided_record(act, form.record)
    if isinstance(minutes, TrainingProblem):
        return problem_of(minutes, today, start=info.starts_on, end=info.ends_on)
    try:
        await store.edit_training(
            act.session, form.record,
            TrainingDraft(title=info.title, kind=info.kind, starts_on=info.starts_on,
                          ends_on=info.ends_on, minutes=minutes, organizer=info.organizer),
            by=act.actor.telegram_id, today=today, reason="length corrected by a leader",
        )
    except store.TrainingError as error:
        if error.code not in set(TrainingProblem):
            act.refuse(views.ERROR_TEXTS.get(error.code, STALE_BUTTON))
        return problem_of(TrainingProblem(error.code), today, start=info.starts_on,
                          end=info.ends_on)
    logger.info("user %s corrected training record %s", pseudonym(act.actor.telegram_id),
                form.record)
    await tell_member(act, info, before=info.minutes)
    note = t("✏️ Corrected: {before} → {after}.", before=views.duration(t, info.minutes, hpd),
             after=views.duration(t, minutes, hpd))
    return await show_card(act, views.ShowRecord(form.record), note, new=True)


DECIDE = Flow(
    name="training_decision", prefix="tr", form=DecisionForm, back=False,
    guard=lambda act, form: access_decided_record(act, form.record),
    entry=(Entry(views.RejectRecord, LEADERS, start_decision),
           Entry(views.CorrectLength, LEADERS, start_decision)),
    steps=(Text(key="reason", ask=ask_reason, read=cleaned(MAX_REASON, reject), buttons=back_button,
                presses=((views.ShowRecord, back_to_card),), when=lambda form: form.reject),
           Text(key="hours", ask=ask_length, read=read_length, buttons=back_button,
                presses=((views.ShowRecord, back_to_card),), when=lambda form: not form.reject)),
)
