"""membership transfers: introduction letters between branches in the bot, out of it and
into it, with what became of each (issue 16)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("state = 'waiting'")


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("between", "out", "in", name="transferkind",
                                  native_enum=False, length=32), nullable=False),
        sa.Column("state", sa.Enum("waiting", "accepted", "returned", "expired", "withdrawn",
                                   name="transferstate", native_enum=False, length=32),
                  nullable=False),
        sa.Column("letter_number", sa.String(length=40), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("from_membership_id", sa.Integer(), nullable=True),
        sa.Column("to_membership_id", sa.Integer(), nullable=True),
        sa.Column("from_organization_id", sa.Integer(), nullable=True),
        sa.Column("to_organization_id", sa.Integer(), nullable=True),
        sa.Column("outside_organization", sa.String(length=100), nullable=True),
        sa.Column("dues_paid_year", sa.Integer(), nullable=True),
        sa.Column("dues_paid_month", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.CheckConstraint("dues_paid_month IS NULL OR dues_paid_month BETWEEN 1 AND 12",
                           name=op.f("ck_transfers_dues_month_real")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="RESTRICT",
                                name=op.f("fk_transfers_person_id_people")),
        sa.ForeignKeyConstraint(
            ["from_membership_id"], ["memberships.id"], ondelete="RESTRICT",
            name=op.f("fk_transfers_from_membership_id_memberships")),
        sa.ForeignKeyConstraint(
            ["to_membership_id"], ["memberships.id"], ondelete="RESTRICT",
            name=op.f("fk_transfers_to_membership_id_memberships")),
        sa.ForeignKeyConstraint(
            ["from_organization_id"], ["party_organizations.id"], ondelete="RESTRICT",
            name=op.f("fk_transfers_from_organization_id_party_organizations")),
        sa.ForeignKeyConstraint(
            ["to_organization_id"], ["party_organizations.id"], ondelete="RESTRICT",
            name=op.f("fk_transfers_to_organization_id_party_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("uq_transfers_waiting_person", "transfers",
                    ["person_id"], unique=True, sqlite_where=WAITING, postgresql_where=WAITING)
    op.create_index("ix_transfers_to_state", "transfers",
                    ["to_organization_id", "state"])
    op.create_index("ix_transfers_from_state", "transfers",
                    ["from_organization_id", "state"])


def downgrade() -> None:
    op.drop_table("transfers")
