"""Access tables: local roles and their grants, SCIM tokens and admin API tokens
(app.domain.access)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import ts


class Role(SQLModel, table=True):
    """A local role: the admin roles OWNER, ADMIN, VIEWER and any product role."""

    __tablename__ = "roles"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    description: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    is_admin_role: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: str = ts()


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
    granted_at: str = ts()


class ScimToken(SQLModel, table=True):
    """A SCIM bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "scim_tokens"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    hint: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    created_at: str = ts()
    expires_at: str = ts()
    revoked_at: str | None = ts(nullable=True)
    last_used_at: str | None = ts(nullable=True)
    last_error_at: str | None = ts(nullable=True)
    last_error_status: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    last_error_detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    tested_at: str | None = ts(nullable=True)
    expiry_warned_at: str | None = ts(nullable=True)


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
    created_at: str = ts()
    expires_at: str | None = ts(nullable=True)
    revoked_at: str | None = ts(nullable=True)
    last_used_at: str | None = ts(nullable=True)
