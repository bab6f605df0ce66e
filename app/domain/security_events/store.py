"""The SQL of the Security Event Token signing keys (table ``signing_keys``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from app.db import Row, Tx

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
    jwk = row["public_jwk"]
    return SigningKeyRecord(
        kid=row["kid"],
        alg=row["alg"],
        private_pem=row["private_pem"],
        public_jwk=orjson.loads(jwk) if isinstance(jwk, str | bytes) else jwk,
        created_at=row["created_at"],
    )


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
