"""The deprovisioning guard's tables (rule 19, migrations 0008e and 0009d)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TS


class DeprovisioningGuard(SQLModel, table=True):
    """The guard's settings and state: one row, id 1 (written by the migration)."""

    __tablename__ = "deprovisioning_guard"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    enabled: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    percent: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    minimum: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    window_minutes: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    tripped_at: str | None = Field(default=None, sa_column=sa.Column(sa.String(TS)))
    updated_at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False))


class GuardShard(SQLModel, table=True):
    """A share of the window's count (rows 0 to 16, written by migration 0009d): the rows of
    guard_counted that name it, and its deletes, kept as counters (no scan per write)."""

    __tablename__ = "guard_shards"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    window_count: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    window_deletes: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )


class GuardCounted(SQLModel, table=True):
    """A destructive IdP write applied within the window (older ones are deleted)."""

    __tablename__ = "guard_counted"
    __table_args__ = (sa.Index("ix_guard_counted_at_shard", "at", "shard"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    shard: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0")))


class GuardHeld(SQLModel, table=True):
    """A destructive IdP write held by the tripped guard, with what applying it needs."""

    __tablename__ = "guard_held"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    seq: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, unique=True))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    resource_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    resource_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    method: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    op_key: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    token_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    request_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    first_at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False, index=True))
    last_at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False))
    repeats: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
