"""The SQL of the Security Event Token signing keys (table ``signing_keys``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.db import Row, Tx
from app.db.records import json_column, record_of

LOCK = "signing_keys"  # held while the first key is generated, so every worker gets the same


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    """One stored key: its id, algorithm, private half (PKCS#8 PEM) and public JWK."""

    kid: str
    alg: str
    private_pem: str
    public_jwk: dict[str, Any]
    created_at: str


def _record(row: Row) -> SigningKeyRecord:
    return record_of(SigningKeyRecord, row, public_jwk=json_column(row["public_jwk"]))


async def all_keys(tx: Tx) -> list[SigningKeyRecord]:
    """Every key kept, newest first (the first one signs)."""
    rows = await tx.fetch(
        "SELECT kid, alg, private_pem, public_jwk, created_at FROM signing_keys"
        " ORDER BY created_at DESC, kid"
    )
    return [_record(r) for r in rows]


async def insert_key(tx: Tx, key: SigningKeyRecord) -> None:
    """Store a new key."""
    await tx.execute(
        "INSERT INTO signing_keys (kid, alg, private_pem, public_jwk, created_at)"
        " VALUES (:kid, :alg, :pem, :jwk, :at)",
        {
            "kid": key.kid,
            "alg": key.alg,
            "pem": key.private_pem,
            "jwk": tx.dialect.json_param(key.public_jwk),
            "at": key.created_at,
        },
    )
