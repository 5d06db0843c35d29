"""lesson attendances: every line PRESENT at a closed party lesson, with the person and the
meeting's times, for training totals; backfilled from the attendance lines

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lesson_attendances",
        sa.Column("attendance_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendance_id"], ["attendances.id"],
            name=op.f("fk_lesson_attendances_attendance_id_attendances"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"],
            name=op.f("fk_lesson_attendances_meeting_id_meetings"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_lesson_attendances_person_id_people"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attendance_id", name=op.f("pk_lesson_attendances")),
    )
    # The same rule as storage/lesson_attendances.py (values copied as stored, so equal).
    op.execute(
        "INSERT INTO lesson_attendances (attendance_id, person_id, meeting_id, starts_at, ends_at)"
        " SELECT a.id, ms.person_id, m.id, m.starts_at, m.ends_at FROM attendances a"
        " JOIN meetings m ON m.id = a.meeting_id JOIN memberships ms ON ms.id = a.membership_id"
        " WHERE m.kind = 'lesson' AND m.state = 'closed' AND a.status = 'present'"
    )
    op.create_index(
        "ix_lesson_attendances_person_starts", "lesson_attendances", ["person_id", "starts_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        # Statistics now: until autovacuum gets to the new table its plans are guesses.
        op.execute("ANALYZE lesson_attendances")


def downgrade() -> None:
    op.drop_index("ix_lesson_attendances_person_starts", table_name="lesson_attendances")
    op.drop_table("lesson_attendances")
