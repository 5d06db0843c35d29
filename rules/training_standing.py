"""A member's standing on every yearly training requirement that binds them (issue 14: a
leader owes both the members' 32 学时 and the leaders' 3 days)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from rules.training import Progress, TrainingPolicy, progress
from rules.vocabulary import TrainingGroup, TrainingKind


def standings(
    group: TrainingGroup | None,
    required: Mapping[TrainingGroup, int],
    verified_by_kind: Mapping[TrainingKind, int],
    *,
    on: date,
    year: int,
    policy: TrainingPolicy,
) -> dict[TrainingGroup, Progress]:
    """Progress on every requirement binding `group` (a leader has two), in policy order."""
    return {
        key: progress(
            required[key],
            sum(m for kind, m in verified_by_kind.items() if kind in policy.counted_kinds[key]),
            on=on, year=year,
        )
        for key in policy.binding(group)
    }


def behind_any(standing: Mapping[TrainingGroup, Progress]) -> bool:
    """Below the pro-rata target on at least one requirement."""
    return any(not p.on_track for p in standing.values())
