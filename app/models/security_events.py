"""Security Event Token signing keys (rule 20, migration 0009c)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TS, JSONDoc


class SigningKey(SQLModel, table=True):
    """One ES256 (P-256) key Roster signs Security Event Tokens with; the newest signs, every
    key kept is published in ``/.well-known/jwks.json``."""

    __tablename__ = "signing_keys"

    kid: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    alg: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    private_pem: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    public_jwk: dict[str, Any] = Field(sa_column=sa.Column(JSONDoc, nullable=False))
    created_at: str = Field(sa_column=sa.Column(sa.String(TS), nullable=False))
