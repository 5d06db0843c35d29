"""What a training change that cannot happen raises, with a code for the handlers."""

from __future__ import annotations

from collections.abc import Sequence


class TrainingError(Exception):
    """A training change that cannot happen; `code` is a message id key for the handlers.

    Codes: a rules.training.TrainingProblem or EvidenceProblem value, or one of not_found,
    unknown_person, no_members, not_pending, not_editable, not_owner, own_record,
    reason_needed, reason_too_long, negative_requirement, duplicate.
    """

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


class DuplicateTraining(TrainingError):
    """The same course (normalized title, start day) is already logged and not rejected."""

    def __init__(self, person_ids: Sequence[int]) -> None:
        super().__init__("duplicate", person_ids=tuple(person_ids))
        self.person_ids = tuple(person_ids)  # who already has it (empty: lost a race)
