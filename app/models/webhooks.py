"""Webhooks: endpoints, deliveries and the delivery log (rule 20, migration 0009b)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TS, JSONDoc


def _text(width: int, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.String(width), nullable=nullable))


def _endpoint_fk() -> Any:
    """The endpoint a row belongs to (deleted with it)."""
    fk = sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    return Field(sa_column=sa.Column(sa.String(36), fk, nullable=False))


class WebhookEndpoint(SQLModel, table=True):
    """Where events go: URL, filter (empty: every type), secret, state, fan-out cursor."""

    __tablename__ = "webhook_endpoints"

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    url: str = _text(2048)
    description: str = _text(255)
    event_types: list[str] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    format: str = _text(8)  # JSON | SET
    enabled: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    state: str = _text(16)  # ACTIVE | FAILING
    secret: str = _text(128)
    previous_secret: str | None = _text(128, nullable=True)
    previous_secret_expires_at: str | None = _text(TS, nullable=True)
    cursor_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    failing_since: str | None = _text(TS, nullable=True)
    last_success_at: str | None = _text(TS, nullable=True)
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: str = _text(TS)
    updated_at: str = _text(TS)


class WebhookDelivery(SQLModel, table=True):
    """One event to send to one endpoint, leased by the worker sending it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_seq", name="uq_webhook_deliveries_event"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        sa.Index(
            "ix_webhook_deliveries_resource", "endpoint_id", "resource_key", "status", "event_seq"
        ),
    )

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    endpoint_id: str = _endpoint_fk()
    event_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    event_id: str = _text(36)
    resource_key: str = _text(128)
    status: str = _text(16)  # PENDING | DELIVERED | FAILED
    attempts: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    next_attempt_at: str = _text(TS)
    leased_until: str | None = _text(TS, nullable=True)
    lease_id: str | None = _text(36, nullable=True)
    created_at: str = _text(TS)
    delivered_at: str | None = _text(TS, nullable=True)
    last_status: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    last_error: str | None = _text(1024, nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_endpoint", "endpoint_id", "at"),)

    id: str = Field(sa_column=sa.Column(sa.String(36), primary_key=True))
    endpoint_id: str = _endpoint_fk()
    delivery_id: str = _text(36)
    event_seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    at: str = _text(TS)
    status_code: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    latency_ms: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    error: str | None = _text(1024, nullable=True)
    response_excerpt: str | None = _text(1024, nullable=True)
