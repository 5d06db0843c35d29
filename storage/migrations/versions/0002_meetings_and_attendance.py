"""meetings and attendance

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("party_group_id", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.String(length=32), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "assembly",
                "committee",
                "group",
                "lesson",
                "theme_day",
                "org_life",
                "appraisal",
                name="meetingkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "scheduled",
                "checkin_open",
                "closed",
                "cancelled",
                name="meetingstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("online_url", sa.String(length=300), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=50), nullable=True),
        sa.Column("recorder", sa.String(length=50), nullable=True),
        sa.Column("lecturer", sa.String(length=50), nullable=True),
        sa.Column("checkin_minutes_before", sa.Integer(), nullable=False),
        sa.Column("checkin_minutes_after", sa.Integer(), nullable=False),
        sa.Column("code_secret", sa.String(length=64), nullable=False),
        sa.Column("checkin_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_reason", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_group_id"],
            ["party_groups.id"],
            name=op.f("fk_meetings_party_group_id_party_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_organization_id"],
            ["party_organizations.id"],
            name=op.f("fk_meetings_party_organization_id_party_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meetings_org_starts", ["party_organization_id", "starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meetings_series_id"), ["series_id"], unique=False)

    op.create_table(
        "attendances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "expected",
                "attending",
                "leave_requested",
                "on_leave",
                "present",
                "absent",
                "guest",
                "guest_present",
                name="attendancestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "tap",
                "code",
                "location",
                "manual",
                name="checkinmethod",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("marked_by", sa.BigInteger(), nullable=True),
        sa.Column("leave_reason", sa.String(length=200), nullable=True),
        sa.Column("leave_decided_by", sa.BigInteger(), nullable=True),
        sa.Column("makeup_done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_attendances_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_attendances_membership_id_memberships"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendances")),
        sa.UniqueConstraint(
            "meeting_id", "membership_id", name=op.f("uq_attendances_meeting_id_membership_id")
        ),
    )
    with op.batch_alter_table("attendances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendances_membership_id"), ["membership_id"], unique=False
        )

    op.create_table(
        "meeting_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_files_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_files")),
    )
    with op.batch_alter_table("meeting_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_files_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_files_meeting_id"))

    op.drop_table("meeting_files")
    with op.batch_alter_table("attendances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendances_membership_id"))

    op.drop_table("attendances")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_series_id"))
        batch_op.drop_index("ix_meetings_org_starts")

    op.drop_table("meetings")
