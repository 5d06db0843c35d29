"""Training hours (issue 5): logging for one member or many, verification, evidence,
per-organization requirements, and the views: a person's year, who is behind, secretaries on
track, and the yearly .xlsx export.

Every view aggregates in SQL with a fixed number of statements whatever the number of members:

- A record's minutes are split per calendar year when it is written (`training_years`), so a
  year's total is a plain SUM.
- Party lessons attended (PRESENT on a CLOSED meeting of kind LESSON) count as verified
  training of kind `lesson` with the meeting's duration. The totals add them to the logged
  records by a UNION ALL, reading them from lesson_attendances (storage/lesson_attendances.py),
  kept in the transaction that closes the meeting or corrects a line, so a correction counts
  at once. The lesson's year is the local year of its start (`tz`).
- The yearly requirement of each party organization is resolved by a recursive query down the
  tree (the nearest override wins, else the deployment default of the TrainingPolicy), the
  same rule as rules.training.resolve_required_minutes, which the person view uses.
- Only active memberships are counted; the requirement follows the current role and status.

Permissions are the handlers' (rules.training.can_verify and can_log_for_others); storage
refuses only what is never allowed (verifying one's own record, withdrawing someone else's).
Errors carry a `code` (a string or a rules.training problem code) for the handlers to translate.

The package's modules: records.py (logging, verification, edits, evidence, the queue),
requirement.py (the requirement per organization), views.py (a person's year, who is behind,
secretaries on track), export.py (the yearly workbook's data), totals.py (the SQL they share)
and errors.py. Import from the package: `from storage import training`.
"""

from __future__ import annotations

from storage.training.errors import DuplicateTraining, TrainingError
from storage.training.export import CourseYear, MemberYear, TrainingExport, export_data
from storage.training.records import (
    BatchResult,
    EvidenceFile,
    PendingLine,
    add_evidence,
    already_logged,
    current_org_id,
    decide,
    edit_training,
    get_record,
    log_for_many,
    log_training,
    pending_records,
    verifiers,
    withdraw,
)
from storage.training.requirement import (
    MAX_REQUIRED_MINUTES,
    RequirementSource,
    own_requirements,
    required_minutes,
    requirement_sources,
    set_requirement,
)
from storage.training.totals import OPEN_STATES
from storage.training.views import (
    BehindRow,
    OnTrackReport,
    OnTrackRow,
    PersonYear,
    TrainingLine,
    behind,
    person_lines,
    person_year,
    secretaries_on_track,
)

__all__ = [
    "MAX_REQUIRED_MINUTES",
    "OPEN_STATES",
    "BatchResult",
    "BehindRow",
    "CourseYear",
    "DuplicateTraining",
    "EvidenceFile",
    "MemberYear",
    "OnTrackReport",
    "OnTrackRow",
    "PendingLine",
    "PersonYear",
    "RequirementSource",
    "TrainingError",
    "TrainingExport",
    "TrainingLine",
    "add_evidence",
    "already_logged",
    "behind",
    "current_org_id",
    "decide",
    "edit_training",
    "export_data",
    "get_record",
    "log_for_many",
    "log_training",
    "own_requirements",
    "pending_records",
    "person_lines",
    "person_year",
    "required_minutes",
    "requirement_sources",
    "secretaries_on_track",
    "set_requirement",
    "verifiers",
    "withdraw",
]
