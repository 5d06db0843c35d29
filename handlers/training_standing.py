"""Lines that show the second requirement binding a leader: the members' yearly study
(rules.training.TrainingPolicy.requirements; issue 14), next to their concentrated days."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.kit.i18n import Html, Translator
from rules.training import Progress, TrainingPolicy
from rules.vocabulary import TrainingGroup
from storage.training import BehindRow


def study_part(t: Translator, row: BehindRow, hours_per_day: int) -> Html | None:
    """"; yearly study: 20 hours of 30 hours due" for a leader bound by both rows, else None."""
    from handlers.training import due_duration, duration

    if row.group is not TrainingGroup.LEADER or row.study_required <= 0:
        return None
    return t("; yearly study: {done} of {due} due", done=duration(t, row.study_counted,
                                                                  hours_per_day),
             due=due_duration(t, row.study_target, hours_per_day))


def leaders_also_owe(t: Translator, policy: TrainingPolicy) -> Html | None:
    """The members' yearly study, when it binds leaders too (the default)."""
    from handlers.training import counted_kinds_text, duration

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
    from handlers.training import counted_kinds_text, due_duration, duration

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
