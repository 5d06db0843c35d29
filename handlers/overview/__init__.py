"""/overview: the oversight picture for admins: coverage, meeting compliance, renewals,
overdue reporting duties, secretaries' training, and a chart (issue 7). The numbers come from
storage/overview/, which the web dashboard shows as well (its texts and chart from here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TypeVar

from telegram import Update
from telegram.constants import ChatAction

from handlers.kit import charts as chart
from handlers.kit.actions import ADMINS, Act, Action, Command, CommandArgs, Reply
from handlers.kit.files import busy, send_png
from handlers.kit.i18n import BLANK, N_, Html, Translator, translator
from handlers.kit.ui import fit, percent
from handlers.labels import APPROXIMATE_NOTE, duty_title, meeting_kind_labels
from rules.meetings import Period, period_label
from storage import overview as store

__all__ = ["ACTIONS", "overview_png", "periods_text"]

V = TypeVar("V")
MAX_LISTED = 10  # branches, renewals and duties listed by name; the dashboard has the rest


def periods_text(t: Translator, view: store.Overview) -> Html:
    """Which periods the meeting verdicts cover: per unit, the last completed and this one."""
    parts = {}
    for unit in (Period.MONTH, Period.QUARTER, Period.YEAR):
        if len(view.periods.get(unit, ())) == 2:
            (last, _), (current, _) = view.periods[unit]
            parts[f"{unit.value}_last"] = period_label(last, unit)
            parts[f"{unit.value}_now"] = period_label(current, unit)
    if len(parts) < 6:
        return BLANK
    return t("Judged: monthly kinds {month_last} (completed) and {month_now} (running); "
             "quarterly {quarter_last} and {quarter_now}; yearly {year_last} and {year_now}.",
             **parts)


def chart_bars(t: Translator, view: store.Overview, branches: int) -> list[
    tuple[str, float | None, str]
]:
    """The chart's bars: (label, share, "part / whole")."""
    cover = view.coverage
    covered = cover.own + cover.joint
    branch_ids = {b.org_id for b in view.branches}
    terms_ok = branches - sum(1 for r in view.renewals if r.org_id in branch_ids)
    return [
        (t("Coverage"), cover.rate, f"{covered} / {cover.total}"),
        (t("Meetings on schedule"), view.compliance_share,
         f"{view.compliant} / {len(view.branches)}"),
        (t("Secretaries on track"), view.training_share,
         f"{view.secretaries_on_track} / {view.secretaries}"),
        (t("Terms not due"), terms_ok / branches if branches else None, f"{terms_ok} / {branches}"),
    ]


async def overview_png(t: Translator, view: store.Overview) -> bytes:
    """The chart, drawn off the event loop; English labels when no Chinese font is installed."""
    font = await asyncio.to_thread(chart.cjk_font)
    t = t if font is not None else translator("en")
    bars = chart_bars(t, view, len(view.branches))
    title = t("Overview") + f" · {view.quarter.label}"
    return await asyncio.to_thread(chart.overview_chart_png, bars, title=title, font=font)


def overview_text(t: Translator, view: store.Overview) -> Html:
    """The /overview message (Telegram HTML)."""
    labels = meeting_kind_labels(t)
    cover = view.coverage
    lines = [
        t("🔭 <b>Overview</b> on {today}", today=view.today.isoformat()),
        BLANK,
        t("<b>Party organization coverage</b>"),
        t("{covered} of {total} social organizations covered ({rate}): own party "
          "organization {own}, joint branch {joint}, not covered {none}.",
          covered=cover.own + cover.joint, total=cover.total, rate=percent(cover.rate),
          own=cover.own, joint=cover.joint, none=cover.none),
        BLANK,
        t("<b>Meetings</b>: last completed and running periods"),
        periods_text(t, view),
        t("{ok} of {n} branches on schedule, {behind} behind.", ok=view.compliant,
          n=len(view.branches), behind=view.behind),
    ]
    behind = [b for b in view.branches if b.behind]  # worst first
    for branch in behind[:MAX_LISTED]:
        missing = ", ".join(
            f"{labels[s.kind]}{' · ' + s.group_name if s.group_name else ''} {s.period_label}"
            for s in branch.shortfalls if s.status == "missing")
        line = t("{mark} {name}: {missing} missing, {due} still due", mark="❌", name=branch.name,
                 missing=branch.missing, due=branch.due)
        if missing:
            line += f" ({missing})"
        lines.append(line)
    if len(behind) > MAX_LISTED:
        lines.append(t("… and more: see /dashboard."))

    lines += [BLANK, t("<b>Committee terms</b> ending within 6 months or overdue: {n}",
                    n=len(view.renewals))]
    for renewal in view.renewals[:MAX_LISTED]:
        values = {"name": renewal.name, "date": renewal.ends_on.isoformat()}
        lines.append(t("🗳 {name}: ended on {date}, renewal overdue", **values) if renewal.overdue
                     else t("🗳 {name}: ends on {date}", **values))
    if len(view.renewals) > MAX_LISTED:
        lines.append(t("… and more: see /dashboard."))
    if view.terms_unknown:
        lines.append(t("Organizations without a recorded term: {n}", n=view.terms_unknown))

    lines += [BLANK, t("<b>Reporting duties overdue</b>: {n}", n=len(view.duties))]
    for duty in view.duties[:MAX_LISTED]:
        name = duty_title(t, duty.code, duty.title)
        lines.append(t.plural(
            "📋 {title} ({occurrence}, deadline {date}): {n} organization has not handed it in",
            "📋 {title} ({occurrence}, deadline {date}): {n} organizations have not handed it in",
            duty.organizations, title=name, occurrence=duty.occurrence,
            date=("≈" if duty.approximate else "") + duty.deadline.isoformat()))
    if any(duty.approximate for duty in view.duties[:MAX_LISTED]):
        lines.append(t(APPROXIMATE_NOTE))
    lines += [
        BLANK,
        t("<b>Training</b> (secretaries: 3 days a year, and the yearly study of every member)"),
        t("Secretaries on track today: {ok} of {n} ({rate}).", ok=view.secretaries_on_track,
          n=view.secretaries, rate=percent(view.training_share)),
    ]
    return fit(lines + cases_lines(t, view) + moves_lines(t, view))


def by_branch(t: Translator, view: store.Overview, values: Mapping[int, V],
              weight: Callable[[V], int], line: Callable[[str, V], Html]) -> list[Html]:
    """One line per branch, the heaviest first, at most MAX_LISTED."""
    names = {b.org_id: b.name for b in view.branches}
    ranked = sorted(values.items(), key=lambda item: (-weight(item[1]), names.get(item[0], "")))
    lines = [line(names.get(org, ""), value) for org, value in ranked[:MAX_LISTED]]
    return [*lines, t("… and more.")] if len(ranked) > MAX_LISTED else lines


def cases_lines(t: Translator, view: store.Overview) -> list[Html]:
    """Six-month cases (党章 art. 9) the branches have not settled, the most first."""
    return [BLANK, t("<b>Six-month cases</b> not settled by their branch: {n}",
                     n=sum(view.open_cases.values())),
            *by_branch(t, view, view.open_cases, lambda n: n,
                       lambda name, n: t("⚠️ {name}: {n}", name=name, n=n))]


def moves_lines(t: Translator, view: store.Overview) -> list[Html]:
    """This year's transfers per branch (组织关系转接), the busiest first."""
    return [BLANK, t("<b>Transfers</b> accepted in {year}: {arrived} in, {left} out.",
                     year=view.today.year, arrived=sum(a for a, _ in view.moves.values()),
                     left=sum(left for _, left in view.moves.values())),
            *by_branch(t, view, view.moves, sum, lambda name, moved: t(
                "📨 {name}: {arrived} in, {left} out", name=name, arrived=moved[0],
                left=moved[1]))]


async def send_chart(update: Update, t: Translator, view: store.Overview) -> None:
    """The chart after the numbers."""
    await busy(update, ChatAction.UPLOAD_PHOTO)
    await send_png(update, t, lambda: overview_png(t, view), "overview.png",
                   t("Overview {quarter}: coverage, meetings, training and terms.",
                     quarter=view.quarter.label))


async def show_overview(act: Act, _: CommandArgs) -> Reply:
    """/overview: the admin's oversight numbers, then the chart."""
    settings = act.settings
    scope = store.scope_of(act.actor)
    assert scope is not None
    view = await store.overview(act.session, scope, today=act.today(), tz=settings.tzinfo,
                                requirements=settings.requirements,
                                policy=settings.training_policy,
                                inquorate_counts=settings.inquorate_committee_counts)
    update, t = act.update, act.t
    act.after(lambda: send_chart(update, t, view))
    return Reply(overview_text(t, view), new=True)


ACTIONS = (
    Action(Command("overview", label=N_("🔭 Overview"), description=N_(
        "Coverage, compliance, renewals, duties and training below me (admins)")),
           ADMINS, show_overview),
)
FLOWS = ()
