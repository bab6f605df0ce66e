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
from app.domain.settings.authentication import current_provider
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.domain.settings.values import validate_login_id
from app.domain.types import KEEP, Actor, AuthProvider, UserRecord, UserStatus
from app.domain.users.audited import snapshot
from app.domain.users.edits import IDP_EDIT, apply_identity, apply_profile, source_filtered
from app.domain.users.locks import apply_idp_active, restored_status
from app.domain.users.scim_extras import validate_scim_extras
from app.domain.users.service import soft_delete_user, write_user_update
from app.domain.users.store import (
    ensure_external_id_free,
    ensure_login_free,
    find_deleted_twin,
    insert_user,
    load_user,
    mark_user_provisioned,
    save_user,
)


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


def ignored_by_source(
    user_is_local: bool, catalogue: Catalogue, profile: dict[str, Any]
) -> list[str]:
    """Rule 5: the attributes sent with a value that `source_filtered` leaves out (listed on
    the provisioning event, rule 18)."""
    if user_is_local:
        return []
    kept = source_filtered(False, catalogue, profile)
    return [k for k, v in profile.items() if v is not None and k not in kept]


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
    saved = await save_user(tx, restored, expected_version=twin.version)
    await record_audit(
        tx, actor=actor, action="user.restore", target=saved, changes=diff({}, snapshot(saved))
    )
    return saved, True


def _new_user(catalogue: Catalogue, provider: AuthProvider, data: ProvisionedUser) -> UserRecord:
    login_id = validate_login_id(data.login_id, field="userName")
    external_id = check_external_id(data.external_id)
    local = provider is AuthProvider.LOCAL
    profile = apply_profile(catalogue, {}, data.profile, IDP_EDIT, is_local=local)
    now = now_iso()
    return UserRecord(
        id=new_id(),
        login_id=login_id,
        external_id=external_id,
        auth_provider=provider,
        status=UserStatus.INACTIVE if data.active is False else UserStatus.ACTIVE,
        status_reason=None,
        profile=profile,
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
    provider = await current_provider(tx)
    user = _new_user(await get_catalogue(tx), provider, data)
    twin = await find_deleted_twin(tx, provider, user.external_id)
    await ensure_login_free(tx, user.login_id)
    if twin is not None:
        return await _restore(tx, actor, twin, user)
    await ensure_external_id_free(tx, provider, user.external_id)
    await insert_user(tx, user)
    await record_audit(
        tx, actor=actor, action="user.create", target=user, changes=diff({}, snapshot(user))
    )
    return user, False


def _profile_edit(catalogue: Catalogue, updated: UserRecord, data: ProvisionedUser) -> UserRecord:
    """``updated`` with the IdP's profile values (rules 4, 5) and SCIM extras applied."""
    profile = apply_profile(
        catalogue, updated.profile, data.profile, IDP_EDIT, is_local=updated.is_local
    )
    extras = updated.scim_extras
    if data.scim_extras is not None:
        extras = validate_scim_extras(catalogue, data.scim_extras)
    return replace(updated, profile=profile, scim_extras=extras)


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
    touch = data.touch
    updated = await apply_identity(
        tx,
        user,
        user,
        IDP_EDIT,
        login_id=KEEP if "loginId" not in touch or data.login_id is None else data.login_id,
        external_id=data.external_id if "externalId" in touch else KEEP,
    )
    if "active" in touch and data.active is not None:
        updated = apply_idp_active(user, updated, data.active)  # rule 17: a lock holds
        if not updated.active and user.active:
            require(actor, Action.CHANGE_USER_STATUS, await user_target(tx, actor, user))
    updated = replace(_profile_edit(catalogue, updated, data), last_provisioned_at=now_iso())
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
