"""a 党小组's own group chat (issue 18): branch_chats and chat_link_codes name an optional party
group; one current chat per branch (without a group) and one per party group

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("unlinked_at IS NULL")
BRANCH = sa.text("unlinked_at IS NULL AND party_group_id IS NULL")
GROUP = sa.text("unlinked_at IS NULL AND party_group_id IS NOT NULL")


def upgrade() -> None:
    # The partial indexes are dropped around the batch (SQLite's copy would lose their WHERE).
    op.drop_index("uq_branch_chats_current_org", table_name="branch_chats")
    op.drop_index("uq_branch_chats_current_chat", table_name="branch_chats")
    with op.batch_alter_table("branch_chats") as batch:
        batch.add_column(sa.Column("party_group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_branch_chats_party_group_id_party_groups"),
                                 "party_groups", ["party_group_id"], ["id"], ondelete="CASCADE")
    op.create_index("uq_branch_chats_current_org", "branch_chats", ["party_organization_id"],
                    unique=True, sqlite_where=BRANCH, postgresql_where=BRANCH)
    op.create_index("uq_branch_chats_current_group", "branch_chats", ["party_group_id"],
                    unique=True, sqlite_where=GROUP, postgresql_where=GROUP)
    op.create_index("uq_branch_chats_current_chat", "branch_chats", ["chat_id"],
                    unique=True, sqlite_where=CURRENT, postgresql_where=CURRENT)
    with op.batch_alter_table("chat_link_codes") as batch:
        batch.add_column(sa.Column("party_group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_chat_link_codes_party_group_id_party_groups"),
                                 "party_groups", ["party_group_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    op.execute("DELETE FROM chat_link_codes WHERE party_group_id IS NOT NULL")
    op.execute("DELETE FROM branch_chats WHERE party_group_id IS NOT NULL")
    with op.batch_alter_table("chat_link_codes") as batch:
        batch.drop_constraint(op.f("fk_chat_link_codes_party_group_id_party_groups"),
                              type_="foreignkey")
        batch.drop_column("party_group_id")
    op.drop_index("uq_branch_chats_current_chat", table_name="branch_chats")
    op.drop_index("uq_branch_chats_current_group", table_name="branch_chats")
    op.drop_index("uq_branch_chats_current_org", table_name="branch_chats")
    with op.batch_alter_table("branch_chats") as batch:
        batch.drop_constraint(op.f("fk_branch_chats_party_group_id_party_groups"),
                              type_="foreignkey")
        batch.drop_column("party_group_id")
    op.create_index("uq_branch_chats_current_org", "branch_chats", ["party_organization_id"],
                    unique=True, sqlite_where=CURRENT, postgresql_where=CURRENT)
    op.create_index("uq_branch_chats_current_chat", "branch_chats", ["chat_id"],
                    unique=True, sqlite_where=CURRENT, postgresql_where=CURRENT)
