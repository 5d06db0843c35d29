"""training hours: records, minutes per year, evidence, per-organization requirements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "concentrated",
                "lesson",
                "online",
                "other",
                name="trainingkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_key", sa.String(length=200), nullable=False),
        sa.Column("organizer", sa.String(length=200), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "verified",
                "rejected",
                "withdrawn",
                name="trainingstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        sa.Column("logged_by", sa.BigInteger(), nullable=False),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_training_records_dates_ordered")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_training_records_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_training_records_person_id_people"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_records_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_training_records_person_state", ["person_id", "state"], unique=False
        )
        batch_op.create_index(
            "ix_training_records_state_logged", ["state", "logged_at"], unique=False
        )
        batch_op.create_index(
            "uq_training_records_course",
            ["person_id", "title_key", "starts_on"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'verified')"),
            postgresql_where=sa.text("state IN ('pending', 'verified')"),
        )

    op.create_table(
        "training_requirements",
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "role_group",
            sa.Enum("leader", "member", name="traininggroup", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("required_minutes", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "required_minutes >= 0", name=op.f("ck_training_requirements_required_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["party_organization_id"],
            ["party_organizations.id"],
            name=op.f("fk_training_requirements_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "party_organization_id", "role_group", name=op.f("pk_training_requirements")
        ),
    )
    op.create_table(
        "training_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=200), nullable=False),
        sa.Column("telegram_file_unique_id", sa.String(length=64), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["training_records.id"],
            name=op.f("fk_training_evidence_record_id_training_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_evidence")),
    )
    with op.batch_alter_table("training_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_evidence_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "training_years",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("minutes >= 0", name=op.f("ck_training_years_minutes_not_negative")),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["training_records.id"],
            name=op.f("fk_training_years_record_id_training_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "year", name=op.f("pk_training_years")),
    )
    with op.batch_alter_table("training_years", schema=None) as batch_op:
        batch_op.create_index("ix_training_years_year_record", ["year", "record_id"], unique=False)

    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index("ix_memberships_person_id", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_person_id")

    with op.batch_alter_table("training_years", schema=None) as batch_op:
        batch_op.drop_index("ix_training_years_year_record")

    op.drop_table("training_years")
    with op.batch_alter_table("training_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_evidence_record_id"))

    op.drop_table("training_evidence")
    op.drop_table("training_requirements")
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_training_records_course",
            sqlite_where=sa.text("state IN ('pending', 'verified')"),
            postgresql_where=sa.text("state IN ('pending', 'verified')"),
        )
        batch_op.drop_index("ix_training_records_state_logged")
        batch_op.drop_index("ix_training_records_person_state")
        batch_op.drop_index(batch_op.f("ix_training_records_batch_id"))

    op.drop_table("training_records")
