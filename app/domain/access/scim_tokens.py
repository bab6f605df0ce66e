"""SCIM tokens (rule 12): provisioning on/off, create, list, revoke, and the per-request check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.db import Tx
from app.domain.access import tokens
from app.domain.access.permissions import require_writer
from app.domain.access.tokens import SCIM_PREFIX, SCIM_TOKENS_LOCK, TokenRecord
from app.domain.audit import AuditTarget, record_audit
from app.domain.clock import iso_in, now_iso
from app.domain.types import Actor, ActorKind, Change
from app.errors import (
    NotFound,
    ProvisioningDisabled,
    TokenLimitReached,
    Unauthenticated,
)


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
            target=AuditTarget("Provisioning", "1"),
            changes=[Change("enabled", before, enabled)]
            + ([Change("revokedTokens", None, revoked)] if revoked else []),
        )
    return enabled


async def list_scim_tokens(tx: Tx) -> list[TokenRecord]:
    """Every SCIM token, newest first."""
    return await tokens.list_tokens(tx, "scim_tokens")


async def scim_tokens_by_ids(tx: Tx, ids: Sequence[str]) -> dict[str, TokenRecord]:
    """The SCIM tokens with these ids, by id (missing ids are absent)."""
    return await tokens.tokens_by_ids(tx, "scim_tokens", ids)


async def create_scim_token(
    tx: Tx, *, actor: Actor, name: str, ttl_days: int, max_active: int, enable: bool = False
) -> tuple[TokenRecord, str]:
    """A new SCIM token and its secret (shown once).

    Raises ProvisioningDisabled (unless ``enable``), TokenLimitReached, Forbidden.
    """
    require_writer(actor)
    name = tokens.check_token_name(name)
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
    expires = iso_in(ttl_days)
    return await tokens.insert_token(
        tx,
        "scim_tokens",
        actor=actor,
        name=name,
        prefix=SCIM_PREFIX,
        expires_at=expires,
        change=Change("expiresAt", None, expires),
    )


_SCIM_ROW_SQL = f"SELECT {tokens.TOKEN_COLUMNS['scim_tokens']} FROM scim_tokens WHERE id = :id"


async def revoke_scim_token(tx: Tx, *, actor: Actor, token_id: str) -> TokenRecord:
    """Revoke a SCIM token at once (every worker checks the database); raises NotFound."""
    require_writer(actor)
    count = await tx.execute(
        "UPDATE scim_tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL",
        {"now": now_iso(), "id": token_id},
    )
    row = await tx.fetchrow(_SCIM_ROW_SQL, {"id": token_id})
    if row is None:
        raise NotFound(f"no SCIM token with id {token_id!r}", fields=["id"])
    if count:
        await tokens.audit_revoke(tx, actor, "ScimToken", token_id, row["name"])
    return tokens.token_record(row)


@dataclass(frozen=True, slots=True)
class ScimPrincipal:
    """What a valid SCIM token tells a request."""

    token_id: str
    name: str
    # lastUsedAt is due (`tokens.stale_use`) and was left to `tokens.note_token_use`, after a read.
    use_due: bool = False

    def actor(self, request_id: str | None = None) -> Actor:
        """The audit actor for this token."""
        return Actor(ActorKind.SCIM, self.token_id, f"scim:{self.name}", request_id=request_id)


async def authenticate_scim(tx: Tx, secret: str, *, note: bool = True) -> ScimPrincipal:
    """Check a SCIM bearer token: one indexed read. Raises Unauthenticated. ``note=False``
    (a read, in a read-only transaction): lastUsedAt is not written here; the principal says
    whether it is due, for `tokens.note_token_use` in a write transaction of its own."""
    row = await tokens.row_for_secret(
        tx,
        "SELECT t.id, t.name, t.token_hash, t.expires_at, t.revoked_at, t.last_used_at,"
        " s.provisioning_enabled, s.catalogue_version, a.type AS auth_type"
        " FROM scim_tokens t, service_state s, auth_settings a"
        " WHERE t.token_hash = :h AND s.id = 1 AND a.id = 1",
        secret,
        SCIM_PREFIX,
        other_kind="not a SCIM token",
        invalid="invalid SCIM token",
    )
    now = now_iso()
    if row["revoked_at"] is not None or not row["provisioning_enabled"]:
        raise Unauthenticated("this SCIM token was revoked")
    if row["expires_at"] <= now:
        raise Unauthenticated("this SCIM token has expired")
    due = tokens.stale_use(row["last_used_at"], now)
    if due and note:
        await tokens.note_token_use(tx, "scim_tokens", row["id"])
    # What every SCIM request reads next (get_catalogue, current_provider), read here in the
    # same statement and left in the transaction's memo.
    tx.memo["catalogue_version"] = int(row["catalogue_version"])
    tx.memo["auth_type"] = row["auth_type"]
    return ScimPrincipal(row["id"], row["name"], use_due=due and not note)
