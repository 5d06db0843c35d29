"""branches' group chats (issue 18): the group linked to a branch, the one-time codes that
link one, and the meeting posts kept there

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = sa.text("unlinked_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "branch_chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("linked_by", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"], ondelete="CASCADE",
            name=op.f("fk_branch_chats_party_organization_id_party_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch_chats")),
    )
    op.create_index("uq_branch_chats_current_org", "branch_chats", ["party_organization_id"],
                    unique=True, sqlite_where=CURRENT, postgresql_where=CURRENT)
    op.create_index("uq_branch_chats_current_chat", "branch_chats", ["chat_id"],
                    unique=True, sqlite_where=CURRENT, postgresql_where=CURRENT)
    op.create_table(
        "chat_link_codes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"], ondelete="CASCADE",
            name=op.f("fk_chat_link_codes_party_organization_id_party_organizations")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_chat_link_codes")),
    )
    op.create_index(op.f("ix_chat_link_codes_party_organization_id"), "chat_link_codes",
                    ["party_organization_id"])
    op.create_table(
        "group_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("shown", sa.String(length=64), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE",
                                name=op.f("fk_group_posts_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_posts")),
        sa.UniqueConstraint("meeting_id", "chat_id",
                            name=op.f("uq_group_posts_meeting_id_chat_id")),
    )


def downgrade() -> None:
    op.drop_table("group_posts")
    op.drop_table("chat_link_codes")
    op.drop_table("branch_chats")
