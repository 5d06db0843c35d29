"""The second requirement in a leader's training reminder: the members' yearly study, which
binds leaders too (issue 14), next to their concentrated days."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rules.vocabulary import TrainingGroup
from storage.training import BehindRow


def study_note(t: Any, row: BehindRow, shown: Callable[[Any, int], str]) -> str:
    """" Yearly study: … counted of … required (… expected by now)." for a leader, else ""."""
    if row.group is not TrainingGroup.LEADER or row.study_required <= 0:
        return ""
    return " " + t(
        "Yearly study (every member, leaders included): {counted} counted of {required} "
        "required ({target} expected by now).",
        counted=shown(t, row.study_counted), required=shown(t, row.study_required),
        target=shown(t, row.study_target),
    )
