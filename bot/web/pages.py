"""The dashboard's pages as tables and small HTML pieces (rendered by bot/web/dashboard.py).

Values go into Cells raw and are escaped where written; texts from the translator are
already escaped in their values (handlers.kit.i18n), so they are used as HTML content directly.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.tables import Cell, Column, Table, esc, file_url
from handlers.kit.i18n import N_, Translator
from handlers.labels import (
    APPROXIMATE_NOTE,
    COMPLIANCE_STATUS_LABELS,
    NOTICE_STATE_LABELS,
    PARTY_KIND_LONG_LABELS,
    duty_title,
    meeting_kind_labels,
)
from handlers.ledger import WORKBOOK_TEXTS
from handlers.overview import (
    periods_text,
)
from rules.meetings import Requirement
from rules.training import TrainingPolicy
from rules.verdicts import recent_periods
from rules.vocabulary import MeetingKind
from storage import ledger as ledger_store
from storage import overview as store
from storage.files import branch_files
from storage.meetings import day_bounds
from storage.models import AuditEvent, Person
from storage.orgs import get_party_org, social_orgs_of

STATUS_LABELS = {"behind": N_("behind"), "due": N_("due this period"), "ok": N_("on schedule")}
STATUS_MARK = {"missing": "behind", "due": "due", "met": "ok"}
TAG = re.compile(r"<[^>]+>")


def status_label(t: Translator, key: str) -> str:
    return t(STATUS_LABELS[key])


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _figure(label: str, value: str, note: str = "") -> str:
    return (f'<div class="figure">{esc(label)}<b>{esc(value)}</b>'
            f"{esc(note)}</div>")


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def overview_figures(t: Translator, view: store.Overview) -> str:
    cover = view.coverage
    parts = [
        _figure(t("Coverage"), _percent(cover.rate),
                f"{cover.own + cover.joint} / {cover.total}"),
        _figure(t("Branches with meetings on schedule"),
                f"{view.compliant} / {len(view.branches)}", ""),
        _figure(t("Terms ending within 6 months or overdue"), str(len(view.renewals))),
        _figure(t("Reporting duties overdue"), str(sum(d.organizations for d in view.duties))),
        _figure(t("Secretaries on track"), _percent(view.training_share),
                f"{view.secretaries_on_track} / {view.secretaries}"),
    ]
    return '<div class="figures">' + "".join(parts) + "</div>"


def overview_tables(t: Translator, view: store.Overview, limit: int) -> list[Table]:
    """The overview's numbers as tables (the branch list limited to the worst `limit`)."""
    labels = meeting_kind_labels(t)
    cover = view.coverage
    coverage = Table("coverage", t("Party organization coverage"), [
        Column("own", t("Own party organization"), numeric=True),
        Column("joint", t("Joint branch"), numeric=True),
        Column("none", t("Not covered"), numeric=True),
        Column("total", t("Social organizations"), numeric=True),
        Column("rate", t("Coverage rate"), numeric=True, percent=True),
    ], [[Cell(cover.own), Cell(cover.joint), Cell(cover.none), Cell(cover.total),
         Cell(cover.rate)]])
    worst = [b for b in view.branches if b.missing or b.due][:limit]
    compliance = Table(
        "compliance", t("Meetings: branches behind first"),
        [
            Column("name", t("Branch")),
            Column("status", t("Status")),
            Column("missing", t("Periods missed"), numeric=True),
            Column("due", t("Still due"), numeric=True),
            Column("what", t("Missing meetings")),
        ],
        [
            [
                Cell(b.name, href=f"/dashboard/branch/{b.org_id}"),
                Cell(status_label(t, "behind" if b.behind else "due"),
                     mark="behind" if b.behind else "due"),
                Cell(b.missing), Cell(b.due),
                Cell("; ".join(
                    f"{labels[s.kind]}{' · ' + s.group_name if s.group_name else ''} "
                    f"{s.period_label}" for s in b.shortfalls if s.status == "missing"
                )),
            ]
            for b in worst
        ],
        empty=t("Every branch is on schedule."),
        note=t("{ok} of {n} branches on schedule, {behind} behind.", ok=view.compliant,
               n=len(view.branches), behind=view.behind) + " " + periods_text(t, view),
    )
    renewals = Table("renewals", t("Committee terms ending within 6 months or overdue"), [
        Column("name", t("Organization")),
        Column("started", t("Elected on")),
        Column("ends", t("Term ends")),
        Column("status", t("Status")),
    ], [
        [Cell(r.name, href=f"/dashboard/branch/{r.org_id}"), Cell(r.started_on),
         Cell(r.ends_on),
         Cell(t("overdue") if r.overdue else t("ending soon"),
              mark="behind" if r.overdue else "due")]
        for r in view.renewals
    ], empty=t("None"),
        note=t("Organizations without a recorded term: {n}", n=view.terms_unknown)
        if view.terms_unknown else "")
    duties = Table("duties", t("Reporting duties overdue"), [
        Column("duty", t("Duty")),
        Column("occurrence", t("Occurrence")),
        Column("deadline", t("Deadline")),
        Column("organizations", t("Organizations not done"), numeric=True),
    ], [
        [Cell(duty_title(t, d.code, d.title)), Cell(d.occurrence),
         Cell("≈" + d.deadline.isoformat() if d.approximate else d.deadline),
         Cell(d.organizations)]
        for d in view.duties
    ], empty=t("None"),
        note=t(APPROXIMATE_NOTE) if any(d.approximate for d in view.duties) else "")
    training = Table("training", t("Secretaries on track for the 3 training days"), [
        Column("secretaries", t("Secretaries"), numeric=True),
        Column("on_track", t("On track"), numeric=True),
        Column("share", t("Share"), numeric=True, percent=True),
    ], [[Cell(view.secretaries), Cell(view.secretaries_on_track), Cell(view.training_share)]])
    return [coverage, compliance, renewals, duties, training]


def branch_table(t: Translator, rows: list[store.BranchRow], prefix: str) -> Table:
    return Table("branches", t("Branches"), [
        Column("name", t("Branch"), sortable=True),
        Column("kind", t("Kind")),
        Column("parent", t("Upper level"), sortable=True),
        Column("members", t("Members"), numeric=True, sortable=True),
        Column("social", t("Social organizations"), numeric=True, sortable=True),
        Column("status", t("Meetings"), sortable=True),
        Column("missing", t("Periods missed"), numeric=True),
        Column("term", t("Term ends"), sortable=True),
        Column("duties", t("Duties overdue"), numeric=True, sortable=True),
        Column("training", t("Secretaries on track"), sortable=True),
    ], [
        [
            Cell(r.name, href=f"{prefix}/branch/{r.org_id}"),
            Cell(t(PARTY_KIND_LONG_LABELS[r.kind])),
            Cell(r.parent_name),
            Cell(r.members),
            Cell(r.social_orgs),
            Cell(t(STATUS_LABELS[r.status]), mark=r.status),
            Cell(r.missing),
            Cell(r.term_ends_on, mark="behind" if r.term_overdue else ""),
            Cell(r.duties_overdue, mark="behind" if r.duties_overdue else ""),
            Cell(f"{r.secretaries_on_track} / {r.secretaries}" if r.secretaries else "–"),
        ]
        for r in rows
    ], empty=t("No branches match."))


def filter_form(
    t: Translator, action: str, text: str, status: str, sort: str, direction: str,
    statuses: Mapping[str, str],
) -> str:
    any_status, name, submit = t("any status"), t("Name"), t("Filter")
    options = [f'<option value="">{esc(any_status)}</option>']
    for key, label in statuses.items():
        selected = " selected" if key == status else ""
        options.append(f'<option value="{esc(key)}"{selected}>{esc(t(label))}</option>')
    return (
        f'<form class="filter" method="get" action="{esc(action)}">'
        f'<input type="search" name="q" value="{esc(text)}" placeholder="{esc(name)}">'
        f'<select name="status">{"".join(options)}</select>'
        f'<input type="hidden" name="sort" value="{esc(sort)}">'
        f'<input type="hidden" name="dir" value="{esc(direction)}">'
        f'<button type="submit">{esc(submit)}</button></form>'
    )


def search_form(t: Translator, action: str, text: str) -> str:
    placeholder, submit = t("Action or name"), t("Filter")
    return (
        f'<form class="filter" method="get" action="{esc(action)}">'
        f'<input type="search" name="q" value="{esc(text)}" placeholder="{esc(placeholder)}">'
        f'<button type="submit">{esc(submit)}</button></form>'
    )


# ---------------------------------------------------------------------------------------------
# One branch
# ---------------------------------------------------------------------------------------------


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


async def branch_detail(
    session: AsyncSession, t: Translator, org_id: int, *, now: datetime, tz: tzinfo,
    requirements: Mapping[MeetingKind, Requirement], policy: TrainingPolicy,
    inquorate_counts: bool = False,
) -> tuple[str, str, list[Table]] | None:
    """(title, intro HTML, tables) of one organization as of `now` (the bot's clock), or None
    if there is none."""
    from storage import training as training_store

    today = now.astimezone(tz).date()
    org = await get_party_org(session, org_id)
    if org is None:
        return None
    labels = meeting_kind_labels(t)
    parent = await get_party_org(session, org.parent_id) if org.parent_id else None
    socials = await social_orgs_of(session, org.id)
    ends, overdue = store.term_of(org, today)
    # The periods /overview judges: the last completed and the running one of each kind.
    _, verdicts = await ledger_store.verdicts_of(
        session, org.id, recent_periods(today), tz=tz, requirements=requirements,
        today=today, inquorate_counts=inquorate_counts,
    )
    year = await ledger_store.ledger_data(
        session, org.id, org.name, ledger_store.report_period("ty", today), tz=tz,
        requirements=requirements, today=today, now=now, inquorate_counts=inquorate_counts,
    )
    training = await training_store.export_data(
        session, {org.id}, today.year, org_name=org.name, tz=tz, now=now, policy=policy,
        on=today,
    )
    duties = await store.duties_of(session, org, today=today, tz=tz)
    w = {key: t(message) for key, message in WORKBOOK_TEXTS.items()}

    facts = Table("facts", t("Organization details"), [
        Column("item", t("Item")), Column("value", t("Value")),
    ], [
        [Cell(t("Kind")), Cell(t(PARTY_KIND_LONG_LABELS[org.kind]))],
        [Cell(t("Upper level")), Cell(parent.name if parent else "")],
        [Cell(t("Social organizations")), Cell("; ".join(s.name for s in socials))],
        [Cell(t("Elected on")), Cell(org.term_started_on)],
        [Cell(t("Term ends")), Cell(ends, mark="behind" if overdue else "")],
        [Cell(t("Renewal")), Cell(t("overdue") if overdue else t("not due") if ends else
                                  t("term not recorded"), mark="behind" if overdue else "")],
    ])
    compliance_rows = []
    for item in verdicts:
        if item.not_applicable:
            compliance_rows.append([
                Cell(labels[item.kind]), Cell(item.group_name), Cell(""),
                Cell(item.requirement.minimum), Cell(""), Cell(""),
                Cell(w[item.not_applicable]),
            ])
        for row in item.rows:
            compliance_rows.append([
                Cell(labels[item.kind]), Cell(item.group_name), Cell(row.period_label),
                Cell(row.required), Cell(row.held),
                Cell(row.inquorate if item.kind is MeetingKind.COMMITTEE else ""),
                Cell(t(COMPLIANCE_STATUS_LABELS[row.status]), mark=STATUS_MARK.get(row.status, "")),
            ])
    compliance = Table("compliance", t("Meetings: last completed and running periods"), [
        Column("kind", w["kind"]), Column("group", w["group"]),
        Column("period", w["period"]),
        Column("required", w["required"], numeric=True),
        Column("held", w["held"], numeric=True),
        Column("inquorate", w["inquorate"], numeric=True),
        Column("status", w["status"]),
    ], compliance_rows, empty=t("None"))
    meetings = Table("meetings", t("Meetings held in {year}", year=today.year), [
        Column("date", w["date"]), Column("kind", w["kind"]),
        Column("topic", w["topic"]),
        Column("expected", w["expected"], numeric=True),
        Column("present", w["present"], numeric=True),
        Column("on_leave", w["on_leave"], numeric=True),
        Column("absent", w["absent"], numeric=True),
        Column("quorum", w["quorum"]),
    ], [
        [Cell(m.starts_at.date()), Cell(labels[m.kind]), Cell(m.topic), Cell(m.expected),
         Cell(m.present), Cell(m.on_leave), Cell(m.absent),
         Cell("" if m.quorate is None else w["yes"] if m.quorate else w["no"],
              mark="behind" if m.quorate is False else "")]
        for m in reversed(year.meetings)
    ], empty=t("No closed meetings in this period."))
    attendance = Table("attendance", t("Attendance per member in {year}", year=today.year), [
        Column("name", w["name"]),
        Column("expected", w["expected"], numeric=True),
        Column("present", w["present"], numeric=True),
        Column("on_leave", w["on_leave"], numeric=True),
        Column("absent", w["absent"], numeric=True),
        Column("rate", w["rate"], numeric=True, percent=True),
    ], [
        [Cell(m.name), Cell(m.expected), Cell(m.present), Cell(m.on_leave), Cell(m.absent),
         Cell(m.rate)]
        for m in year.compliance.members
    ], empty=t("No closed meetings in this period."))
    training_table = Table("training", t("Training in {year} (hours)", year=today.year), [
        Column("name", w["name"]),
        Column("group", t("Group")),
        Column("required", t("Required hours"), numeric=True),
        Column("counted", t("Counted hours"), numeric=True),
        Column("pending", t("Pending hours"), numeric=True),
        Column("target", t("Due by today"), numeric=True),
        # The members' yearly study, which binds leaders too (issue 14).
        Column("study_required", t("Yearly study required (hours)"), numeric=True),
        Column("study_counted", t("Yearly study counted (hours)"), numeric=True),
        Column("status", t("Status")),
    ], [
        [Cell(m.name), Cell(t("leader") if m.group.value == "leader" else t("member")),
         Cell(_hours(m.required)), Cell(_hours(m.counted)), Cell(_hours(m.pending)),
         Cell(_hours(m.target)), Cell(_hours(m.study_required)), Cell(_hours(m.study_counted)),
         Cell(t("on track") if m.on_track else t("behind"),
              mark="ok" if m.on_track else "behind")]
        for m in training.members
    ], empty=t("None"))
    duty_table = Table("duties", t("Reporting duties"), [
        Column("duty", t("Duty")),
        Column("overdue", t("Overdue (not handed in)")),
        Column("next", t("Next occurrence")),
        Column("deadline", t("Deadline")),
    ], [
        [Cell(duty_title(t, d.code, d.title)),
         Cell("; ".join(f"{key} ({'≈' if key in d.overdue_approximate else ''}"
                        f"{when.isoformat()})" for key, when in d.overdue),
              mark="behind" if d.overdue else ""),
         Cell(d.next_occurrence),
         Cell("≈" + d.next_deadline.isoformat() if d.next_approximate and d.next_deadline
              else d.next_deadline)]
        for d in duties
    ], empty=t("None"),
        note=t(APPROXIMATE_NOTE)
        if any(d.next_approximate or d.overdue_approximate for d in duties) else "")
    year_start, year_end = day_bounds(date(today.year, 1, 1), date(today.year, 12, 31), tz)
    kept = await branch_files(session, org.id, year_start, year_end)
    what = {"minutes": t("Meeting"), "duty": t("Reporting duty"), "training": t("Training")}
    files_table = Table("files", t("Files handed in, {year} (kept by the bot)", year=today.year), [
        Column("date", w["date"]), Column("what", t("Evidence of")),
        Column("about", t("About")), Column("file", t("File")),
    ], [
        [Cell(f.at.astimezone(tz).date()), Cell(what[f.kind]),
         Cell(duty_title(t, f.duty_code, f.about) if f.kind == "duty" else f.about),
         Cell(f.file_name or t("photo"), href=file_url(f.stored_id))]
        for f in kept
    ], empty=t("None"))
    kind_label = t(PARTY_KIND_LONG_LABELS[org.kind])
    intro = f"<p>{esc(kind_label)}" + (
        f" · {esc(parent.name)}" if parent else "") + "</p>"
    return org.name, intro, [facts, compliance, meetings, attendance, training_table,
                             duty_table, files_table]


# ---------------------------------------------------------------------------------------------
# Notices and the audit log
# ---------------------------------------------------------------------------------------------


def _plain(text_html: str, limit: int = 80) -> str:
    text = html.unescape(TAG.sub("", text_html)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def notices_table(
    session: AsyncSession, t: Translator, scope: store.Scope, tz: tzinfo
) -> Table:
    """Notices of the viewer's subtree, newest first, with delivery and read counts."""
    from storage import notices

    rows = await notices.list_in_subtree(session, scope.org_ids, limit=200)
    return Table("notices", t("Notices"), [
        Column("created", t("Created")),
        Column("org", t("From")),
        Column("state", t("State")),
        Column("text", t("Text")),
        Column("recipients", t("Recipients"), numeric=True),
        Column("sent", t("Sent"), numeric=True),
        Column("failed", t("Failed"), numeric=True),
        Column("read", t("Read"), numeric=True),
        Column("read_share", t("Read share"), numeric=True, percent=True),
    ], [
        [Cell(r.notice.created_at.astimezone(tz)), Cell(r.org_name or t("upper level")),
         Cell(t(NOTICE_STATE_LABELS.get(r.notice.state, r.notice.state.value))),
         Cell(_plain(r.notice.text_html)), Cell(r.counts.recipients), Cell(r.counts.sent),
         Cell(r.counts.failed), Cell(r.counts.read),
         Cell(_share(r.counts.read, r.counts.recipients))]
        for r in rows
    ], empty=t("None"))


def _json(value: Any) -> str:
    if value in (None, {}, ""):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


async def audit_table(
    session: AsyncSession, t: Translator, text: str, *, limit: int, offset: int, tz: tzinfo
) -> tuple[Table, bool]:
    """Audit events newest first, optionally those whose action or actor name holds `text`;
    and whether there are more."""
    query = (
        select(AuditEvent, Person.real_name)
        .outerjoin(Person, Person.telegram_id == AuditEvent.actor_telegram_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    if text.strip():
        needle = f"%{text.strip().lower()}%"
        query = query.where(or_(
            func.lower(AuditEvent.action).like(needle),
            func.lower(func.coalesce(Person.real_name, "")).like(needle),
            cast(AuditEvent.actor_telegram_id, String).like(needle),
        ))
    rows = (await session.execute(query)).all()
    more = len(rows) > limit
    lines = []
    for event, name in rows[:limit]:
        details = dict(event.details or {})
        before = details.pop("before", None)
        after = details.pop("after", None)
        who = name or (str(event.actor_telegram_id) if event.actor_telegram_id else t("system"))
        lines.append([
            Cell(event.at.astimezone(tz)), Cell(who), Cell(event.action),
            Cell(f"{event.target_type} #{event.target_id}" if event.target_id is not None
                 else event.target_type),
            Cell(_json(before)), Cell(_json(after)), Cell(_json(details)),
        ])
    table = Table("audit", t("Audit log"), [
        Column("at", t("When")), Column("who", t("Who")), Column("action", t("Action")),
        Column("target", t("Target")), Column("before", t("Before")),
        Column("after", t("After")), Column("details", t("Details")),
    ], lines, empty=t("None"))
    return table, more
