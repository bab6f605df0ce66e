"""Set-based loading for benchmarks and demos (`roster dev seed`, bench/): not a domain rule,
so it lives beside the CLI; every INSERT still sets the name keys (app.domain.names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.db import Tx
from app.domain.audit import AuditTarget, record_audit
from app.domain.clock import new_id, now_iso
from app.domain.names import name_key, search_fold
from app.domain.types import Actor, Change

BATCH = 1000
Progress = Callable[[str, int, int], None]

# One statement per batch (set-based): each row's placeholders get the row's number as a
# suffix; :now is shared. A batch of users is 6,001 parameters, within both engines' limits.
_USER = (
    "INSERT INTO users (id, login_id, login_id_norm, login_key, external_id, auth_provider,"
    " status, status_reason, profile, notes, version, created_at, updated_at,"
    " last_provisioned_at, deleted_at) VALUES "
)
_USER_ROW = (
    "(:id{k}, :login{k}, :norm{k}, :key{k}, :ext{k}, 'LOCAL', 'ACTIVE', NULL, :profile{k}, NULL,"
    " 1, :now, :now, NULL, NULL)"
)
_GROUP = (
    "INSERT INTO groups (id, display_name, display_name_norm, display_name_key, external_id,"
    " auth_provider, member_count, version, created_at, updated_at, last_provisioned_at) VALUES"
    " (:id, :name, :norm, :key, NULL, 'LOCAL', :count, 1, :now, :now, NULL)"
)
_MEMBER = "INSERT INTO memberships (group_id, user_id, created_at) VALUES "
_MEMBER_ROW = "(:g, :u{k}, :now)"


async def _insert(
    tx: Tx, head: str, row: str, rows: list[dict[str, Any]], shared: dict[str, Any]
) -> None:
    """Insert ``rows`` in one statement: ``head`` then ``row`` once per row, numbered."""
    sql = head + ", ".join(row.format(k=k) for k in range(len(rows)))
    params = dict(shared)
    for k, r in enumerate(rows):
        for name, value in r.items():
            params[f"{name}{k}"] = value
    await tx.execute(sql, params)


async def seed_users(
    tx: Tx, *, actor: Actor, count: int, prefix: str, progress: Progress | None = None
) -> list[str]:
    """Insert ``count`` LOCAL users named ``<prefix><k>@example.com`` in batches; their ids."""
    ids: list[str] = []
    now = now_iso()
    for start in range(0, count, BATCH):
        rows = []
        for k in range(start, min(count, start + BATCH)):
            login = f"{prefix}{k}@example.com"
            uid = new_id()
            ids.append(uid)
            profile = {
                "firstName": "User",
                "lastName": str(k),
                "email": login,
                "displayName": f"User {k}",
            }
            rows.append(
                {
                    "id": uid,
                    "login": login,
                    "norm": search_fold(login),
                    "key": name_key(login),
                    "ext": f"ext-{prefix}{k}",
                    "profile": tx.dialect.json_param(profile),
                }
            )
        await _insert(tx, _USER, _USER_ROW, rows, {"now": now})
        if progress:
            progress("users", len(ids), count)
    await record_audit(
        tx,
        actor=actor,
        action="directory.seed",
        target=AuditTarget("User", None),
        changes=[Change("users", None, count)],
    )
    return ids


async def seed_groups(
    tx: Tx,
    *,
    actor: Actor,
    user_ids: list[str],
    count: int,
    size: int,
    prefix: str,
    progress: Progress | None = None,
) -> list[str]:
    """Insert ``count`` groups of ``size`` members each (taken round-robin from user_ids)."""
    now = now_iso()
    group_ids = []
    size = min(size, len(user_ids))
    for g in range(count):
        gid = new_id()
        group_ids.append(gid)
        await tx.execute(
            _GROUP,
            {
                "id": gid,
                "name": f"{prefix}group-{g}",
                "norm": search_fold(f"{prefix}group-{g}"),
                "key": name_key(f"{prefix}group-{g}"),
                "count": size,
                "now": now,
            },
        )
        offset = (g * size) % max(1, len(user_ids))
        members = [user_ids[(offset + i) % len(user_ids)] for i in range(size)]
        for start in range(0, size, BATCH):
            chunk = members[start : start + BATCH]
            await _insert(
                tx, _MEMBER, _MEMBER_ROW, [{"u": u} for u in chunk], {"g": gid, "now": now}
            )
            if progress:
                progress(f"group {g + 1}/{count} members", min(size, start + BATCH), size)
    await record_audit(
        tx,
        actor=actor,
        action="directory.seed",
        target=AuditTarget("Group", None),
        changes=[Change("groups", None, count), Change("groupSize", None, size)],
    )
    return group_ids
