"""period counts: closed meetings per organization, kind, 党小组 and local month, with
committee meetings held without quorum; backfilled from the meetings

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-04
"""

import os
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("assembly", "committee", "group", "lesson", "theme_day", "org_life", "appraisal")


def _as_utc(value: object) -> datetime:
    # SQLite hands back text or naive datetimes stored as UTC; PostgreSQL aware ones.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def upgrade() -> None:
    table = op.create_table(
        "meeting_counts",
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="meetingkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("group_key", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("inquorate", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"],
            name=op.f("fk_meeting_counts_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "party_organization_id", "kind", "group_key", "month",
            name=op.f("pk_meeting_counts"),
        ),
    )
    op.create_index("ix_meeting_counts_kind_month", "meeting_counts", ["kind", "month"])
    # Months are local months of the deployment's zone (BRANCHBOT_TIMEZONE, as the bot reads).
    tz = ZoneInfo(os.environ.get("BRANCHBOT_TIMEZONE") or "Asia/Shanghai")
    bind = op.get_bind()
    # A committee meeting needs more than half of the committee (its expected lines) present.
    quorate = {
        mid: int(present or 0) * 2 > int(expected or 0)
        for mid, expected, present in bind.execute(sa.text(
            "SELECT a.meeting_id,"
            " SUM(CASE WHEN a.status NOT IN ('guest', 'guest_present') THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END)"
            " FROM attendances a JOIN meetings m ON m.id = a.meeting_id"
            " WHERE m.state = 'closed' AND m.kind = 'committee' GROUP BY a.meeting_id"
        ))
    }
    buckets: dict[tuple[int, str, int, date], list[int]] = defaultdict(lambda: [0, 0])
    for mid, org_id, kind, group_id, starts in bind.execute(sa.text(
        "SELECT id, party_organization_id, kind, party_group_id, starts_at FROM meetings"
        " WHERE state = 'closed'"
    )):
        local = _as_utc(starts).astimezone(tz)
        key = (org_id, kind, (group_id or 0) if kind == "group" else 0,
               date(local.year, local.month, 1))
        buckets[key][0] += 1
        buckets[key][1] += int(kind == "committee" and not quorate.get(mid, False))
    rows = [
        {"party_organization_id": org_id, "kind": kind, "group_key": group, "month": month,
         "held": held, "inquorate": short}
        for (org_id, kind, group, month), (held, short) in buckets.items()
    ]
    for start in range(0, len(rows), 5000):
        op.bulk_insert(table, rows[start : start + 5000])


def downgrade() -> None:
    op.drop_index("ix_meeting_counts_kind_month", table_name="meeting_counts")
    op.drop_table("meeting_counts")
