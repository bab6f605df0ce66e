"""Batch reads of users for the admin API's loaders (app.domain.users): one statement for many
users, so a page of users with their roles costs the same number of statements at any page
size. The single-user statements are in `store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.db import Tx
from app.domain.types import UserRecord
from app.domain.users.store import USER_COLUMNS, row_to_user


@dataclass(slots=True)
class UserRoles:
    """Roles of one user: granted directly, and effective (directly or through a group)."""

    direct: list[str] = field(default_factory=list)
    effective: list[str] = field(default_factory=list)


async def users_by_ids(
    tx: Tx, ids: Sequence[str], *, include_deleted: bool = False
) -> dict[str, UserRecord]:
    """The users with these ids, by id (missing ids are absent)."""
    if not ids:
        return {}
    d = tx.dialect
    live = "" if include_deleted else " AND deleted_at IS NULL"
    rows = await tx.fetch(
        f"SELECT {USER_COLUMNS} FROM users WHERE {d.in_list('id', 'ids')}{live}",
        {"ids": d.list_param(list(ids))},
    )
    return {r["id"]: row_to_user(r) for r in rows}


async def roles_of_users(tx: Tx, user_ids: Sequence[str]) -> dict[str, UserRoles]:
    """Direct and effective roles of each user (one statement)."""
    out = {u: UserRoles() for u in user_ids}
    if not user_ids:
        return out
    d = tx.dialect
    rows = await tx.fetch(
        "SELECT user_id, role_name, 1 AS direct FROM role_grants WHERE"
        f" {d.in_list('user_id', 'ids')} UNION ALL SELECT m.user_id, g.role_name, 0"
        " FROM role_grants g JOIN memberships m ON m.group_id = g.group_id"
        f" WHERE {d.in_list('m.user_id', 'ids')} ORDER BY 1, 2",
        {"ids": d.list_param(list(user_ids))},
    )
    for r in rows:
        roles = out[r[0]]
        if r[2] and r[1] not in roles.direct:
            roles.direct.append(r[1])
        if r[1] not in roles.effective:
            roles.effective.append(r[1])
    return out
