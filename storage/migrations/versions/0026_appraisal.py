"""the democratic appraisal of members (民主评议党员): a branch's appraisal of a year,
self-assessments, anonymous peer grades and the branch's result per member (issue 17)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")


def _grade() -> sa.Enum:
    return sa.Enum(*GRADES, name="appraisalgrade", native_enum=False, length=32)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opened_at", moment, nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", moment, nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("assembly_confirmed_on", sa.Date(), nullable=True),
        _fk("appraisals", "party_organization_id", "party_organizations", "RESTRICT"),
        _fk("appraisals", "meeting_id", "meetings", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.UniqueConstraint("party_organization_id", "year", name="uq_appraisals_org_year"),
    )
    op.create_table(
        "appraisal_selves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("submitted_at", moment, nullable=False),
        _fk("appraisal_selves", "appraisal_id", "appraisals", "CASCADE"),
        _fk("appraisal_selves", "person_id", "people", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_selves")),
        sa.UniqueConstraint("appraisal_id", "person_id", name="uq_appraisal_selves_person"),
    )
    op.create_table(
        "appraisal_peer_grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("grader_person_id", sa.Integer(), nullable=False),
        sa.Column("graded_person_id", sa.Integer(), nullable=False),
        sa.Column("grade", _grade(), nullable=False),
        sa.Column("given_at", moment, nullable=False),
        sa.CheckConstraint("grader_person_id <> graded_person_id",
                           name=op.f("ck_appraisal_peer_grades_not_oneself")),
        _fk("appraisal_peer_grades", "appraisal_id", "appraisals", "CASCADE"),
        _fk("appraisal_peer_grades", "grader_person_id", "people", "RESTRICT"),
        _fk("appraisal_peer_grades", "graded_person_id", "people", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_peer_grades")),
        sa.UniqueConstraint("appraisal_id", "grader_person_id", "graded_person_id",
                            name="uq_appraisal_peer_grades_pair"),
    )
    op.create_index("ix_appraisal_peer_grades_graded", "appraisal_peer_grades",
                    ["appraisal_id", "graded_person_id"])
    op.create_table(
        "appraisal_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grade", _grade(), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", moment, nullable=False),
        _fk("appraisal_results", "appraisal_id", "appraisals", "CASCADE"),
        _fk("appraisal_results", "person_id", "people", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_results")),
        sa.UniqueConstraint("appraisal_id", "person_id", name="uq_appraisal_results_person"),
    )


def downgrade() -> None:
    for table in ("appraisal_results", "appraisal_peer_grades", "appraisal_selves",
                  "appraisals"):
        op.drop_table(table)
