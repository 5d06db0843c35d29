"""The oversight view for admins and leaders: coverage, meeting compliance, renewals, duties,
training, over a subtree of the organization tree (issue 7).

Every figure is aggregated in SQL with a fixed number of statements whatever the number of
branches (the only loops over queries run per top-level root or per reporting duty, both a
handful). Used by /overview in the chat and by the web dashboard; no Telegram here.

One module per figure: `social_coverage`, `compliance` (meetings), `term_renewals` (换届),
`duties` (reporting duties overdue), `training` (secretaries on track); `scope` says who sees
what, `summary` puts the figures together (`overview`), `branch_table` is the dashboard's
table of branches. Import the names from here (`from storage import overview`).
"""

from __future__ import annotations

from storage.overview.branch_table import (
    SORT_KEYS,
    BranchRow,
    branch_rows,
    filter_rows,
    sort_rows,
)
from storage.overview.compliance import (
    BRANCH_KINDS,
    BranchCompliance,
    Shortfall,
    branch_compliance,
    shortfalls_of,
)
from storage.overview.duties import (
    DUTY_LOOKBACK,
    REPORTING_AUDIENCES,
    DutyLine,
    OverdueDuty,
    duties_of,
    overdue_duties,
)
from storage.overview.scope import Scope, scope_of
from storage.overview.social_coverage import Coverage, coverage
from storage.overview.summary import Overview, local_today, overview, utc_now
from storage.overview.term_renewals import (
    RENEWAL_HORIZON_MONTHS,
    Renewal,
    add_months,
    renewals,
    term_of,
)
from storage.overview.training import training_on_track

__all__ = [
    "BRANCH_KINDS",
    "DUTY_LOOKBACK",
    "RENEWAL_HORIZON_MONTHS",
    "REPORTING_AUDIENCES",
    "SORT_KEYS",
    "BranchCompliance",
    "BranchRow",
    "Coverage",
    "DutyLine",
    "OverdueDuty",
    "Overview",
    "Renewal",
    "Scope",
    "Shortfall",
    "add_months",
    "branch_compliance",
    "branch_rows",
    "coverage",
    "duties_of",
    "filter_rows",
    "local_today",
    "overdue_duties",
    "overview",
    "renewals",
    "scope_of",
    "shortfalls_of",
    "sort_rows",
    "term_of",
    "training_on_track",
    "utc_now",
]
