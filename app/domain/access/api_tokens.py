"""Admin API tokens (rule 15): lifetime, create, list, revoke, and the per-request check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.db import Tx
from app.domain.access import tokens
from app.domain.access.decision import Action, Target, require
from app.domain.access.permissions import require_writer
from app.domain.access.roles import effective_roles
from app.domain.access.tokens import ADMIN_PREFIX, TokenRecord
from app.domain.clock import iso_in, now_iso
from app.domain.types import Actor, ActorKind, Change
from app.errors import (
    Forbidden,
    InvalidValue,
    NotFound,
    Unauthenticated,
)

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
    name = tokens.check_token_name(name)
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
    return await tokens.insert_token(
        tx,
        "api_tokens",
        actor=actor,
        name=name,
        prefix=ADMIN_PREFIX,
        expires_at=iso_in(ttl_days),
        change=Change("userId", None, user_id),
        user_id=user_id,
    )


async def list_api_tokens(tx: Tx) -> list[TokenRecord]:
    """Every admin API token, newest first."""
    return await tokens.list_tokens(tx, "api_tokens")


async def api_tokens_by_ids(tx: Tx, ids: Sequence[str]) -> dict[str, TokenRecord]:
    """The admin API tokens with these ids, by id (missing ids are absent)."""
    return await tokens.tokens_by_ids(tx, "api_tokens", ids)


_API_ROW_SQL = f"SELECT {tokens.TOKEN_COLUMNS['api_tokens']} FROM api_tokens WHERE id = :id"


async def revoke_api_token(tx: Tx, *, actor: Actor, token_id: str) -> TokenRecord:
    """Revoke an admin API token; raises NotFound, Forbidden."""
    require_writer(actor)
    row = await tx.fetchrow(_API_ROW_SQL, {"id": token_id})
    if row is None:
        raise NotFound(f"no API token with id {token_id!r}", fields=["id"])
    owner = "OWNER" in await effective_roles(tx, row["user_id"])
    own = row["user_id"] == actor.id
    require(actor, Action.REVOKE_USER_TOKEN, Target("user", holds_owner=owner, own=own))
    record = tokens.token_record(row)
    if record.revoked_at is not None:
        return record
    now = now_iso()
    await tx.execute(
        "UPDATE api_tokens SET revoked_at = :now WHERE id = :id", {"now": now, "id": token_id}
    )
    await tokens.audit_revoke(tx, actor, "ApiToken", token_id, record.name)
    return replace(record, revoked_at=now)


@dataclass(frozen=True, slots=True)
class AdminLogin:
    """A valid admin token: its actor, its id, and whether its lastUsedAt is due."""

    actor: Actor
    token_id: str
    use_due: bool


async def check_admin(tx: Tx, secret: str, request_id: str | None = None) -> AdminLogin:
    """Check an admin bearer token without writing (a read-only transaction will do); the
    actor carries the user's effective roles. Whether lastUsedAt is due is returned, for
    `tokens.note_token_use` in a write transaction.

    Raises Unauthenticated (bad, revoked or expired token; deleted or inactive user) and
    Forbidden (the user holds no admin role).
    """
    row = await tokens.row_for_secret(
        tx,
        "SELECT t.id, t.token_hash, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id,"
        " u.login_id FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = :h AND u.deleted_at IS NULL AND u.status = 'ACTIVE'",
        secret,
        ADMIN_PREFIX,
        other_kind="not an admin API token",
        invalid="invalid admin API token",
    )
    now = now_iso()
    if row["revoked_at"] is not None:
        raise Unauthenticated("this API token was revoked")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise Unauthenticated("this API token has expired")
    roles = await effective_roles(tx, row["user_id"])
    if not roles & {"OWNER", "ADMIN", "VIEWER"}:
        raise Forbidden("the token's user holds no admin role")
    actor = Actor(ActorKind.ADMIN, row["user_id"], row["login_id"], roles, request_id)
    return AdminLogin(actor, row["id"], tokens.stale_use(row["last_used_at"], now))


async def authenticate_admin(tx: Tx, secret: str, request_id: str | None = None) -> Actor:
    """`check_admin`, and lastUsedAt written when due, in ``tx`` (a write transaction)."""
    login = await check_admin(tx, secret, request_id)
    if login.use_due:
        await tokens.note_token_use(tx, "api_tokens", login.token_id)
    return login.actor
