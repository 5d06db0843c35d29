"""notices: broadcast notices, audiences and read receipts (issue 7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("media", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("paid_broadcast", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=True),
        sa.Column("text_html", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("requires_read", sa.Boolean(), nullable=False),
        sa.Column("paid_broadcast", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft", "scheduled", "sending", "sent", "withdrawn",
                name="noticestate", native_enum=False, length=32,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.BigInteger(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_shown", sa.String(length=64), nullable=True),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_stale", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_organization_id"], ["party_organizations.id"],
            name=op.f("fk_notices_party_organization_id_party_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_author_telegram_id"), "notices", ["author_telegram_id"])
    op.create_index(
        op.f("ix_notices_party_organization_id"), "notices", ["party_organization_id"]
    )
    op.create_index("ix_notices_state_scheduled", "notices", ["state", "scheduled_at"])
    op.create_table(
        "notice_recipients",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"],
            name=op.f("fk_notice_recipients_notice_id_notices"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_notice_recipients_person_id_people"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", "person_id", name=op.f("pk_notice_recipients")),
    )
    op.create_index(
        "ix_notice_recipients_person", "notice_recipients", ["person_id", "notice_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_notice_recipients_person", table_name="notice_recipients")
    op.drop_table("notice_recipients")
    op.drop_index("ix_notices_state_scheduled", table_name="notices")
    op.drop_index(op.f("ix_notices_party_organization_id"), table_name="notices")
    op.drop_index(op.f("ix_notices_author_telegram_id"), table_name="notices")
    op.drop_table("notices")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("paid_broadcast")
        batch.drop_column("media")
