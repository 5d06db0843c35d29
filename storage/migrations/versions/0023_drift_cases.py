"""six-month cases (党章 art. 9): opened by the planner when a member has had no organizational
life, or paid no dues, for six months; settled by the branch (issue 16)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drift_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.Enum("absence", "dues", name="drifttrigger", native_enum=False,
                                     length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Enum("excused", "reported", name="caseoutcome",
                                     native_enum=False, length=32), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["membership_id"], ["memberships.id"], ondelete="CASCADE",
                                name=op.f("fk_drift_cases_membership_id_memberships")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_cases")),
        sa.UniqueConstraint("membership_id", "trigger", "since",
                            name=op.f("uq_drift_cases_membership_id_trigger_since")),
    )
    op.create_index(op.f("ix_drift_cases_membership_id"), "drift_cases", ["membership_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drift_cases_membership_id"), table_name="drift_cases")
    op.drop_table("drift_cases")
