"""one-to-one talks (谈心谈话): when, with whom, by whom and the topic in a few words
(issue 17)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "talks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("by_person_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("person_id <> by_person_id",
                           name=op.f("ck_talks_not_with_oneself")),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"], ondelete="RESTRICT",
            name=op.f("fk_talks_party_organization_id_party_organizations")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="RESTRICT",
                                name=op.f("fk_talks_person_id_people")),
        sa.ForeignKeyConstraint(["by_person_id"], ["people.id"], ondelete="RESTRICT",
                                name=op.f("fk_talks_by_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talks")),
    )
    op.create_index("ix_talks_org_held_on", "talks", ["party_organization_id", "held_on"])
    op.create_index("ix_talks_person_held_on", "talks", ["person_id", "held_on"])


def downgrade() -> None:
    op.drop_table("talks")
