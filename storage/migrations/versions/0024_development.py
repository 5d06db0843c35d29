"""member development (发展党员): each person's record from application to full membership, its
steps, the activists' contacts (培养联系人) and thought reports (思想汇报); today's activists
and probationary members get a record at their stage (issue 17)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = ("applicant", "activist", "candidate", "probationary", "full")
OPEN_SQL = "closed_on IS NULL"


def _record_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["record_id"], ["development_records.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_record_id_development_records"))


def upgrade() -> None:
    day = sa.Date()
    op.create_table(
        "development_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Enum(*STAGES, name="developmentstage", native_enum=False,
                                   length=32), nullable=False),
        sa.Column("birth_on", day, nullable=True),
        sa.Column("applied_on", day, nullable=False),
        *(sa.Column(name, day, nullable=True) for name in (
            "talked_on", "activist_on", "last_review_on", "candidate_on", "notice_from",
            "admitted_on", "admission_approved_on")),
        sa.Column("extension_months", sa.Integer(), server_default="0", nullable=False),
        sa.Column("confirmed_on", day, nullable=True),
        sa.Column("confirmation_approved_on", day, nullable=True),
        sa.Column("closed_on", day, nullable=True),
        sa.Column("closed_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="RESTRICT",
                                name=op.f("fk_development_records_person_id_people")),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"], ondelete="RESTRICT",
            name=op.f("fk_development_records_party_organization_id_party_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_records")),
    )
    op.create_index("uq_development_records_open_person", "development_records", ["person_id"],
                    unique=True, sqlite_where=sa.text(OPEN_SQL),
                    postgresql_where=sa.text(OPEN_SQL))
    op.create_index("ix_development_records_org_stage", "development_records",
                    ["party_organization_id", "stage"])
    op.create_table(
        "development_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("taken_on", day, nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("override_reason", sa.String(length=200), nullable=True),
        *(sa.Column(f"votes_{name}", sa.Integer(), nullable=True)
          for name in ("entitled", "present", "for", "against", "abstaining")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _record_fk("development_steps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_steps")),
    )
    op.create_index(op.f("ix_development_steps_record_id"), "development_steps", ["record_id"])
    op.create_table(
        "development_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assigned_on", day, nullable=False),
        _record_fk("development_contacts"),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="RESTRICT",
                                name=op.f("fk_development_contacts_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_development_contacts")),
    )
    op.create_index("uq_development_contacts_record_person", "development_contacts",
                    ["record_id", "person_id"], unique=True)
    op.create_index(op.f("ix_development_contacts_person_id"), "development_contacts",
                    ["person_id"])
    op.create_table(
        "thought_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        _record_fk("thought_reports"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thought_reports")),
    )
    op.create_index(op.f("ix_thought_reports_record_id"), "thought_reports", ["record_id"])
    _records_for_today()


def _records_for_today() -> None:
    """Current activists and probationary members enter the pipeline at their stage, with the
    day registration asked for (an activist's application, a member's joining the party); the
    day they registered stands for the days the bot never knew."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    registered = "substr(requested_at, 1, 10)" if sqlite else "CAST(requested_at AS DATE)"
    now = "CURRENT_TIMESTAMP"
    joined = f"COALESCE(joined_party_on, {registered})"  # an activist's: the application's
    op.execute(
        "INSERT INTO development_records (person_id, party_organization_id, stage, applied_on,"
        " activist_on, extension_months, created_at) "
        f"SELECT person_id, party_organization_id, 'activist', {joined}, {registered}, 0,"
        f" {now} FROM memberships WHERE state = 'active' AND status = 'activist'")
    op.execute(
        "INSERT INTO development_records (person_id, party_organization_id, stage, applied_on,"
        " admitted_on, extension_months, created_at) "
        f"SELECT person_id, party_organization_id, 'probationary', {joined}, {joined}, 0,"
        f" {now} FROM memberships WHERE state = 'active' AND status = 'probationary'")


def downgrade() -> None:
    op.drop_index(op.f("ix_thought_reports_record_id"), table_name="thought_reports")
    op.drop_table("thought_reports")
    op.drop_index(op.f("ix_development_contacts_person_id"), table_name="development_contacts")
    op.drop_index("uq_development_contacts_record_person", table_name="development_contacts")
    op.drop_table("development_contacts")
    op.drop_index(op.f("ix_development_steps_record_id"), table_name="development_steps")
    op.drop_table("development_steps")
    op.drop_index("ix_development_records_org_stage", table_name="development_records")
    op.drop_index("uq_development_records_open_person", table_name="development_records")
    op.drop_table("development_records")
