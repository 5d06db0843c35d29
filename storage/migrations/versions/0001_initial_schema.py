"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("target_type", sa.String(length=50), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)

    op.create_table(
        "conversation_states",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", "key", name=op.f("pk_conversation_states")),
    )
    op.create_table(
        "party_organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "committee",
                "general_branch",
                "branch",
                "joint_branch",
                name="partyorgkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("term_started_on", sa.Date(), nullable=True),
        sa.Column("term_years", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["party_organizations.id"],
            name=op.f("fk_party_organizations_parent_id_party_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_party_organizations_name")),
    )
    with op.batch_alter_table("party_organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_party_organizations_parent_id"), ["parent_id"], unique=False
        )

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("real_name", sa.String(length=50), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_people_telegram_id")),
    )
    op.create_table(
        "user_data",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_data")),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_organization_id"],
            ["party_organizations.id"],
            name=op.f("fk_invites_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code", name=op.f("uq_invites_code")),
    )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invites_party_organization_id"), ["party_organization_id"], unique=False
        )

    op.create_table(
        "party_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_organization_id"],
            ["party_organizations.id"],
            name=op.f("fk_party_groups_party_organization_id_party_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_groups")),
        sa.UniqueConstraint(
            "party_organization_id", "name", name=op.f("uq_party_groups_party_organization_id_name")
        ),
    )
    op.create_table(
        "social_organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "org_type",
            sa.Enum(
                "association",
                "private_non_profit",
                "foundation",
                "intermediary",
                "community",
                name="socialorgtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("party_organization_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_organization_id"],
            ["party_organizations.id"],
            name=op.f("fk_social_organizations_party_organization_id_party_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_social_organizations_name")),
    )
    with op.batch_alter_table("social_organizations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_social_organizations_party_organization_id"),
            ["party_organization_id"],
            unique=False,
        )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("party_organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "active",
                "rejected",
                "transferred_out",
                name="membershipstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "full",
                "probationary",
                "activist",
                name="memberstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "member",
                "secretary",
                "deputy_secretary",
                "committee_member",
                name="memberrole",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("joined_party_on", sa.Date(), nullable=True),
        sa.Column("party_group_id", sa.Integer(), nullable=True),
        sa.Column("invite_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("reject_reason", sa.String(length=200), nullable=True),
        sa.Column("transferred_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transferred_to", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["invites.id"],
            name=op.f("fk_memberships_invite_id_invites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_group_id"],
            ["party_groups.id"],
            name=op.f("fk_memberships_party_group_id_party_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_organization_id"],
            ["party_organizations.id"],
            name=op.f("fk_memberships_party_organization_id_party_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_memberships_person_id_people"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memberships_org_state", ["party_organization_id", "state"], unique=False
        )
        batch_op.create_index(
            "uq_memberships_current_person",
            ["person_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'active')"),
            postgresql_where=sa.text("state IN ('pending', 'active')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_memberships_current_person",
            sqlite_where=sa.text("state IN ('pending', 'active')"),
            postgresql_where=sa.text("state IN ('pending', 'active')"),
        )
        batch_op.drop_index("ix_memberships_org_state")

    op.drop_table("memberships")
    with op.batch_alter_table("social_organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_organizations_party_organization_id"))

    op.drop_table("social_organizations")
    op.drop_table("party_groups")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invites_party_organization_id"))

    op.drop_table("invites")
    op.drop_table("user_data")
    op.drop_table("people")
    with op.batch_alter_table("party_organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_organizations_parent_id"))

    op.drop_table("party_organizations")
    op.drop_table("conversation_states")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
