"""The deployment's signing keys: an ES256 (P-256) key generated on first use, and the JWKS.

The first caller that finds no key takes the transaction lock `store.LOCK`, looks again and
only then generates and stores one, so two workers starting at once agree on a single key.
``kid`` is the key's RFC 7638 thumbprint. Keys are immutable once stored, so a process keeps
the parsed newest key in its cache (`Tx.cache`) once the transaction that read it commits.
Rotation is not built yet: a new row is the new signing key, the old ones stay published.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from app.db import Tx
from app.db.cache import CacheKey
from app.domain.clock import now_iso
from app.domain.security_events import store

ALG = "ES256"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The key that signs, parsed, and every public key to publish."""

    kid: str
    private: ec.EllipticCurvePrivateKey
    published: tuple[dict[str, Any], ...]


_CACHE: CacheKey[SigningKey] = CacheKey("security_events.signing_key")


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members in lexicographic order, base64url."""
    required = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    digest = hashlib.sha256(orjson.dumps(required, option=orjson.OPT_SORT_KEYS)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _generate() -> store.SigningKeyRecord:
    private = ec.generate_private_key(ec.SECP256R1())
    public: dict[str, Any] = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    kid = _thumbprint(public)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk = {**public, "kid": kid, "alg": ALG, "use": "sig"}
    return store.SigningKeyRecord(kid, ALG, pem, jwk, now_iso())


def _parse(records: list[store.SigningKeyRecord]) -> SigningKey:
    newest = records[0]
    private = serialization.load_pem_private_key(newest.private_pem.encode(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return SigningKey(newest.kid, private, tuple(r.public_jwk for r in records))


async def _stored(tx: Tx) -> SigningKey | None:
    """The key this process has parsed, or the stored keys (None when there is none yet)."""
    cached = tx.cache.get(_CACHE)
    if cached is not None:
        return cached
    records = await store.all_keys(tx)
    if not records:
        return None
    key = _parse(records)
    tx.after_commit(lambda: tx.cache.put(_CACHE, key))
    return key


async def signing_key(tx: Tx) -> SigningKey:
    """The key that signs (generated and stored on first use: needs a write transaction
    then), with the public keys to publish."""
    key = await _stored(tx)
    if key is None:
        await tx.lock(store.LOCK)
        if not await store.all_keys(tx):  # another worker may have made it while we waited
            await store.insert_key(tx, _generate())
        key = await _stored(tx)
        assert key is not None
    return key


def _document(key: SigningKey) -> dict[str, Any]:
    return {"keys": [dict(jwk) for jwk in key.published]}


async def published_jwks(tx: Tx) -> dict[str, Any] | None:
    """The public JWKS document, or None before the first key exists (a read transaction
    will do)."""
    key = await _stored(tx)
    return None if key is None else _document(key)


async def jwks(tx: Tx) -> dict[str, Any]:
    """The public JWKS document (RFC 7517) of ``/.well-known/jwks.json``, generating the
    first key if there is none (needs a write transaction then)."""
    return _document(await signing_key(tx))
