"""The deprovisioning guard's tables (rule 19, migrations 0008e, 0009d and 0009e)."""

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


class GuardWindow(SQLModel, table=True):
    """The window's count (one row, id 0): the weights of guard_counted's rows and of their
    user deletes, kept as counters (no scan per write). Leases not yet folded in are not."""

    __tablename__ = "guard_window"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    window_count: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    window_deletes: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )


class GuardCounted(SQLModel, table=True):
    """Destructive IdP writes applied within the window (older ones are deleted): one write,
    or ``weight`` of them (a settled lease's spent writes, counted from when it settled)."""

    __tablename__ = "guard_counted"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False, index=True))
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    weight: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("1"))
    )


class GuardLease(SQLModel, table=True):
    """A block of destructive writes one process reserved far below the threshold and spends
    in memory (`app.domain.guard.leases`): it counts as ``granted`` until settled, then as
    ``used`` (``deletes`` of them user deletes) from ``at``, when it settled; the full lock
    folds settled ones into guard_counted, and ones still open past ``expires_at`` and a
    grace period (their process died) as granted."""

    __tablename__ = "guard_leases"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    granted: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    used: int = Field(sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0")))
    deletes: int = Field(
        sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("0"))
    )
    settled: bool = Field(
        sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False))
    expires_at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False))


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
