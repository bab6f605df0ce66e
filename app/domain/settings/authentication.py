"""Authentication settings (one IdP at a time, rule 11) and converting IdP users to LOCAL.

The SQL is in `app.domain.settings.store`; the conversion itself, record by record, in
`app.domain.settings.conversion`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.db import Tx
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, diff, record_audit
from app.domain.settings import store
from app.domain.settings.conversion import convert_to_local
from app.domain.types import KEEP, Actor, AuthProvider, AuthType, Change, Keep, merged
from app.errors import IdpLocked, InvalidValue

CONFIG_KEYS = frozenset(
    {"issuer", "metadataUrl", "clientId", "ssoUrl", "entityId", "domain", "tenantId", "scopes"}
)


@dataclass(frozen=True, slots=True)
class AuthSettingsRecord:
    """The current settings; secret values never leave the domain, only their names."""

    type: AuthType
    display_name: str | None
    config: dict[str, str]
    secret_names: tuple[str, ...]
    version: int
    updated_at: str

    @property
    def provider(self) -> AuthProvider:
        """The owner SCIM-created records get (rule 1)."""
        return _provider_of(self.type)


def _provider_of(type: AuthType) -> AuthProvider:
    return AuthProvider.LOCAL if type is AuthType.INTERNAL else AuthProvider(type)


async def current_provider(tx: Tx) -> AuthProvider:
    """The owner SCIM-created records get (rule 1), read once per transaction (the SCIM token
    check reads the authentication type in its own statement and leaves it in the memo)."""
    raw = tx.memo.get("auth_type")
    if raw is None:
        settings: AuthSettingsRecord | None = tx.memo.get("auth_settings")
        if settings is not None:
            return settings.provider
        raw = tx.memo["auth_type"] = await store.auth_type(tx)
    return _provider_of(AuthType(raw))


def _doc(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str | bytes):
        loaded: dict[str, Any] = orjson.loads(raw)
        return loaded
    return dict(raw or {})


async def get_auth_settings(tx: Tx) -> AuthSettingsRecord:
    """The deployment's authentication settings (read once per transaction)."""
    memo: AuthSettingsRecord | None = tx.memo.get("auth_settings")
    if memo is not None:
        return memo
    row = await store.auth_settings_row(tx)
    record = tx.memo["auth_settings"] = AuthSettingsRecord(
        type=AuthType(row["type"]),
        display_name=row["display_name"],
        config=_doc(row["config"]),
        secret_names=tuple(sorted(_doc(row["secrets"]))),
        version=int(row["version"]),
        updated_at=row["updated_at"],
    )
    return record


def _check_strings(name: str, values: Mapping[str, Any], allowed: frozenset[str] | None) -> None:
    for key, value in values.items():
        if allowed is not None and key not in allowed:
            raise InvalidValue(
                f"unknown {name} key {key!r}; known: {', '.join(sorted(allowed))}", fields=[name]
            )
        if value is not None and (not isinstance(value, str) or len(value) > 4096):
            raise InvalidValue(f"{name}.{key} must be a string", fields=[name])


async def _check_leaving(tx: Tx, current: AuthType, target: AuthType) -> None:
    if current is target or current is AuthType.INTERNAL:
        return
    users, groups = await store.owned_counts(tx, current.value)
    if users or groups:
        raise IdpLocked(
            f"{users} user(s) and {groups} group(s) are owned by {current.value}: "
            "convert them to local (convertUsersToLocal) or delete them first",
            fields=["type"],
        )


async def configure_authentication(
    tx: Tx,
    *,
    actor: Actor,
    type: AuthType,
    display_name: str | Keep | None = KEEP,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> AuthSettingsRecord:
    """Set the authentication type and its settings (omitted keeps, null clears: rule 18).

    ``display_name`` KEEP keeps the stored label. ``config`` and the write-only ``secrets``
    merge into the stored ones: a given key is set, a key given as None is removed, others are
    kept. Raises InvalidValue, and IdpLocked when leaving an IdP that still owns users or
    groups (rule 11).
    """
    require_writer(actor)
    current = await get_auth_settings(tx)
    config, secrets = dict(config or {}), dict(secrets or {})
    _check_strings("config", config, CONFIG_KEYS)
    _check_strings("secrets", secrets, None)
    await _check_leaving(tx, current.type, type)
    stored_secrets = _doc(await store.stored_secrets(tx))
    await store.update_auth_settings(
        tx,
        type.value,
        current.display_name if isinstance(display_name, Keep) else display_name,
        merged(current.config, config),
        merged(stored_secrets, secrets),
    )
    tx.memo.pop("auth_settings", None)
    tx.memo.pop("auth_type", None)
    updated = await get_auth_settings(tx)
    await _audit_configure(tx, actor, current, updated, secrets)
    return updated


async def _audit_configure(
    tx: Tx,
    actor: Actor,
    current: AuthSettingsRecord,
    updated: AuthSettingsRecord,
    secrets: Mapping[str, Any],
) -> None:
    before = {"type": current.type.value, "displayName": current.display_name, **current.config}
    after = {"type": updated.type.value, "displayName": updated.display_name, **updated.config}
    changes = diff(before, after)
    changes += [Change(f"secrets.{k}", "<hidden>", "<changed>") for k in sorted(secrets)]
    await record_audit(
        tx,
        actor=actor,
        action="authentication.configure",
        target=AuditTarget("AuthenticationSettings", "1", updated.type.value),
        changes=changes,
    )


async def convert_users_to_local(
    tx: Tx, *, actor: Actor, user_ids: Sequence[str] | None = None, include_groups: bool = True
) -> tuple[int, int]:
    """(users converted, groups converted) by app.domain.settings.conversion.convert_to_local, which
    reports each record; raises Forbidden."""
    report = await convert_to_local(
        tx, actor=actor, user_ids=user_ids, include_groups=include_groups
    )
    return report.converted("User"), report.converted("Group")
