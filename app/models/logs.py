"""Log tables: SCIM traffic per token and hour, the provisioning log and the audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TS, JSONDoc, ts


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


class ProvisioningEvent(SQLModel, table=True):
    """One SCIM write as the provisioning log shows it."""

    __tablename__ = "provisioning_events"
    __table_args__ = (sa.Index("ix_provisioning_events_type_at", "resource_type", "at"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    at: str = ts(index=True)
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
    at: str = ts(index=True)
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
