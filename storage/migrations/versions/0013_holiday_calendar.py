"""holiday calendar: schedules loaded per year, and a branch's own dues collection day

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holiday_calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_holiday_calendar_years")),
    )
    op.create_table(
        "holiday_calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["year"], ["holiday_calendar_years.year"],
            name=op.f("fk_holiday_calendar_days_year_holiday_calendar_years"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_holiday_calendar_days")),
    )
    op.create_index(op.f("ix_holiday_calendar_days_year"), "holiday_calendar_days", ["year"])
    with op.batch_alter_table("party_organizations") as batch:
        batch.add_column(sa.Column("dues_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("party_organizations") as batch:
        batch.drop_column("dues_day")
    op.drop_index(op.f("ix_holiday_calendar_days_year"), table_name="holiday_calendar_days")
    op.drop_table("holiday_calendar_days")
    op.drop_table("holiday_calendar_years")
