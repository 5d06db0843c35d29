"""dues: each member's category and base per year, each month's payment, and how many months a
branch lets its members pay ahead

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dues_profiles",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("category", sa.Enum(
            "employed", "retired", "farmer", "student", "unemployed", "subsistence",
            name="duescategory", native_enum=False, length=32,
        ), nullable=False),
        sa.Column("base_fen", sa.BigInteger(), nullable=True),
        sa.Column("fixed_fen", sa.Integer(), nullable=True),
        sa.Column("stated_by", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "base_fen IS NULL OR base_fen >= 0", name=op.f("ck_dues_profiles_base_not_negative")
        ),
        sa.CheckConstraint(
            "fixed_fen IS NULL OR fixed_fen > 0", name=op.f("ck_dues_profiles_fixed_positive")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_dues_profiles_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "year", name=op.f("pk_dues_profiles")),
    )
    op.create_table(
        "dues_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.Enum(
            "cash", "bank", "online", name="duesmethod", native_enum=False, length=32,
        ), nullable=False),
        sa.Column("paid_by_name", sa.String(length=50), nullable=True),
        sa.Column("state", sa.Enum(
            "reported", "confirmed", name="duespaymentstate", native_enum=False, length=32,
        ), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_dues_payments_amount_positive")),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_dues_payments_month_real")),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"],
            name=op.f("fk_dues_payments_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_dues_payments_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dues_payments")),
        sa.UniqueConstraint(
            "person_id", "year", "month", name=op.f("uq_dues_payments_person_id_year_month")
        ),
    )
    op.create_index(
        "ix_dues_payments_org_year_month", "dues_payments",
        ["party_organization_id", "year", "month"],
    )
    with op.batch_alter_table("party_organizations") as batch:
        batch.add_column(
            sa.Column("dues_months_ahead", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("party_organizations") as batch:
        batch.drop_column("dues_months_ahead")
    op.drop_index("ix_dues_payments_org_year_month", table_name="dues_payments")
    op.drop_table("dues_payments")
    op.drop_table("dues_profiles")
