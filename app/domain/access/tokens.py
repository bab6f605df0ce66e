"""What SCIM tokens (scim_tokens) and admin API tokens (api_tokens) share: the record, the hash,
the lookup of a secret, the lastUsedAt write and the revocation's audit entry (each kind keeps
its own checks: their rules differ).

Tokens are 256-bit random strings with a prefix naming their surface (``rsc_`` SCIM,
``rad_`` admin); only their SHA-256 is stored. A high-entropy secret needs no slow hash, and
comparing digests of equal length leaks nothing useful through timing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from app.db import Row, Tx
from app.db.reads import rows_by_ids
from app.db.records import record_of
from app.domain.audit import AuditTarget, record_audit
from app.domain.clock import new_id, now_iso
from app.domain.types import Actor, Change
from app.errors import (
    InvalidValue,
    Unauthenticated,
)

SCIM_PREFIX = "rsc_"
ADMIN_PREFIX = "rad_"
SCIM_TOKENS_LOCK = "scim_tokens"  # serialises creates against rule 12's limit (Tx.lock)


class TokenState(StrEnum):
    """State of a token as the admin API shows it."""

    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A SCIM or API token without its secret."""

    id: str
    name: str
    hint: str
    created_by: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None
    user_id: str | None = None

    @property
    def state(self) -> TokenState:
        """ACTIVE, EXPIRED (past expiresAt) or REVOKED."""
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and self.expires_at <= now_iso():
            return TokenState.EXPIRED
        return TokenState.ACTIVE


def hash_token(secret: str) -> str:
    """SHA-256 hex digest of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def row_for_secret(
    tx: Tx, sql: str, secret: str, prefix: str, *, other_kind: str, invalid: str
) -> Row:
    """The row ``sql`` reads for the secret's hash (``:h``), the digests compared in constant
    time. Raises Unauthenticated: ``other_kind`` when the secret lacks the kind's ``prefix``
    (no read), ``invalid`` when there is no such row."""
    if not secret.startswith(prefix):
        raise Unauthenticated(other_kind)
    digest = hash_token(secret)
    row = await tx.fetchrow(sql, {"h": digest})
    if row is None or not hmac.compare_digest(row["token_hash"], digest):
        raise Unauthenticated(invalid)
    return row


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_record(row: Row) -> TokenRecord:
    """Map a row selected with TOKEN_COLUMNS (API tokens add user_id)."""
    return record_of(TokenRecord, row)


def check_token_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidValue("name must be 1 to 255 characters", fields=["name"])
    return name.strip()


def stale_use(last_used_at: str | None, now: str) -> bool:
    """lastUsedAt is written at most once per clock minute per token (its first 16 characters
    are the minute), so busy tokens cost no write per request."""
    return last_used_at is None or last_used_at[:16] < now[:16]


async def note_token_use(tx: Tx, table: str, token_id: str) -> None:
    """Write the lastUsedAt of token ``token_id`` of ``table`` unless it was already written in
    this clock minute (`stale_use`; a concurrent request of the same minute writes nothing)."""
    now = now_iso()
    await tx.execute(
        f"UPDATE {table} SET last_used_at = :now WHERE id = :id"
        " AND (last_used_at IS NULL OR last_used_at < :minute)",
        {"now": now, "id": token_id, "minute": now[:16]},
    )


async def audit_revoke(tx: Tx, actor: Actor, target_type: str, token_id: str, name: str) -> None:
    """The audit entry of a revocation (``target_type`` ApiToken or ScimToken)."""
    await record_audit(
        tx,
        actor=actor,
        action=f"{target_type[0].lower()}{target_type[1:]}.revoke",
        target=AuditTarget(target_type, token_id, name),
        changes=[Change("state", "ACTIVE", "REVOKED")],
    )


# The columns of a token record, by table (an admin API token belongs to a user).
TOKEN_COLUMNS = {
    "scim_tokens": "id, name, hint, created_by, created_at, expires_at, revoked_at, last_used_at",
    "api_tokens": "id, user_id, name, hint, created_by, created_at, expires_at, revoked_at,"
    " last_used_at",
}


_KINDS = {"scim_tokens": "ScimToken", "api_tokens": "ApiToken"}
"""The audit target type of each table's tokens."""


async def insert_token(
    tx: Tx,
    table: str,
    *,
    actor: Actor,
    name: str,
    prefix: str,
    expires_at: str,
    change: Change,
    user_id: str | None = None,
) -> tuple[TokenRecord, str]:
    """Store a new token of ``table`` (its hash, never the secret) and audit its creation with
    ``change``; returns the record and the secret (shown once). Raises nothing of its own."""
    secret = new_secret(prefix)
    now = now_iso()
    record = TokenRecord(new_id(), name, secret[-4:], actor.label, now, expires_at, None, None)
    params = {
        "id": record.id,
        "n": name,
        "h": hash_token(secret),
        "hint": record.hint,
        "by": actor.label,
        "now": now,
        "exp": expires_at,
    }
    columns, values = "", ""
    if user_id is not None:  # an admin API token belongs to a user
        record = replace(record, user_id=user_id)
        columns, values, params["u"] = ", user_id", ", :u", user_id
    await tx.execute(
        f"INSERT INTO {table} (id, name, token_hash, hint, created_by, created_at, expires_at"
        f"{columns}) VALUES (:id, :n, :h, :hint, :by, :now, :exp{values})",
        params,
    )
    kind = _KINDS[table]
    await record_audit(
        tx,
        actor=actor,
        action=f"{kind[0].lower()}{kind[1:]}.create",
        target=AuditTarget(kind, record.id, name),
        changes=[change],
    )
    return record, secret


async def list_tokens(tx: Tx, table: str) -> list[TokenRecord]:
    """Every token of ``table`` (scim_tokens or api_tokens), newest first."""
    rows = await tx.fetch(
        f"SELECT {TOKEN_COLUMNS[table]} FROM {table} ORDER BY created_at DESC, id DESC"
    )
    return [token_record(r) for r in rows]


async def tokens_by_ids(tx: Tx, table: str, ids: Sequence[str]) -> dict[str, TokenRecord]:
    """The tokens of ``table`` with these ids, by id (missing ids are absent)."""
    rows = await rows_by_ids(tx, table, TOKEN_COLUMNS[table], ids)
    return {r["id"]: token_record(r) for r in rows}
