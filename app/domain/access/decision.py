"""The one authorization decision: may this actor do this to this target (rules 3, 9, 10, 14).

Every write asks `require` (through the domain function it calls) and every capability field
`may` (through `capabilities`): the admin API, SCIM, Bulk and the console obey one rule.
The decision is pure; `user_target` and `group_target` read what it needs into a `Target`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from app.db import Tx
from app.domain.types import Actor, ActorKind, GroupRecord, UserRecord
from app.errors import Forbidden, ManagedByIdp, NotFound, ProtectedAdmin, RosterError

OWNER = "OWNER"
READ_ONLY = "this token is read-only (VIEWER): mutations are not allowed"


class Action(StrEnum):
    """What an actor does to a user or a group (values are the audit log's action names)."""

    UPDATE_USER = "user.update"
    DELETE_USER = "user.delete"
    RESTORE_USER = "user.restore"
    CHANGE_USER_STATUS = "user.status"
    REVOKE_USER_TOKEN = "apiToken.revoke"  # noqa: S105 - an action name, not a secret
    CREATE_USER_TOKEN = "apiToken.create"  # noqa: S105 - an action name, not a secret
    GRANT_ROLES = "role.grant"
    REVOKE_ROLES = "role.revoke"
    ADD_MEMBERS = "group.members.add"
    REMOVE_MEMBERS = "group.members.remove"
    UPDATE_GROUP = "group.update"
    DELETE_GROUP = "group.delete"


class Denial(StrEnum):
    """Why a decision refuses, as the capability fields list it."""

    INSUFFICIENT_ROLE = "INSUFFICIENT_ROLE"
    MANAGED_BY_IDP = "MANAGED_BY_IDP"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class Target:
    """What the decision needs to know about the record acted on.

    ``holds_owner``: the user holds OWNER (directly or through a group), or the group grants
    it. ``idp_members``: the IdP controls the group's membership (IdP-owned or SCIM-created).
    ``roles``: the roles granted or revoked. ``own``: the user is the actor itself.
    """

    kind: str
    provider: str = "LOCAL"
    is_local: bool = True
    deleted: bool = False
    holds_owner: bool = False
    idp_members: bool = False
    roles: frozenset[str] = frozenset()
    own: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed, or refused with the error to raise, its message and the capability reason."""

    allowed: bool
    reason: str = ""
    error: type[RosterError] = Forbidden
    denial: Denial | None = None
    fields: tuple[str, ...] = ()

    def raise_if_refused(self) -> None:
        """Raise the refusal's error (with the reason as its message) unless allowed."""
        if not self.allowed:
            raise self.error(self.reason, fields=self.fields)


ALLOWED = Decision(True)


def _refuse(reason: str, error: type[RosterError] = Forbidden) -> Decision:
    return Decision(False, reason, error, Denial.INSUFFICIENT_ROLE)


def _idp(reason: str, *fields: str) -> Decision:
    return Decision(False, reason, ManagedByIdp, Denial.MANAGED_BY_IDP, fields)


_MEMBERS = (
    "the group holds OWNER: SCIM cannot add or remove its members (an OWNER changes them in the"
    " admin API)"
)
_SCIM_OWNER: dict[Action, tuple[str, tuple[str, ...]]] = {
    Action.CHANGE_USER_STATUS: ("SCIM cannot deactivate a user who holds OWNER", ("active",)),
    Action.DELETE_USER: ("SCIM cannot delete a user who holds OWNER", ("id",)),
    Action.RESTORE_USER: ("SCIM cannot restore a user who holds OWNER", ("externalId",)),
    Action.ADD_MEMBERS: (_MEMBERS, ("members",)),
    Action.REMOVE_MEMBERS: (_MEMBERS, ("members",)),
    Action.DELETE_GROUP: ("the group holds OWNER: SCIM cannot delete it", ("id",)),
}


def _scim(action: Action, target: Target) -> Decision:
    """The IdP writes users and groups, but never changes who is an OWNER (rules 10, 14)."""
    if action in (Action.GRANT_ROLES, Action.REVOKE_ROLES):
        return _refuse("SCIM cannot grant or revoke roles", ProtectedAdmin)
    if target.holds_owner and action in _SCIM_OWNER:
        reason, fields = _SCIM_OWNER[action]
        return Decision(False, reason, ProtectedAdmin, Denial.INSUFFICIENT_ROLE, fields)
    return ALLOWED


_MEMBERS_OF_OWNERS = "only an OWNER may change the members of a group that holds OWNER"
# Acts on a user or group that holds OWNER, and why only an OWNER may do them (rule 14).
_ON_AN_OWNER = {
    Action.ADD_MEMBERS: _MEMBERS_OF_OWNERS,
    Action.REMOVE_MEMBERS: _MEMBERS_OF_OWNERS,
    Action.DELETE_GROUP: "only an OWNER may delete a group that holds OWNER",
    Action.REVOKE_USER_TOKEN: "only an OWNER may revoke an OWNER's token",
    Action.CREATE_USER_TOKEN: "only an OWNER may create a token for an OWNER",
    Action.DELETE_USER: "only an OWNER may delete a user who holds OWNER",
    Action.RESTORE_USER: "only an OWNER may restore a user who holds OWNER",
    Action.CHANGE_USER_STATUS: "only an OWNER may change the status of a user who holds OWNER",
}
_ROLE_VERBS = {Action.GRANT_ROLES: "grant", Action.REVOKE_ROLES: "revoke"}


def _owner_only(action: Action, target: Target) -> str | None:
    """Why this act needs an OWNER, or None (rule 14: only an OWNER acts on an OWNER)."""
    if action in _ROLE_VERBS:
        return (
            f"only an OWNER may {_ROLE_VERBS[action]} the OWNER role"
            if OWNER in target.roles
            else None
        )
    if not target.holds_owner or (action is Action.REVOKE_USER_TOKEN and target.own):
        return None  # an OWNER's own token is its own to revoke
    return _ON_AN_OWNER.get(action)


_GROUP_VERBS = {
    Action.ADD_MEMBERS: "change the members of",
    Action.REMOVE_MEMBERS: "change the members of",
    Action.UPDATE_GROUP: "rename",
    Action.DELETE_GROUP: "delete",
}
_USER_IDP = {
    Action.DELETE_USER: "delete it in the identity provider",
    Action.RESTORE_USER: "the identity provider restores it",
}
_LIVE_ONLY = (Action.UPDATE_USER, Action.DELETE_USER, Action.CHANGE_USER_STATUS)


def _managed(action: Action, target: Target) -> Decision:
    """What the record's IdP owns or its state forbids, whoever the admin is (rules 3, 9, 14)."""
    if target.deleted and action in _LIVE_ONLY:
        return Decision(False, "the user is deleted", NotFound, Denial.DELETED, ("id",))
    if target.is_local:
        return _owner_to_group(action, target)
    if target.kind == "group" and action in _GROUP_VERBS:
        fields = ("id",) if action is Action.DELETE_GROUP else ("displayName", "members")
        what = _GROUP_VERBS[action]
        return _idp(
            f"group is managed by {target.provider}: {what} it in the identity provider", *fields
        )
    if target.kind == "user" and action in _USER_IDP:
        return _idp(f"user is managed by {target.provider}: {_USER_IDP[action]}", "id")
    return _owner_to_group(action, target)


def _owner_to_group(action: Action, target: Target) -> Decision:
    """SCIM never changes who is an OWNER, so OWNER never goes to a group the IdP fills."""
    if action is Action.GRANT_ROLES and OWNER in target.roles and target.idp_members:
        return Decision(
            False,
            "OWNER cannot be granted to a group whose membership the identity provider controls",
            Forbidden,
            Denial.MANAGED_BY_IDP,
        )
    return ALLOWED


def may(actor: Actor, action: Action, target: Target) -> Decision:
    """Whether ``actor`` may do ``action`` to ``target``, and if not, why."""
    if actor.kind is ActorKind.SCIM:
        return _scim(action, target)
    if not actor.can_write:
        return _refuse(READ_ONLY)
    managed = _managed(action, target)
    if not managed.allowed:
        return managed
    needs_owner = _owner_only(action, target)
    if needs_owner is not None and not actor.is_owner:
        return _refuse(needs_owner)
    return ALLOWED


def require(actor: Actor, action: Action, target: Target) -> None:
    """Raise the refusal of `may` (Forbidden, ProtectedAdmin, ManagedByIdp, NotFound)."""
    may(actor, action, target).raise_if_refused()


def cannot_update_reasons(actor: Actor, action: Action, target: Target) -> list[Denial]:
    """Every reason some or all of the record is closed to the actor, in a stable order: the
    role (``action`` refused for it), the IdP's ownership, deletion."""
    reasons = []
    if may(actor, action, target).denial is Denial.INSUFFICIENT_ROLE:
        reasons.append(Denial.INSUFFICIENT_ROLE)
    if not target.is_local:
        reasons.append(Denial.MANAGED_BY_IDP)
    if target.deleted:
        reasons.append(Denial.DELETED)
    return reasons


async def user_holds_owner(tx: Tx, user_id: str) -> bool:
    """The user holds OWNER directly or through a group (deleted users keep direct grants)."""
    hit = await tx.fetchval(
        "SELECT 1 FROM role_grants WHERE role_name = 'OWNER' AND user_id = :u UNION ALL"
        " SELECT 1 FROM role_grants g JOIN memberships m ON m.group_id = g.group_id"
        " WHERE g.role_name = 'OWNER' AND m.user_id = :u",
        {"u": user_id},
    )
    return hit is not None


async def group_holds_owner(tx: Tx, group_id: str) -> bool:
    """OWNER is granted to the group."""
    hit = await tx.fetchval(
        "SELECT 1 FROM role_grants WHERE role_name = 'OWNER' AND group_id = :g", {"g": group_id}
    )
    return hit is not None


def idp_controls_members(group: GroupRecord) -> bool:
    """The IdP controls the group's membership: it owns the group, or created it over SCIM."""
    return not group.is_local or group.created_by_kind == ActorKind.SCIM.value


def user_view(actor: Actor, user: UserRecord, effective_roles: Collection[str]) -> Target:
    """The decision's view of a user whose effective roles the caller already read."""
    return _user(actor, user, OWNER in effective_roles)


def _user(actor: Actor, user: UserRecord, holds_owner: bool) -> Target:
    return Target(
        kind="user",
        provider=user.auth_provider,
        is_local=user.is_local,
        deleted=user.deleted_at is not None,
        holds_owner=holds_owner,
        own=user.id == actor.id,
    )


async def user_target(tx: Tx, actor: Actor, user: UserRecord) -> Target:
    """The decision's view of a stored user."""
    return _user(actor, user, await user_holds_owner(tx, user.id))


async def group_target_by_id(tx: Tx, group_id: str, roles: frozenset[str]) -> Target | None:
    """`group_target` of the group with this id, or None when there is none."""
    row = await tx.fetchrow(
        "SELECT auth_provider, created_by_kind FROM groups WHERE id = :g", {"g": group_id}
    )
    if row is None:
        return None
    local = row["auth_provider"] == "LOCAL"
    return Target(
        kind="group",
        provider=row["auth_provider"],
        is_local=local,
        holds_owner=await group_holds_owner(tx, group_id),
        idp_members=not local or row["created_by_kind"] == ActorKind.SCIM.value,
        roles=roles,
    )


def group_view(group: GroupRecord, granted: Collection[str]) -> Target:
    """The decision's view of a group whose granted roles the caller already read."""
    return _group(group, OWNER in granted)


def _group(group: GroupRecord, holds_owner: bool) -> Target:
    return Target(
        kind="group",
        provider=group.auth_provider,
        is_local=group.is_local,
        holds_owner=holds_owner,
        idp_members=idp_controls_members(group),
    )


async def group_target(tx: Tx, group: GroupRecord) -> Target:
    """The decision's view of a stored group."""
    return _group(group, await group_holds_owner(tx, group.id))
