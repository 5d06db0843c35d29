"""courier instances: a per-start id and a heartbeat for every courier

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courier_instances",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=64), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_instances")),
    )
    op.create_index(
        op.f("ix_courier_instances_heartbeat_at"), "courier_instances", ["heartbeat_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_courier_instances_heartbeat_at"), table_name="courier_instances")
    op.drop_table("courier_instances")
