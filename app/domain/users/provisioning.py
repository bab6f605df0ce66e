"""Users written by an identity provider over SCIM: rules 1, 4, 5, 6, 7, 8 and 10."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from app.db import Tx
from app.domain.access.decision import Action, require, user_target
from app.domain.access.roles import ensure_an_owner_remains
from app.domain.audit import diff, record_audit
from app.domain.checks import check_external_id, check_version
from app.domain.clock import new_id, now_iso
from app.domain.names import name_key
from app.domain.settings.authentication import current_provider
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.domain.settings.values import validate_login_id, validate_profile
from app.domain.types import Actor, UserRecord, UserStatus
from app.domain.users.locks import apply_idp_active, restored_status
from app.domain.users.scim_extras import validate_scim_extras
from app.domain.users.service import soft_delete_user, write_user_update
from app.domain.users.store import (
    USER_COLUMNS,
    ensure_external_id_free,
    ensure_login_free,
    insert_user,
    load_user,
    mark_user_provisioned,
    row_to_user,
    save_user,
    snapshot,
)
from app.errors import Mutability


@dataclass(slots=True)
class ProvisionedUser:
    """What the IdP says about a user. ``profile`` holds only the attributes it speaks of.

    For a replace (PUT) the adapter passes every mapped attribute, None where the IdP sent none.
    ``UNSET`` fields of a partial update are left out with ``touch`` naming what is present.
    ``scim_extras`` replaces the stored extras; None leaves them as they are.
    """

    login_id: str | None = None
    external_id: str | None = None
    active: bool | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    touch: frozenset[str] = frozenset({"loginId", "externalId", "active"})
    scim_extras: dict[str, Any] | None = None


def source_filtered(
    user_is_local: bool, catalogue: Catalogue, profile: dict[str, Any]
) -> dict[str, Any]:
    """Rule 5: for IdP-owned users, values of INHERIT_FROM_LOCAL attributes are ignored."""
    if user_is_local:
        return dict(profile)
    return {
        k: v for k, v in profile.items() if (a := catalogue.get(k)) is not None and a.idp_sourced
    }


def ignored_by_source(
    user_is_local: bool, catalogue: Catalogue, profile: dict[str, Any]
) -> list[str]:
    """Rule 5: the attributes sent with a value that `source_filtered` leaves out (listed on
    the provisioning event, rule 18)."""
    if user_is_local:
        return []
    kept = source_filtered(False, catalogue, profile)
    return [k for k, v in profile.items() if v is not None and k not in kept]


async def _deleted_twin(tx: Tx, provider: str, external_id: str | None) -> UserRecord | None:
    """The user this IdP itself deleted with this externalId (rule 16: an admin-deleted user is
    never brought back by SCIM), the latest if several."""
    if external_id is None:
        return None
    row = await tx.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE auth_provider = :p AND external_id = :e"
        " AND deleted_at IS NOT NULL AND deleted_by_kind = 'SCIM'"
        " ORDER BY deleted_at DESC, id DESC LIMIT 1",
        {"p": provider, "e": external_id},
    )
    return None if row is None else row_to_user(row)


def _kept_profile(catalogue: Catalogue, twin: UserRecord, fresh: UserRecord) -> dict[str, Any]:
    """The IdP's values as a create would apply them (rules 4, 5) over every locally mastered
    value of the deleted user, which the restore keeps (rule 16)."""
    kept = {k: v for k, v in twin.profile.items() if not _idp_sourced(catalogue, k)}
    return {**kept, **fresh.profile}


def _idp_sourced(catalogue: Catalogue, name: str) -> bool:
    attribute = catalogue.get(name)
    return attribute is not None and attribute.idp_sourced


async def _restore(
    tx: Tx, actor: Actor, twin: UserRecord, fresh: UserRecord
) -> tuple[UserRecord, bool]:
    """Bring back what this IdP deleted; its tokens stay revoked (rule 15). Raises
    ProtectedAdmin for a user holding OWNER, AlreadyExists for a live externalId."""
    require(actor, Action.RESTORE_USER, await user_target(tx, actor, twin))
    await ensure_external_id_free(tx, twin.auth_provider, twin.external_id, except_id=twin.id)
    restored = replace(
        restored_status(twin, fresh),
        login_id=fresh.login_id,
        profile=_kept_profile(await get_catalogue(tx), twin, fresh),
        scim_extras=fresh.scim_extras,
        deleted_at=None,
        last_provisioned_at=fresh.last_provisioned_at,
    )
    await save_user(tx, restored, expected_version=twin.version)
    await record_audit(
        tx,
        actor=actor,
        action="user.restore",
        target_type="User",
        target_id=twin.id,
        target_label=restored.login_id,
        changes=diff({}, snapshot(restored)),
    )
    return restored, True


def _new_user(catalogue: Catalogue, provider: str, data: ProvisionedUser) -> UserRecord:
    login_id = validate_login_id(data.login_id, field="userName")
    external_id = check_external_id(data.external_id)
    values = validate_profile(catalogue, data.profile)
    now = now_iso()
    return UserRecord(
        id=new_id(),
        login_id=login_id,
        external_id=external_id,
        auth_provider=provider,
        status=(UserStatus.INACTIVE if data.active is False else UserStatus.ACTIVE).value,
        status_reason=None,
        profile={
            k: v
            for k, v in source_filtered(provider == "LOCAL", catalogue, values).items()
            if v is not None
        },
        notes=None,
        version=1,
        created_at=now,
        updated_at=now,
        last_provisioned_at=now,
        scim_extras=validate_scim_extras(catalogue, data.scim_extras or {}),
    )


async def provision_create_user(
    tx: Tx, *, actor: Actor, data: ProvisionedUser
) -> tuple[UserRecord, bool]:
    """Create (or restore what this IdP deleted, rules 8 and 16) a user; returns (user, restored).

    The owner is LOCAL while authentication is INTERNAL, else the configured IdP (rule 1).
    Raises AlreadyExists (rule 6), InvalidValue.
    """
    provider = (await current_provider(tx)).value
    user = _new_user(await get_catalogue(tx), provider, data)
    twin = await _deleted_twin(tx, provider, user.external_id)
    await ensure_login_free(tx, user.login_id)
    if twin is not None:
        return await _restore(tx, actor, twin, user)
    await ensure_external_id_free(tx, provider, user.external_id)
    await insert_user(tx, user)
    await record_audit(
        tx,
        actor=actor,
        action="user.create",
        target_type="User",
        target_id=user.id,
        target_label=user.login_id,
        changes=diff({}, snapshot(user)),
    )
    return user, False


async def _apply_identity(
    tx: Tx, user: UserRecord, updated: UserRecord, data: ProvisionedUser
) -> None:
    if "loginId" in data.touch and data.login_id is not None:
        login_id = validate_login_id(data.login_id, field="userName")
        if name_key(login_id) != name_key(user.login_id):
            if user.is_local:
                raise Mutability(
                    "userName of a LOCAL user is owned by Roster and cannot be renamed over SCIM",
                    fields=["userName"],
                )
            await ensure_login_free(tx, login_id, except_id=user.id)
            updated.login_id = login_id
        elif not user.is_local:
            updated.login_id = login_id
    if "externalId" in data.touch:
        updated.external_id = check_external_id(data.external_id)
        await ensure_external_id_free(
            tx, user.auth_provider, updated.external_id, except_id=user.id
        )


def _apply_values(
    catalogue: Catalogue, user: UserRecord, updated: UserRecord, data: ProvisionedUser
) -> None:
    values = source_filtered(user.is_local, catalogue, validate_profile(catalogue, data.profile))
    for key, value in values.items():
        if value is None:
            updated.profile.pop(key, None)
        else:
            updated.profile[key] = value
    if data.scim_extras is not None:
        updated.scim_extras = validate_scim_extras(catalogue, data.scim_extras)


async def provision_update_user(
    tx: Tx,
    *,
    actor: Actor,
    user_id: str,
    data: ProvisionedUser,
    expected_version: int | None = None,
) -> UserRecord:
    """Apply an IdP update (PUT or PATCH result) to a user.

    LOCAL users keep their owner and roles and stay editable (rule 4); IdP-owned users take
    only INHERIT_FROM_IDP values (rule 5). Raises Mutability (rule 7), ProtectedAdmin
    (rule 10), VersionConflict, AlreadyExists, InvalidValue, NotFound.
    """
    user = await load_user(tx, user_id, for_update=True)
    check_version("user", user.id, user.version, expected_version)
    catalogue = await get_catalogue(tx)
    updated = replace(user, profile=dict(user.profile))
    await _apply_identity(tx, user, updated, data)
    if "active" in data.touch and data.active is not None:
        apply_idp_active(user, updated, data.active)  # rule 17: a lock holds
        if not updated.active and user.active:
            require(actor, Action.CHANGE_USER_STATUS, await user_target(tx, actor, user))
    _apply_values(catalogue, user, updated, data)
    updated.last_provisioned_at = now_iso()
    saved = await write_user_update(tx, actor=actor, user=user, updated=updated)
    if user.active and not updated.active:
        # Who is an OWNER can change under the check above: re-check after the change, under
        # the lock (roles.OWNERS_LOCK).
        await ensure_an_owner_remains(tx, removed=user.id)
    return saved or await mark_user_provisioned(tx, user)


async def provision_delete_user(
    tx: Tx, *, actor: Actor, user_id: str, expected_version: int | None = None
) -> UserRecord:
    """Soft-delete for the IdP (rule 8); raises ProtectedAdmin for OWNERs (rule 10), NotFound."""
    user = await load_user(tx, user_id, for_update=True)
    check_version("user", user.id, user.version, expected_version)
    require(actor, Action.DELETE_USER, await user_target(tx, actor, user))
    return await soft_delete_user(tx, actor=actor, user=user)
