"""The downstream event outbox (rule 20, migration 0009a)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TS, JSONDoc


class OutboxEvent(SQLModel, table=True):
    """One committed change, numbered without gaps in commit order (``seq``)."""

    __tablename__ = "outbox_events"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False, index=True))
    actor_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    actor_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(36)))
    actor_label: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    request_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    resource_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    resource_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    changes: list[dict[str, Any]] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    resource: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(JSONDoc))


class OutboxCounter(SQLModel, table=True):
    """The last number given to an event (one row, id 1; migration 0010c). PostgreSQL numbers
    each event by updating it, in the event's own INSERT: the row's lock orders the writers
    and is held until commit, so numbers follow commit order without gaps. SQLite numbers
    with ``max(seq) + 1`` (one writer at a time) and a trigger keeps the row equal."""

    __tablename__ = "outbox_counter"

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
