"""The tables. Every column a query filters or sorts on has an index here (and in migrations)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata

JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")
TS = 32  # width of an ISO-8601 UTC timestamp with microseconds


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(sa.String(TS), nullable=nullable, index=index))


# PostgreSQL-only indexes (migration 0004): pg_trgm GIN indexes for the user and group `search`
# filters (LIKE '%text%'), on exactly the expressions app.domain.directory searches. They are
# listed here rather than declared: SQLite has no trigram index, and Alembic cannot compare
# expression indexes there, so migrations/env.py and the drift test leave these names out of
# their comparisons (`include_object`); the drift test checks on PostgreSQL that they exist.
POSTGRES_ONLY_INDEXES = {
    "ix_users_search_login": "users USING gin (login_id_norm gin_trgm_ops)",
    "ix_users_search_first_name": "users USING gin (lower(profile ->> 'firstName') gin_trgm_ops)",
    "ix_users_search_last_name": "users USING gin (lower(profile ->> 'lastName') gin_trgm_ops)",
    "ix_users_search_display_name": (
        "users USING gin (lower(profile ->> 'displayName') gin_trgm_ops)"
    ),
    "ix_users_search_email": "users USING gin (lower(profile ->> 'email') gin_trgm_ops)",
    "ix_groups_search_name": "groups USING gin (display_name_norm gin_trgm_ops)",
}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Alembic's ``include_object`` hook: compare every object but POSTGRES_ONLY_INDEXES."""
    return not (type_ == "index" and name in POSTGRES_ONLY_INDEXES)


class User(SQLModel, table=True):
    """A person in the ledger. loginId is unique among live users, compared by its key
    (NFC + case folding, app.domain.names; migration 0006e)."""

    __tablename__ = "users"
    __table_args__ = (
        sa.Index(
            "uq_users_login_key_live",
            "login_key",
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
        # Live users only: an admin-deleted user's externalId is free for the IdP (rule 16).
        sa.Index(
            "uq_users_provider_external_live",
            "auth_provider",
            "external_id",
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
        sa.Index("ix_users_external_id", "external_id"),
        sa.Index("ix_users_created", "created_at", "id"),
        sa.Index("ix_users_updated", "updated_at", "id"),
        sa.Index("ix_users_status", "status"),
        sa.Index(
            "ix_users_live_id",
            "id",
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
    )

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    login_id: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    login_id_norm: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    # Text: case folding can lengthen a name (ß -> ss), and a key the migration set aside for
    # a colliding row carries the row's id.
    login_key: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    external_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    auth_provider: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    status_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    profile: dict[str, Any] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: str = _ts()
    updated_at: str = _ts()
    last_provisioned_at: str | None = _ts(nullable=True)
    deleted_at: str | None = _ts(nullable=True)
    # ADMIN, SCIM or SYSTEM: who deleted the user; SCIM restores only what SCIM deleted.
    deleted_by_kind: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    # What the IdP sent that no Profile Editor attribute maps (email/phone/address elements of
    # other types, the primary flags), kept so SCIM reads return it; never a profile value.
    scim_extras: dict[str, Any] = Field(
        sa_column=sa.Column(JSONDoc, nullable=False, server_default=sa.text("'{}'"))
    )
    # Rule 17's emergency lock (migration 0007b): set while an admin's deactivation holds;
    # idp_active is what the IdP last asked for meanwhile (SCIM reads it back).
    lock_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    locked_by_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    locked_at: str | None = _ts(nullable=True)
    idp_active: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean))


class Group(SQLModel, table=True):
    """A set of users; displayName is unique, compared by its key (NFC + case folding)."""

    __tablename__ = "groups"
    __table_args__ = (
        sa.Index("uq_groups_name_key", "display_name_key", unique=True),
        sa.Index("uq_groups_provider_external", "auth_provider", "external_id", unique=True),
        sa.Index("ix_groups_created", "created_at", "id"),
    )

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    display_name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    display_name_norm: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    display_name_key: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    external_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    auth_provider: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    member_count: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: str = _ts()
    updated_at: str = _ts()
    last_provisioned_at: str | None = _ts(nullable=True)
    # ADMIN, SCIM or SYSTEM: a group SCIM created has its membership controlled by the IdP.
    created_by_kind: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))


class Membership(SQLModel, table=True):
    """A user in a group. Primary key (group, user); the user index serves "groups of a user"."""

    __tablename__ = "memberships"

    group_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: str = Field(
        sa_column=sa.Column(
            sa.String(36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )
    created_at: str = _ts()


class Role(SQLModel, table=True):
    """A local role: the admin roles OWNER, ADMIN, VIEWER and any product role."""

    __tablename__ = "roles"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    is_admin_role: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: str = _ts()


class RoleGrant(SQLModel, table=True):
    """A role granted to one user or to one group (exactly one of the two)."""

    __tablename__ = "role_grants"
    __table_args__ = (
        sa.CheckConstraint(
            "(user_id IS NULL) <> (group_id IS NULL)", name="ck_role_grants_one_target"
        ),
        sa.Index("uq_role_grants_user", "role_name", "user_id", unique=True),
        sa.Index("uq_role_grants_group", "role_name", "group_id", unique=True),
    )

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    role_name: str = Field(
        sa_column=sa.Column(
            sa.String(64), sa.ForeignKey("roles.name", ondelete="CASCADE"), nullable=False
        )
    )
    user_id: str | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
        ),
    )
    group_id: str | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("groups.id", ondelete="CASCADE"), index=True
        ),
    )
    granted_by: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    granted_at: str = _ts()


class AuthSettings(SQLModel, table=True):
    """The deployment's one authentication configuration (row id 1)."""

    __tablename__ = "auth_settings"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    config: dict[str, Any] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    secrets: dict[str, Any] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    updated_at: str = _ts()


class ServiceState(SQLModel, table=True):
    """Deployment-wide switches read on every SCIM request (row id 1), in one indexed row.

    ``catalogue_version`` grows with every Profile Editor change, so each worker can cache the
    catalogue and still see another worker's change on its next request.
    """

    __tablename__ = "service_state"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    provisioning_enabled: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    catalogue_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    # Kept exact by triggers (migration 0003): totals of unfiltered lists without a scan.
    live_users: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    # Bumped by the same triggers whenever the set of live users changes (page checkpoints).
    live_version: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    updated_at: str = _ts()


class ProfileAttribute(SQLModel, table=True):
    """The Profile Editor catalogue: one row per built-in or custom profile attribute."""

    __tablename__ = "profile_attributes"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    display_name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    datatype: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    builtin: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    source_priority: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    scim_path: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: str = _ts()
    updated_at: str = _ts()


class ScimToken(SQLModel, table=True):
    """A SCIM bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "scim_tokens"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    hint: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    created_at: str = _ts()
    expires_at: str = _ts()
    revoked_at: str | None = _ts(nullable=True)
    last_used_at: str | None = _ts(nullable=True)
    last_error_at: str | None = _ts(nullable=True)
    last_error_status: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    last_error_detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    tested_at: str | None = _ts(nullable=True)
    expiry_warned_at: str | None = _ts(nullable=True)


class ScimTokenUsage(SQLModel, table=True):
    """SCIM traffic of one token in one UTC hour (counted in memory, added every few seconds)."""

    __tablename__ = "scim_token_usage"
    __table_args__ = (sa.Index("ix_scim_token_usage_hour", "hour"),)

    token_id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    hour: str = Field(sa_column=sa.Column(sa.String(TS), primary_key=True))
    requests: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    errors: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    writes: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    write_errors: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class ApiToken(SQLModel, table=True):
    """An admin API bearer token for one user; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    user_id: str = Field(
        sa_column=sa.Column(
            sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    hint: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    created_at: str = _ts()
    expires_at: str | None = _ts(nullable=True)
    revoked_at: str | None = _ts(nullable=True)
    last_used_at: str | None = _ts(nullable=True)


class ProvisioningEvent(SQLModel, table=True):
    """One SCIM write as the provisioning log shows it."""

    __tablename__ = "provisioning_events"
    __table_args__ = (sa.Index("ix_provisioning_events_type_at", "resource_type", "at"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    at: str = _ts(index=True)
    token_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), index=True))
    method: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    resource_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    resource_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36), index=True))
    external_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    status_code: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    error_detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    duration_ms: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    request_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    # JSON list of the attribute paths the write deliberately ignored (rule 18); NULL: none.
    ignored: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class AuditEntry(SQLModel, table=True):
    """Who changed what: one entry per write, with before/after of each changed field."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_target", "target_id", "at"),
        sa.Index("ix_audit_actor", "actor_id", "at"),
        sa.Index("ix_audit_actor_label", "actor_label", "at"),
        # Pattern ops: the action filter's LIKE 'prefix.%' can use it whatever the collation.
        sa.Index(
            "ix_audit_action", "action", "at", postgresql_ops={"action": "varchar_pattern_ops"}
        ),
    )

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    at: str = _ts(index=True)
    actor_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    actor_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    actor_label: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    target_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    target_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    target_label: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    changes: list[dict[str, Any]] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    request_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
