"""Settings tables: the authentication configuration, the deployment-wide switches and the
Profile Editor catalogue (one row each, or one per attribute)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import JSONDoc, ts


class AuthSettings(SQLModel, table=True):
    """The deployment's one authentication configuration (row id 1)."""

    __tablename__ = "auth_settings"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))
    config: dict[str, Any] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    secrets: dict[str, Any] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    updated_at: str = ts()


class ServiceState(SQLModel, table=True):
    """Deployment-wide switches read on every SCIM request (row id 1), in one indexed row.

    ``catalogue_version`` grows with every Profile Editor change, so each worker can cache the
    catalogue and still see another worker's change on its next request.
    """

    __tablename__ = "service_state"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    provisioning_enabled: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    catalogue_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    updated_at: str = ts()


class LiveUserCount(SQLModel, table=True):
    """One shard of the count of live (not deleted) users, kept exact by triggers on users
    (migrations 0003, 0005, 0010b): totals of unfiltered lists without a scan. The count is
    the sum of the shards; a PostgreSQL transaction updates its backend's shard, so concurrent
    creates do not queue on one row (SQLite, one writer at a time, uses shard 0)."""

    __tablename__ = "live_user_counts"

    shard: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    live_users: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    # Bumped by the same triggers whenever the set of live users changes (page checkpoints,
    # the guard's count of IdP users); the sum over the shards changes with every change.
    live_version: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )


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
    created_at: str = ts()
    updated_at: str = ts()
