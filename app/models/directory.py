"""Directory tables: users, groups and memberships (app.domain.users, app.domain.groups)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import JSONDoc, ts


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
        # A SCIM create's look-up of a user the same IdP deleted (rule 16; migration 0010a).
        sa.Index(
            "ix_users_deleted_twin",
            "auth_provider",
            "external_id",
            "deleted_at",
            "id",
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
        ),
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
    created_at: str = ts()
    updated_at: str = ts()
    last_provisioned_at: str | None = ts(nullable=True)
    deleted_at: str | None = ts(nullable=True)
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
    locked_at: str | None = ts(nullable=True)
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
    created_at: str = ts()
    updated_at: str = ts()
    last_provisioned_at: str | None = ts(nullable=True)
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
    created_at: str = ts()
