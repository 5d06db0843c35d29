"""reminders: notification preferences, reporting duties and their completion, term renewals

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("muted_kinds", sa.JSON(), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_notification_preferences_person_id_people"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "duties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("party_organization_id", sa.Integer(), nullable=True),
        sa.Column("recurrence", sa.String(length=16), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("lead_days", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"],
            name=op.f("fk_duties_party_organization_id_party_organizations"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duties")),
        sa.UniqueConstraint("code", name=op.f("uq_duties_code")),
    )
    op.create_index(
        op.f("ix_duties_party_organization_id"), "duties", ["party_organization_id"]
    )
    op.create_table(
        "duty_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.String(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.BigInteger(), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["duties.id"],
            name=op.f("fk_duty_completions_duty_id_duties"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"],
            name=op.f("fk_duty_completions_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_completions")),
        sa.UniqueConstraint(
            "duty_id", "party_organization_id", "occurrence",
            name=op.f("uq_duty_completions_duty_id_party_organization_id_occurrence"),
        ),
    )
    op.create_table(
        "term_renewals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("elected_on", sa.Date(), nullable=False),
        sa.Column("secretary_person_id", sa.Integer(), nullable=True),
        sa.Column("deputy_person_id", sa.Integer(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"],
            name=op.f("fk_term_renewals_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["secretary_person_id"], ["people.id"],
            name=op.f("fk_term_renewals_secretary_person_id_people"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deputy_person_id"], ["people.id"],
            name=op.f("fk_term_renewals_deputy_person_id_people"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_renewals")),
    )
    op.create_index(
        op.f("ix_term_renewals_party_organization_id"), "term_renewals", ["party_organization_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_term_renewals_party_organization_id"), table_name="term_renewals")
    op.drop_table("term_renewals")
    op.drop_table("duty_completions")
    op.drop_index(op.f("ix_duties_party_organization_id"), table_name="duties")
    op.drop_table("duties")
    op.drop_table("notification_preferences")
