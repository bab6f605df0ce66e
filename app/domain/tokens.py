"""SCIM tokens (rule 12), admin API tokens, provisioning on/off, and the per-request token check.

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
from app.domain.access import Action, Target, require
from app.domain.audit import record_audit
from app.domain.clock import iso_in, new_id, now_iso
from app.domain.permissions import require_writer
from app.domain.roles import effective_roles
from app.domain.types import Actor, ActorKind, Change
from app.errors import (
    Forbidden,
    InvalidValue,
    NotFound,
    ProvisioningDisabled,
    TokenLimitReached,
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


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def _record(row: Row) -> TokenRecord:
    keys = set(row.keys())
    return TokenRecord(
        id=row["id"],
        name=row["name"],
        hint=row["hint"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
        user_id=row["user_id"] if "user_id" in keys else None,
    )


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise InvalidValue("name must be 1 to 255 characters", fields=["name"])
    return name.strip()


async def provisioning_enabled(tx: Tx) -> bool:
    """SCIM provisioning is on."""
    return bool(await tx.fetchval("SELECT provisioning_enabled FROM service_state WHERE id = 1"))


async def set_provisioning_enabled(tx: Tx, *, actor: Actor, enabled: bool) -> bool:
    """Turn provisioning on or off; off revokes every SCIM token (rule 12). Raises Forbidden."""
    require_writer(actor)
    before = await provisioning_enabled(tx)
    now = now_iso()
    await tx.execute(
        "UPDATE service_state SET provisioning_enabled = :e, updated_at = :now WHERE id = 1",
        {"e": enabled, "now": now},
    )
    revoked = 0
    if not enabled:
        revoked = await tx.execute(
            "UPDATE scim_tokens SET revoked_at = :now WHERE revoked_at IS NULL", {"now": now}
        )
    if before != enabled or revoked:
        await record_audit(
            tx,
            actor=actor,
            action="provisioning.enable" if enabled else "provisioning.disable",
            target_type="Provisioning",
            target_id="1",
            changes=[Change("enabled", before, enabled)]
            + ([Change("revokedTokens", None, revoked)] if revoked else []),
        )
    return enabled


async def list_scim_tokens(tx: Tx) -> list[TokenRecord]:
    """Every SCIM token, newest first."""
    rows = await tx.fetch(
        "SELECT id, name, hint, created_by, created_at, expires_at, revoked_at, last_used_at"
        " FROM scim_tokens ORDER BY created_at DESC, id DESC"
    )
    return [_record(r) for r in rows]


async def scim_tokens_by_ids(tx: Tx, ids: Sequence[str]) -> dict[str, TokenRecord]:
    """The SCIM tokens with these ids, by id (missing ids are absent)."""
    if not ids:
        return {}
    d = tx.dialect
    rows = await tx.fetch(
        "SELECT id, name, hint, created_by, created_at, expires_at, revoked_at, last_used_at"
        f" FROM scim_tokens WHERE {d.in_list('id', 'ids')}",
        {"ids": d.list_param(list(ids))},
    )
    return {r["id"]: _record(r) for r in rows}


async def create_scim_token(
    tx: Tx, *, actor: Actor, name: str, ttl_days: int, max_active: int, enable: bool = False
) -> tuple[TokenRecord, str]:
    """A new SCIM token and its secret (shown once).

    Raises ProvisioningDisabled (unless ``enable``), TokenLimitReached, Forbidden.
    """
    require_writer(actor)
    name = _check_name(name)
    # Count-then-insert is one step for concurrent creates on any worker: the lock comes
    # first, before any row lock, and the count after it sees every earlier create committed.
    await tx.lock(SCIM_TOKENS_LOCK)
    if not await provisioning_enabled(tx):
        if not enable:
            raise ProvisioningDisabled("enable provisioning before creating SCIM tokens")
        await set_provisioning_enabled(tx, actor=actor, enabled=True)
    now = now_iso()
    active = await tx.fetchval(
        "SELECT COUNT(*) FROM scim_tokens WHERE revoked_at IS NULL AND expires_at > :now",
        {"now": now},
    )
    if int(active) >= max_active:
        raise TokenLimitReached(
            f"at most {max_active} active SCIM tokens may exist: revoke one first"
        )
    secret = _new_secret(SCIM_PREFIX)
    record = TokenRecord(
        new_id(), name, secret[-4:], actor.label, now, iso_in(ttl_days), None, None
    )
    await tx.execute(
        "INSERT INTO scim_tokens (id, name, token_hash, hint, created_by, created_at,"
        " expires_at) VALUES (:id, :n, :h, :hint, :by, :now, :exp)",
        {
            "id": record.id,
            "n": name,
            "h": hash_token(secret),
            "hint": record.hint,
            "by": actor.label,
            "now": now,
            "exp": record.expires_at,
        },
    )
    await record_audit(
        tx,
        actor=actor,
        action="scimToken.create",
        target_type="ScimToken",
        target_id=record.id,
        target_label=name,
        changes=[Change("expiresAt", None, record.expires_at)],
    )
    return record, secret


async def revoke_scim_token(tx: Tx, *, actor: Actor, token_id: str) -> TokenRecord:
    """Revoke a SCIM token at once (every worker checks the database); raises NotFound."""
    require_writer(actor)
    count = await tx.execute(
        "UPDATE scim_tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
        {"now": now_iso(), "id": token_id},
    )
    row = await tx.fetchrow(
        "SELECT id, name, hint, created_by, created_at, expires_at, revoked_at, last_used_at"
        " FROM scim_tokens WHERE id = :id",
        {"id": token_id},
    )
    if row is None:
        raise NotFound(f"no SCIM token with id {token_id!r}", fields=["id"])
    if count:
        await record_audit(
            tx,
            actor=actor,
            action="scimToken.revoke",
            target_type="ScimToken",
            target_id=token_id,
            target_label=row["name"],
            changes=[Change("state", "ACTIVE", "REVOKED")],
        )
    return _record(row)


@dataclass(frozen=True, slots=True)
class ScimPrincipal:
    """What a valid SCIM token tells a request."""

    token_id: str
    name: str

    def actor(self, request_id: str | None = None) -> Actor:
        """The audit actor for this token."""
        return Actor(ActorKind.SCIM, self.token_id, f"scim:{self.name}", request_id=request_id)


def _stale(last_used_at: str | None, now: str) -> bool:
    """lastUsedAt is written at most once per clock minute per token (its first 16 characters
    are the minute), so busy tokens cost no write per request."""
    return last_used_at is None or last_used_at[:16] < now[:16]


async def authenticate_scim(tx: Tx, secret: str) -> ScimPrincipal:
    """Check a SCIM bearer token: one indexed read. Raises Unauthenticated."""
    if not secret.startswith(SCIM_PREFIX):
        raise Unauthenticated("not a SCIM token")
    digest = hash_token(secret)
    row = await tx.fetchrow(
        "SELECT t.id, t.name, t.token_hash, t.expires_at, t.revoked_at, t.last_used_at,"
        " s.provisioning_enabled, s.catalogue_version, a.type AS auth_type"
        " FROM scim_tokens t, service_state s, auth_settings a"
        " WHERE t.token_hash = :h AND s.id = 1 AND a.id = 1",
        {"h": digest},
    )
    now = now_iso()
    if row is None or not hmac.compare_digest(row["token_hash"], digest):
        raise Unauthenticated("invalid SCIM token")
    if row["revoked_at"] is not None or not row["provisioning_enabled"]:
        raise Unauthenticated("this SCIM token was revoked")
    if row["expires_at"] <= now:
        raise Unauthenticated("this SCIM token has expired")
    if _stale(row["last_used_at"], now):
        await tx.execute(
            "UPDATE scim_tokens SET last_used_at = :now WHERE id = :id",
            {"now": now, "id": row["id"]},
        )
    # What every SCIM request reads next (get_catalogue, current_provider), read here in the
    # same statement and left in the transaction's memo.
    tx.memo["catalogue_version"] = int(row["catalogue_version"])
    tx.memo["auth_type"] = row["auth_type"]
    return ScimPrincipal(row["id"], row["name"])


DEFAULT_API_TOKEN_TTL_DAYS = 90


def check_api_token_ttl(ttl_days: int | None, max_ttl_days: int) -> int:
    """The lifetime of a new admin API token in days: 90 when omitted, else 1 to
    ``max_ttl_days`` (rule 15: admin API tokens always expire). Raises InvalidValue."""
    if ttl_days is None:
        return min(DEFAULT_API_TOKEN_TTL_DAYS, max_ttl_days)
    if isinstance(ttl_days, bool) or not 1 <= ttl_days <= max_ttl_days:
        raise InvalidValue(
            f"ttlDays must be between 1 and {max_ttl_days} (got {ttl_days})", fields=["ttlDays"]
        )
    return ttl_days


async def create_api_token(
    tx: Tx,
    *,
    actor: Actor,
    user_id: str,
    name: str,
    ttl_days: int | None = None,
    max_ttl_days: int = 365,
) -> tuple[TokenRecord, str]:
    """An admin API token for a user, and its secret (shown once), expiring after ``ttl_days``
    (see `check_api_token_ttl`).

    Raises NotFound, InvalidValue, Forbidden (a token for an OWNER needs an OWNER).
    """
    require_writer(actor)
    name = _check_name(name)
    ttl_days = check_api_token_ttl(ttl_days, max_ttl_days)
    exists = await tx.fetchval(
        "SELECT 1 FROM users WHERE id = :id AND deleted_at IS NULL", {"id": user_id}
    )
    if exists is None:
        raise NotFound(f"no user with id {user_id!r}", fields=["userId"])
    roles = await effective_roles(tx, user_id)
    owner = "OWNER" in roles
    require(actor, Action.CREATE_USER_TOKEN, Target("user", holds_owner=owner))
    if not roles & {"OWNER", "ADMIN", "VIEWER"}:
        raise InvalidValue("the user holds no admin role (OWNER, ADMIN or VIEWER)", ["userId"])
    secret = _new_secret(ADMIN_PREFIX)
    now = now_iso()
    expires = iso_in(ttl_days)
    record = TokenRecord(
        new_id(), name, secret[-4:], actor.label, now, expires, None, None, user_id
    )
    await tx.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_by, created_at,"
        " expires_at) VALUES (:id, :u, :n, :h, :hint, :by, :now, :exp)",
        {
            "id": record.id,
            "u": user_id,
            "n": name,
            "h": hash_token(secret),
            "hint": record.hint,
            "by": actor.label,
            "now": now,
            "exp": expires,
        },
    )
    await record_audit(
        tx,
        actor=actor,
        action="apiToken.create",
        target_type="ApiToken",
        target_id=record.id,
        target_label=name,
        changes=[Change("userId", None, user_id)],
    )
    return record, secret


async def list_api_tokens(tx: Tx) -> list[TokenRecord]:
    """Every admin API token, newest first."""
    rows = await tx.fetch(
        "SELECT id, user_id, name, hint, created_by, created_at, expires_at, revoked_at,"
        " last_used_at FROM api_tokens ORDER BY created_at DESC, id DESC"
    )
    return [_record(r) for r in rows]


async def api_tokens_by_ids(tx: Tx, ids: Sequence[str]) -> dict[str, TokenRecord]:
    """The admin API tokens with these ids, by id (missing ids are absent)."""
    if not ids:
        return {}
    d = tx.dialect
    rows = await tx.fetch(
        "SELECT id, user_id, name, hint, created_by, created_at, expires_at, revoked_at,"
        f" last_used_at FROM api_tokens WHERE {d.in_list('id', 'ids')}",
        {"ids": d.list_param(list(ids))},
    )
    return {r["id"]: _record(r) for r in rows}


_API_ROW_SQL = (
    "SELECT id, user_id, name, hint, created_by, created_at, expires_at, revoked_at,"
    " last_used_at FROM api_tokens WHERE id = :id"
)


async def revoke_api_token(tx: Tx, *, actor: Actor, token_id: str) -> TokenRecord:
    """Revoke an admin API token; raises NotFound, Forbidden."""
    require_writer(actor)
    row = await tx.fetchrow(_API_ROW_SQL, {"id": token_id})
    if row is None:
        raise NotFound(f"no API token with id {token_id!r}", fields=["id"])
    owner = "OWNER" in await effective_roles(tx, row["user_id"])
    own = row["user_id"] == actor.id
    require(actor, Action.REVOKE_USER_TOKEN, Target("user", holds_owner=owner, own=own))
    record = _record(row)
    if record.revoked_at is not None:
        return record
    now = now_iso()
    await tx.execute(
        "UPDATE api_tokens SET revoked_at = :now WHERE id = :id", {"now": now, "id": token_id}
    )
    await record_audit(
        tx,
        actor=actor,
        action="apiToken.revoke",
        target_type="ApiToken",
        target_id=token_id,
        target_label=record.name,
        changes=[Change("state", "ACTIVE", "REVOKED")],
    )
    return replace(record, revoked_at=now)


async def authenticate_admin(tx: Tx, secret: str, request_id: str | None = None) -> Actor:
    """Check an admin bearer token; the actor carries the user's effective roles.

    Raises Unauthenticated (bad, revoked or expired token; deleted or inactive user) and
    Forbidden (the user holds no admin role).
    """
    if not secret.startswith(ADMIN_PREFIX):
        raise Unauthenticated("not an admin API token")
    digest = hash_token(secret)
    row = await tx.fetchrow(
        "SELECT t.id, t.token_hash, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id,"
        " u.login_id FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = :h AND u.deleted_at IS NULL AND u.status = 'ACTIVE'",
        {"h": digest},
    )
    now = now_iso()
    if row is None or not hmac.compare_digest(row["token_hash"], digest):
        raise Unauthenticated("invalid admin API token")
    if row["revoked_at"] is not None:
        raise Unauthenticated("this API token was revoked")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise Unauthenticated("this API token has expired")
    roles = await effective_roles(tx, row["user_id"])
    if not roles & {"OWNER", "ADMIN", "VIEWER"}:
        raise Forbidden("the token's user holds no admin role")
    if _stale(row["last_used_at"], now):
        await tx.execute(
            "UPDATE api_tokens SET last_used_at = :now WHERE id = :id",
            {"now": now, "id": row["id"]},
        )
    return Actor(ActorKind.ADMIN, row["user_id"], row["login_id"], roles, request_id)
