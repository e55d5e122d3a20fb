"""identity: accounts, credentials, login sessions, officers, organizations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("citizen_pid", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column(
            "guardian_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=20), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level2_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("level2_by", sa.String(length=80), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "kind = 'citizen' OR (guardian_id IS NOT NULL AND level = 0)",
            name="ck_account_dependant",
        ),
        sa.CheckConstraint("kind IN ('citizen', 'dependant')", name="ck_account_kind"),
        sa.CheckConstraint("status IN ('pending', 'active', 'closed')", name="ck_account_status"),
        sa.CheckConstraint("level IN (0, 1, 2)", name="ck_account_level"),
        sa.ForeignKeyConstraint(
            ["guardian_id"], ["account.id"], name="fk_account_guardian_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.UniqueConstraint("citizen_pid", name="uq_account_citizen_pid"),
    )
    op.create_index("ix_account_commune", "account", ["commune_code", "level"], unique=False)
    op.create_index("ix_account_guardian_id", "account", ["guardian_id"], unique=False)
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_table(
        "account_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_account_event_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_account_event"),
    )
    op.create_index("ix_account_event_account", "account_event", ["account_id", "at"], unique=False)
    op.create_index("ix_account_event_at", "account_event", ["at"], unique=False)
    op.create_table(
        "login_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("step_up_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_login_session_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_login_session"),
    )
    op.create_index(
        "ix_login_session_account", "login_session", ["account_id", "revoked_at"], unique=False
    )
    op.create_table(
        "officer_role",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("organization", sa.String(length=200), nullable=False),
        sa.Column("granted_by", sa.String(length=80), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=80), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_officer_role_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_officer_role"),
    )
    op.create_index("ix_officer_role_account_id", "officer_role", ["account_id"], unique=False)
    op.create_index(
        "uq_officer_role_active",
        "officer_role",
        ["account_id", "role", "unit_code"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "one_time_code",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('phone', 'login', 'recovery', 'email')", name="ck_one_time_code_purpose"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_one_time_code_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_code"),
    )
    op.create_index(
        "ix_one_time_code_account", "one_time_code", ["account_id", "purpose", "id"], unique=False
    )
    op.create_table(
        "organization",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "representative_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('agency', 'enterprise')", name="ck_organization_kind"),
        sa.CheckConstraint("status IN ('active', 'closed')", name="ck_organization_status"),
        sa.ForeignKeyConstraint(
            ["representative_id"], ["account.id"], name="fk_organization_representative_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_organization"),
        sa.UniqueConstraint("code", name="uq_organization_code"),
    )
    op.create_table(
        "outbound_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="ck_outbound_message_channel"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_outbound_message_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbound_message"),
    )
    op.create_table(
        "staff_membership",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column(
            "granted_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_staff_membership_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["account.id"], name="fk_staff_membership_granted_by_account"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name="fk_staff_membership_organization_id_organization",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_membership"),
    )
    op.create_index(
        "ix_staff_membership_account_id", "staff_membership", ["account_id"], unique=False
    )
    op.create_index(
        "uq_staff_membership_active",
        "staff_membership",
        ["organization_id", "account_id"],
        unique=True,
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )
    # --- passkeys (identity/passkey_models.py) ---
    _id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "passkey",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("account_id", _id, nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("aaguid", sa.String(length=36), nullable=False),
        sa.Column("transports", sa.String(length=100), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_passkey_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_passkey"),
        sa.UniqueConstraint("credential_id", name="uq_passkey_credential_id"),
    )
    op.create_index("ix_passkey_account", "passkey", ["account_id", "removed_at"], unique=False)
    op.create_table(
        "passkey_challenge",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("challenge", sa.String(length=100), nullable=False),
        sa.Column("ceremony", sa.String(length=12), nullable=False),
        sa.Column("binding", sa.String(length=64), nullable=False),
        sa.Column("account_id", _id, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_passkey_challenge_account_id_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_passkey_challenge"),
        sa.UniqueConstraint("challenge", name="uq_passkey_challenge_challenge"),
    )
    op.create_index(
        "ix_passkey_challenge_expires_at", "passkey_challenge", ["expires_at"], unique=False
    )
    # --- end passkeys ---


def downgrade() -> None:
    op.drop_table("passkey_challenge")  # passkeys (identity/passkey_models.py)
    op.drop_table("passkey")  # passkeys
    op.drop_table("staff_membership")
    op.drop_table("organization")
    op.drop_table("officer_role")
    op.drop_table("outbound_message")
    op.drop_table("one_time_code")
    op.drop_table("account_event")
    op.drop_table("login_session")
    op.drop_table("login_throttle")
    op.drop_table("account")
