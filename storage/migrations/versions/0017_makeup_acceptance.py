"""makeup acceptance: a self-confirmed 补学 counts as organizational life once the secretary
accepts it (who and when)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attendances") as batch:
        batch.add_column(sa.Column("makeup_accepted_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("makeup_accepted_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendances") as batch:
        batch.drop_column("makeup_accepted_by")
        batch.drop_column("makeup_accepted_at")
