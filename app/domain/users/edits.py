"""How an edit is applied to a user (app.domain.users), the same way for its two writers: an
admin (`ADMIN_EDIT`, rule 3) and the IdP over SCIM (`IDP_EDIT`, rules 4, 5 and 7). What
differs between them is an `EditPolicy`; the functions return new records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from app.db import Tx
from app.domain.checks import check_external_id
from app.domain.names import name_key
from app.domain.settings.catalogue import Catalogue
from app.domain.settings.values import validate_login_id, validate_profile
from app.domain.types import KEEP, Keep, UserRecord, merged
from app.domain.users.store import ensure_external_id_free, ensure_login_free
from app.errors import ManagedByIdp, Mutability, RosterError


@dataclass(frozen=True, slots=True)
class EditPolicy:
    """What one writer's edit may change on a user.

    ``login_field`` names the loginId in errors. ``owns_login``: whether the writer masters the
    user's loginId; when it does not, a rename raises ``rename_refused`` and a change of case
    is ignored (rule 7). ``idp_values_only``: rule 5, of an IdP-owned user only the values of
    INHERIT_FROM_IDP attributes are written and the others dropped. (An admin's change of an
    IdP-owned field is refused before the edit is applied: rule 3, `service.locked_fields`.)
    """

    login_field: str
    owns_login: Callable[[UserRecord], bool]
    rename_refused: Callable[[UserRecord], RosterError]
    idp_values_only: bool


def _managed_login(user: UserRecord) -> RosterError:
    return ManagedByIdp(
        f"managed by {user.auth_provider}: loginId cannot be changed here", fields=["loginId"]
    )


def _roster_user_name(user: UserRecord) -> RosterError:
    return Mutability(
        "userName of a LOCAL user is owned by Roster and cannot be renamed over SCIM",
        fields=["userName"],
    )


ADMIN_EDIT = EditPolicy("loginId", lambda u: u.is_local, _managed_login, idp_values_only=False)
IDP_EDIT = EditPolicy("userName", lambda u: not u.is_local, _roster_user_name, idp_values_only=True)


def source_filtered(
    user_is_local: bool, catalogue: Catalogue, profile: dict[str, Any]
) -> dict[str, Any]:
    """Rule 5: for IdP-owned users, values of INHERIT_FROM_LOCAL attributes are ignored."""
    if user_is_local:
        return dict(profile)
    return {
        k: v for k, v in profile.items() if (a := catalogue.get(k)) is not None and a.idp_sourced
    }


async def apply_identity(
    tx: Tx,
    user: UserRecord,
    updated: UserRecord,
    policy: EditPolicy,
    *,
    login_id: Any = KEEP,
    external_id: Any = KEEP,
) -> UserRecord:
    """``updated`` with the loginId and externalId of an edit of ``user`` (KEEP: not sent),
    checked and free among live users. Raises InvalidValue, AlreadyExists, and
    ``policy.rename_refused``."""
    if not isinstance(login_id, Keep):
        login = validate_login_id(login_id, field=policy.login_field)
        renamed = name_key(login) != name_key(user.login_id)
        if policy.owns_login(user):
            if renamed:
                await ensure_login_free(tx, login, except_id=user.id)
            updated = replace(updated, login_id=login)
        elif renamed:
            raise policy.rename_refused(user)
    if not isinstance(external_id, Keep):
        ext = check_external_id(external_id)
        await ensure_external_id_free(tx, user.auth_provider, ext, except_id=user.id)
        updated = replace(updated, external_id=ext)
    return updated


def apply_profile(
    catalogue: Catalogue,
    profile: dict[str, Any],
    values: dict[str, Any],
    policy: EditPolicy,
    *,
    is_local: bool,
) -> dict[str, Any]:
    """A new ``profile`` with an edit's ``values`` applied: checked (InvalidValue), kept as the
    policy says, None removing a value."""
    checked = validate_profile(catalogue, values)
    if policy.idp_values_only:
        checked = source_filtered(is_local, catalogue, checked)
    return merged(profile, checked)
