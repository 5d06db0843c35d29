"""A member's training year: what is required, done, pending and due, by kind, every record;
withdrawing a record that still waits for verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.access.training import access_own_record
from handlers.kit.actions import Act, CommandArgs, Reply
from handlers.kit.buttons import BadCallback, TrainingId
from handlers.kit.i18n import BLANK, Html, Translator, escape
from handlers.kit.ui import keyboard
from handlers.labels import TRAINING_GROUP_LABELS, training_kind_label
from handlers.ledger import fit
from handlers.training import views
from handlers.training.leaders import choose_panels
from handlers.training.views import Rows
from rules import training as rules
from rules.training import TrainingPolicy
from rules.vocabulary import TrainingKind, TrainingState
from storage import training as store

MAX_RECORD_LINES = 60
MAX_WITHDRAW_BUTTONS = 5
BAR_WIDTH = 10
RECORD_MARKS = {
    TrainingState.PENDING: "⏳",
    TrainingState.VERIFIED: "✅",
    TrainingState.REJECTED: "❌",
    TrainingState.WITHDRAWN: "↩",
}
LESSON_MARK = "📖"


def year_text(
    t: Translator, mine: store.PersonYear, lines: Sequence[store.TrainingLine],
    policy: TrainingPolicy, today: date, note: Html = BLANK,
) -> Html:
    """Required, done (counted), a bar, pending, still to do, due by today, by kind, records."""
    hpd = policy.hours_per_day
    year = mine.year
    text = [note, BLANK] if note else []
    text.append(t("📚 <b>My training in {year}</b>", year=year))
    if mine.group is None:
        text.append(t("No yearly requirement applies to you (activists are not counted yet); "
                      "you can still log training."))
    else:
        text.append(t("Requirement for {group}: {required} a year",
                      group=t(TRAINING_GROUP_LABELS[mine.group]),
                      required=views.duration(t, mine.required, hpd)))
        if policy.counted_kinds[mine.group] != frozenset(TrainingKind):
            text.append(t("Counts toward it: {kinds}",
                          kinds=views.counted_kinds_text(t, policy, mine.group)))
        text.append(t("Done and counted: {done}", done=views.duration(t, mine.counted, hpd)))
        text.append(escape(f"{rules.progress_bar(mine.fraction, BAR_WIDTH)} "
                           f"{views.percent(mine.fraction)}"))
    waiting = sum(mine.pending_by_kind.values())
    if waiting:
        text.append(t("Waiting for verification: {pending}",
                      pending=views.duration(t, waiting, hpd)))
    if mine.group is not None:
        text += progress_lines(t, mine.progress, hpd, year=year, this_year=year == today.year)
    text += views.other_requirements(t, mine.standing, mine.group, policy, year=year,
                                     this_year=year == today.year)
    text += [BLANK, t("<b>By kind</b> (verified)")]
    for kind in TrainingKind:
        done, pending = mine.done_by_kind.get(kind, 0), mine.pending_by_kind.get(kind, 0)
        if pending:
            text.append(t("· {kind}: {done} (+{pending} waiting)",
                          kind=training_kind_label(t, kind), done=views.duration(t, done, hpd),
                          pending=views.duration(t, pending, hpd)))
        else:
            text.append(t("· {kind}: {done}", kind=training_kind_label(t, kind),
                          done=views.duration(t, done, hpd)))
    text += [BLANK, t("<b>Records</b>")]
    if not lines:
        text.append(t("Nothing logged for {year} yet.", year=year))
    shown = list(lines)[-MAX_RECORD_LINES:]
    if len(shown) < len(lines):
        text.append(t("(only the latest {n} are shown)", n=len(shown)))
    text += [record_line(t, line, hpd) for line in shown]
    text += [BLANK, t(views.LESSONS_COUNT)]
    return fit(text)


def progress_lines(
    t: Translator, progress: rules.Progress, hpd: int, *, year: int, this_year: bool
) -> list[Html]:
    """Met, or what is still to do and (this year) whether it is on track."""
    if progress.met:
        return [t("✅ The requirement for {year} is met.", year=year)]
    lines = [t("Still to do: {remaining}", remaining=views.duration(t, progress.remaining, hpd))]
    if this_year and progress.on_track:
        lines.append(t("Due by today (pro-rata): {due} — ✅ on track",
                       due=views.due_duration(t, progress.target, hpd)))
    elif this_year:
        lines.append(t("Due by today (pro-rata): {due} — ⚠️ {gap} behind",
                       due=views.due_duration(t, progress.target, hpd),
                       gap=views.due_duration(t, progress.gap, hpd)))
    return lines


def record_line(t: Translator, line: store.TrainingLine, hours_per_day: int) -> Html:
    mark = LESSON_MARK if line.source == "lesson" else RECORD_MARKS[line.state]
    length = views.duration(t, line.minutes, hours_per_day)
    if line.total_minutes != line.minutes:
        length = t("{part} of {total}", part=length,
                   total=views.duration(t, line.total_minutes, hours_per_day))
    values = {"mark": mark, "dates": views.day_span(line.starts_on, line.ends_on),
              "kind": training_kind_label(t, line.kind), "title": line.title, "length": length}
    if line.source == "lesson":
        return t("{mark} {dates} · {kind} · {title} · {length} (attendance, counted "
                 "automatically)", **values)
    if line.state is TrainingState.PENDING:
        return t("{mark} {dates} · {kind} · {title} · {length} (waiting for verification)",
                 **values)
    entry = t("{mark} {dates} · {kind} · {title} · {length}", **values)
    if line.state is TrainingState.REJECTED:
        entry += "\n    " + t("Not accepted: {reason}", reason=line.reject_reason or "")
    return entry


def year_keyboard(
    t: Translator, year: int, today: date, lines: Sequence[store.TrainingLine], *, leads: bool
) -> Rows:
    previous, current = rules.counting_years(today)
    rows = [[views.LogTraining(year).button(t("➕ Log a training"))], [
        views.ShowYear(y).button(("• " if y == year else "") + label)
        for y, label in ((current, t("This year")), (previous, t("Last year")))
    ]]
    pending = [line for line in lines
               if line.source == "record" and line.state is TrainingState.PENDING]
    for line in pending[:MAX_WITHDRAW_BUTTONS]:
        rows.append([views.Withdraw(TrainingId(line.id)).button(t.as_plain("↩ Withdraw: {title}",
                                                         title=views.short(line.title))),
                     views.AddFiles(TrainingId(line.id)).button(t("📎 Add a file"))])
    if leads:
        rows.append([views.ChoosePanel(0).button(t("🏢 Branch training"))])
    return rows


def require_member(act: Act) -> int:
    """The actor's person id: training is for approved members."""
    if not act.actor.is_member or act.actor.person_id is None:
        act.refuse(views.NOT_APPROVED if act.actor.is_pending else views.NOT_REGISTERED)
    return act.actor.person_id


def counting_year(act: Act, year: int) -> int:
    """This year or last year; any other came from no button of ours."""
    if year not in rules.counting_years(act.today()):
        raise BadCallback(str(year))
    return year


async def year_reply(act: Act, year: int, note: Html = BLANK, *, new: bool = False) -> Reply:
    """My year: what is done, pending and due, by kind, and every record."""
    person = require_member(act)
    tz, policy, today = act.settings.tzinfo, act.settings.training_policy, act.today()
    mine = await store.person_year(act.session, person, year, tz=tz, policy=policy,
                                   on=today if year == today.year else None)
    lines = await store.person_lines(act.session, person, year, tz=tz)
    leads = act.actor.is_admin or act.actor.leads_a_branch
    return Reply(year_text(act.t, mine, lines, policy, today, note),
                 keyboard(year_keyboard(act.t, year, today, lines, leads=leads)), new=new)


async def show_training(act: Act, _args: CommandArgs) -> Reply | None:
    """/training: my year; an admin who is not a member gets the organizations' panel."""
    if not act.actor.is_member and act.actor.is_admin:
        return await choose_panels(act, views.ChoosePanel(0))
    return await year_reply(act, act.today().year, new=True)


async def show_year(act: Act, press: views.ShowYear) -> Reply:
    return await year_reply(act, counting_year(act, press.year))


async def withdraw_record(act: Act, press: views.Withdraw) -> Reply:
    """Take back one of my own records while it waits for verification."""
    info = await access_own_record(act, press.record)
    applied = await store.withdraw(act.session, press.record, by=act.actor.telegram_id)
    t = act.t
    note = (t("↩ Withdrawn: {title}.", title=info.title) if applied
            else t("{title} is no longer waiting for verification.", title=info.title))
    years = rules.counting_years(act.today())
    return await year_reply(act, info.ends_on.year if info.ends_on.year in years
                            else act.today().year, note)
