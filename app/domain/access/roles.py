"""Local roles: grants to users and groups, effective roles, and the OWNER protections."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TypedDict, Unpack

from app.db import Tx
from app.domain.access.decision import Action, Target, group_target_by_id, require
from app.domain.access.permissions import require_writer
from app.domain.audit import AuditTarget, record_audit
from app.domain.clock import new_id, now_iso
from app.domain.types import Actor, Change
from app.errors import InvalidValue, LastOwner, NotFound

_ROLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")

_ACTIVE_OWNERS = (
    "SELECT COUNT(DISTINCT u.id) FROM users u WHERE u.deleted_at IS NULL AND u.status = 'ACTIVE'"
    " AND (EXISTS (SELECT 1 FROM role_grants g WHERE g.role_name = 'OWNER' AND g.user_id = u.id)"
    " OR EXISTS (SELECT 1 FROM role_grants g JOIN memberships m ON m.group_id = g.group_id"
    " WHERE g.role_name = 'OWNER' AND m.user_id = u.id))"
)


# Whether any live, active user holds OWNER: driven from the few OWNER grants (indexed by
# role name), so it costs the same in a directory of 100 users or of 100,000.
_AN_ACTIVE_OWNER = (
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM role_grants g JOIN users u ON u.id = g.user_id"
    " WHERE g.role_name = 'OWNER' AND u.deleted_at IS NULL AND u.status = 'ACTIVE')"
    " OR EXISTS (SELECT 1 FROM role_grants g JOIN memberships m ON m.group_id = g.group_id"
    " JOIN users u ON u.id = m.user_id"
    " WHERE g.role_name = 'OWNER' AND u.deleted_at IS NULL AND u.status = 'ACTIVE')"
)

# "At least one active OWNER" must hold under any concurrency (rule 14). Every change that can
# shrink the set of active OWNERs (deactivate, delete, revoke OWNER, remove a member of a
# group holding OWNER, delete such a group; admin and SCIM alike) takes this lock AFTER its
# own change and then checks, so such changes run their check one at a time and each sees what
# the one before committed (READ COMMITTED: a fresh snapshot per statement). Taking it after
# the change keeps one order everywhere (row locks, then this lock) and the holder takes no row
# lock afterwards, so two such changes cannot deadlock (docs/scaling.md, "Rules that count").
# A member removal or group delete checks only when the group holds OWNER: it holds the group's
# row (FOR UPDATE), and a grant to that group must wait for it (the grant's foreign key takes
# KEY SHARE on the row), so the group's roles cannot change under its check.
OWNERS_LOCK = "owners"


async def count_active_owners(tx: Tx) -> int:
    """How many live, active users hold OWNER directly or through a group."""
    return int(await tx.fetchval(_ACTIVE_OWNERS))


async def ensure_an_owner_remains(
    tx: Tx, *, removed: str | None = None, left: Sequence[str] = ()
) -> None:
    """Raise LastOwner when the pending change left no active OWNER (call after the change;
    it takes OWNERS_LOCK, held to the end of the transaction).

    With ``removed`` (a user the change deactivated or deleted), only when that user held
    OWNER, read under the lock: directly, through a group it is in, or through one of
    ``left``, the groups the change took it out of (their rows are locked by that change).
    """
    await tx.lock(OWNERS_LOCK)
    if removed is not None and not await _held_owner(tx, removed, left):
        return
    if await tx.fetchval(_AN_ACTIVE_OWNER) is None:
        raise LastOwner("at least one active OWNER must remain")


async def _held_owner(tx: Tx, user_id: str, left: Sequence[str]) -> bool:
    if await grants_owner(tx, user_id=user_id):
        return True
    if not left:
        return False
    d = tx.dialect
    return (
        await tx.fetchval(
            f"SELECT 1 FROM role_grants WHERE role_name = 'OWNER' AND {d.in_list('group_id', 'g')}",
            {"g": d.list_param(left)},
        )
        is not None
    )


async def ensure_not_last_owner(tx: Tx, user_id: str) -> None:
    """Raise LastOwner when this user is an OWNER and no other active OWNER exists.

    A check before the change: prefer change-then-`ensure_an_owner_remains`, which keeps the
    lock order of every other caller (row locks first, then OWNERS_LOCK)."""
    await tx.lock(OWNERS_LOCK)
    if await grants_owner(tx, user_id=user_id) and await count_active_owners(tx) <= 1:
        raise LastOwner("at least one active OWNER must remain")


async def effective_roles(tx: Tx, user_id: str) -> frozenset[str]:
    """Roles granted to the user directly or through any of its groups."""
    rows = await tx.fetch(
        "SELECT role_name FROM role_grants WHERE user_id = :u UNION SELECT g.role_name FROM"
        " role_grants g JOIN memberships m ON m.group_id = g.group_id WHERE m.user_id = :u",
        {"u": user_id},
    )
    return frozenset(r[0] for r in rows)


async def direct_roles(
    tx: Tx, *, user_id: str | None = None, group_id: str | None = None
) -> list[str]:
    """Roles granted directly to one user or one group, sorted."""
    column, value = ("user_id", user_id) if user_id is not None else ("group_id", group_id)
    rows = await tx.fetch(
        f"SELECT role_name FROM role_grants WHERE {column} = :v ORDER BY role_name", {"v": value}
    )
    return [r[0] for r in rows]


async def _ensure_role(tx: Tx, name: str) -> None:
    if not _ROLE_NAME.match(name):
        raise InvalidValue(f"invalid role name {name!r}", fields=["roles"])
    await tx.execute(
        "INSERT INTO roles (name, description, is_admin_role, created_at)"
        " VALUES (:n, '', :a, :now) ON CONFLICT (name) DO NOTHING",
        {"n": name, "a": False, "now": now_iso()},
    )


async def _check_targets(tx: Tx, table: str, ids: Sequence[str]) -> None:
    for target in ids:
        clause = " AND deleted_at IS NULL" if table == "users" else ""
        if (
            await tx.fetchval(f"SELECT 1 FROM {table} WHERE id = :id{clause}", {"id": target})
            is None
        ):
            kind = "user" if table == "users" else "group"
            raise NotFound(f"no {kind} with id {target!r}", fields=[f"{kind}Ids"])


async def _require_for_roles(
    tx: Tx, actor: Actor, action: Action, roles: Sequence[str], group_ids: Sequence[str]
) -> None:
    """Ask the decision for the roles, then for each group OWNER would reach (rule 14)."""
    require_writer(actor)
    wanted = frozenset(roles)
    require(actor, action, Target("roles", roles=wanted))
    if action is Action.GRANT_ROLES and "OWNER" in wanted:
        for group_id in group_ids:
            target = await group_target_by_id(tx, group_id, wanted)
            if target is not None:
                require(actor, action, target)


class RoleTargets(TypedDict, total=False):
    """The users and the groups a role change concerns (absent: none)."""

    user_ids: Sequence[str]
    group_ids: Sequence[str]


def _targets(targets: RoleTargets) -> Iterator[tuple[str, str]]:
    """Each (role_grants column, id) a role change concerns: the users, then the groups."""
    for user_id in targets.get("user_ids", ()):
        yield "user_id", user_id
    for group_id in targets.get("group_ids", ()):
        yield "group_id", group_id


async def _audit_role(
    tx: Tx, actor: Actor, column: str, target: str, role: str, *, granted: bool
) -> None:
    """The audit entry of one role granted to, or revoked from, a user or group."""
    await record_audit(
        tx,
        actor=actor,
        action="role.grant" if granted else "role.revoke",
        target=AuditTarget("User" if column == "user_id" else "Group", target),
        changes=[Change("roles", None, role) if granted else Change("roles", role, None)],
    )


async def grant_roles(
    tx: Tx, *, actor: Actor, roles: Sequence[str], **targets: Unpack[RoleTargets]
) -> int:
    """Grant roles (product roles are created on first use); raises NotFound, Forbidden (OWNER
    needs an OWNER, and never goes to a group whose membership the IdP controls: rule 14)."""
    group_ids = targets.get("group_ids", ())
    await _require_for_roles(tx, actor, Action.GRANT_ROLES, roles, group_ids)
    await _check_targets(tx, "users", targets.get("user_ids", ()))
    await _check_targets(tx, "groups", group_ids)
    granted = 0
    now = now_iso()
    for role in roles:
        await _ensure_role(tx, role)
        for column, target in _targets(targets):
            exists = await tx.fetchval(
                f"SELECT 1 FROM role_grants WHERE role_name = :r AND {column} = :t",
                {"r": role, "t": target},
            )
            if exists:
                continue
            await tx.execute(
                f"INSERT INTO role_grants (id, role_name, {column}, granted_by, granted_at)"
                " VALUES (:id, :r, :t, :by, :now)",
                {"id": new_id(), "r": role, "t": target, "by": actor.label, "now": now},
            )
            granted += 1
            await _audit_role(tx, actor, column, target, role, granted=True)
    return granted


async def revoke_roles(
    tx: Tx, *, actor: Actor, roles: Sequence[str], **targets: Unpack[RoleTargets]
) -> int:
    """Revoke roles; raises Forbidden, LastOwner when no active OWNER would remain."""
    group_ids = targets.get("group_ids", ())
    await _require_for_roles(tx, actor, Action.REVOKE_ROLES, roles, group_ids)
    revoked = 0
    for role in roles:
        for column, target in _targets(targets):
            count = await tx.execute(
                f"DELETE FROM role_grants WHERE role_name = :r AND {column} = :t",
                {"r": role, "t": target},
            )
            if count:
                revoked += count
                await _audit_role(tx, actor, column, target, role, granted=False)
    if "OWNER" in roles and revoked:
        await ensure_an_owner_remains(tx)
    return revoked


async def grants_owner(tx: Tx, *, user_id: str) -> bool:
    """The user holds OWNER (directly or through a group)."""
    return "OWNER" in await effective_roles(tx, user_id)
