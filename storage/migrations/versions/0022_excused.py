"""members excused from organizational life by their branch (ill, abroad, elderly), until a day
or open-ended: the six-month rule's warnings wait meanwhile (issue 16)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column(
            "excused_reason", sa.Enum("ill", "abroad", "elderly", "other", name="excusereason",
                                      native_enum=False, length=32), nullable=True))
        batch.add_column(sa.Column("excused_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("excused_until")
        batch.drop_column("excused_reason")
