"""Where people stand against the yearly requirements: the members' yearly study that binds a
leader too (rules.training.TrainingPolicy.requirements; issue 14), and who is behind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handlers.kit.i18n import Html, Translator
from handlers.labels import ROLE_LABELS
from handlers.training.views import counted_kinds_text, due_duration, duration
from rules.training import Progress, TrainingPolicy
from rules.vocabulary import TrainingGroup
from storage.training import BehindRow

BEHIND_PER_PAGE = 25


def study_part(t: Translator, row: BehindRow, hours_per_day: int) -> Html | None:
    """"; yearly study: 20 hours of 30 hours due" for a leader bound by both rows, else None."""
    if row.group is not TrainingGroup.LEADER or row.study_required <= 0:
        return None
    return t("; yearly study: {done} of {due} due", done=duration(t, row.study_counted,
                                                                  hours_per_day),
             due=due_duration(t, row.study_target, hours_per_day))


def leaders_also_owe(t: Translator, policy: TrainingPolicy) -> Html | None:
    """The members' yearly study, when it binds leaders too (the default)."""
    if TrainingGroup.MEMBER not in policy.binding(TrainingGroup.LEADER):
        return None
    return t("Like every member, a secretary also owes {required} of {kinds} a year; on track "
             "means on track on both.",
             required=duration(t, policy.required_minutes[TrainingGroup.MEMBER],
                               policy.hours_per_day),
             kinds=counted_kinds_text(t, policy, TrainingGroup.MEMBER))


def other_requirements(t: Translator, standing: Mapping[TrainingGroup, Progress],
                       own: TrainingGroup | None, policy: TrainingPolicy, *, year: int,
                       this_year: bool) -> list[Html]:
    """The requirements binding a person besides their own group's (a leader: the study)."""
    hpd = policy.hours_per_day
    lines: list[Html] = []
    for key, progress in standing.items():
        if key == own:
            continue
        lines.append(t("Also owed, like every member: {required} a year of {kinds}; done and "
                       "counted: {done}",
                       required=duration(t, progress.required, hpd),
                       kinds=counted_kinds_text(t, policy, key),
                       done=duration(t, progress.counted, hpd)))
        if progress.met:
            lines.append(t("✅ This requirement for {year} is met too.", year=year))
        elif this_year and not progress.on_track:
            lines.append(t("⚠️ Still to do: {remaining}; {gap} behind the pro-rata share",
                           remaining=duration(t, progress.remaining, hpd),
                           gap=due_duration(t, progress.gap, hpd)))
        else:
            lines.append(t("Still to do: {remaining}",
                           remaining=duration(t, progress.remaining, hpd)))
    return lines


def behind_lines(
    t: Translator, rows: Sequence[BehindRow], page: int, hours_per_day: int,
    *, with_org: bool,
) -> tuple[list[Html], int]:
    """One page of the behind list, numbered, and how many pages there are."""
    pages = max(1, -(-len(rows) // BEHIND_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    lines = []
    start = page * BEHIND_PER_PAGE
    for number, row in enumerate(rows[start : start + BEHIND_PER_PAGE], start=start + 1):
        name = row.name + (f" ({row.org_name})" if with_org else "")
        lines.append(t(
            "{number}. {name} · {role}: {done} of {due} due, {gap} short",
            number=number, name=name, role=t(ROLE_LABELS[row.role]),
            done=duration(t, row.counted, hours_per_day),
            due=due_duration(t, row.target, hours_per_day),
            gap=due_duration(t, row.gap, hours_per_day),
        ) + (study_part(t, row, hours_per_day) or ""))
    return lines, pages
