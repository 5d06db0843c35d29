"""stored files: the project's own copy of every file handed in (minutes, certificates, duty
documents), one row per Telegram file, and the bytes for the database store; rows for the
files recorded before are added as pending, so the fetcher downloads them too

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=200), nullable=False),
        sa.Column("telegram_file_unique_id", sa.String(length=64), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "state",
            sa.Enum("pending", "stored", "failed", "too_big", name="filestate",
                    native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("telegram_file_id", name=op.f("uq_stored_files_telegram_file_id")),
    )
    op.create_index("ix_stored_files_state_next", "stored_files", ["state", "next_attempt_at"])
    op.create_index(op.f("ix_stored_files_sha256"), "stored_files", ["sha256"])
    op.create_table(
        "stored_file_contents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_file_contents")),
    )
    # Files recorded before this migration: pending, due at once (NULL next_attempt_at).
    for select_files in (
        "SELECT telegram_file_id AS id, NULL AS uid, NULL AS mime, MIN(file_name) AS name"
        " FROM meeting_files"
        " GROUP BY telegram_file_id",
        "SELECT telegram_file_id AS id, MIN(telegram_file_unique_id) AS uid,"
        " MIN(mime_type) AS mime, MIN(file_name) AS name"
        " FROM training_evidence GROUP BY telegram_file_id",
        "SELECT file_id AS id, NULL AS uid, NULL AS mime, MIN(file_name) AS name"
        " FROM duty_completions"
        " WHERE file_id IS NOT NULL GROUP BY file_id",
    ):
        op.execute(
            "INSERT INTO stored_files (telegram_file_id, telegram_file_unique_id, mime_type,"
            " file_name, state, attempts, created_at)"
            " SELECT f.id, f.uid, f.mime, f.name, 'pending', 0, CURRENT_TIMESTAMP"
            f" FROM ({select_files}) AS f"
            " WHERE f.id NOT IN (SELECT telegram_file_id FROM stored_files)"
        )


def downgrade() -> None:
    op.drop_table("stored_file_contents")
    op.drop_index(op.f("ix_stored_files_sha256"), table_name="stored_files")
    op.drop_index("ix_stored_files_state_next", table_name="stored_files")
    op.drop_table("stored_files")
