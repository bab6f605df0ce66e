"""Every statement that reads or writes one group's row or its memberships (the batch reads
for many groups at once are in `app.domain.groups.lookups`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.db import Row, Tx
from app.db.reads import taken_by_other
from app.domain.clock import now_iso
from app.domain.names import name_key, search_fold
from app.domain.types import ActorKind, AuthProvider, GroupRecord
from app.errors import AlreadyExists, NotFound, VersionConflict

GROUP_COLUMNS = (
    "id, display_name, external_id, auth_provider, member_count, version, created_at,"
    " updated_at, last_provisioned_at, created_by_kind"
)
_PROVIDERS = {p.value: p for p in AuthProvider}
_KINDS = {k.value: k for k in ActorKind}


def row_to_group(row: Row) -> GroupRecord:
    """Map a row selected with GROUP_COLUMNS."""
    by = row["created_by_kind"]
    return GroupRecord(
        id=row["id"],
        display_name=row["display_name"],
        external_id=row["external_id"],
        auth_provider=_PROVIDERS[row["auth_provider"]],
        member_count=int(row["member_count"]),
        version=int(row["version"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_provisioned_at=row["last_provisioned_at"],
        created_by_kind=None if by is None else _KINDS[by],
    )


async def load_group(tx: Tx, group_id: str, *, for_update: bool = False) -> GroupRecord:
    """The group with this id; raises NotFound. ``for_update`` locks it (see find_user)."""
    lock = tx.dialect.for_update if for_update else ""
    row = await tx.fetchrow(
        f"SELECT {GROUP_COLUMNS} FROM groups WHERE id = :id{lock}", {"id": group_id}
    )
    if row is None:
        raise NotFound(f"no group with id {group_id!r}", fields=["id"])
    return row_to_group(row)


async def ensure_group_name_free(tx: Tx, name: str, *, except_id: str | None = None) -> None:
    """Raise AlreadyExists when another group has this name (after NFC and case folding)."""
    sql = "SELECT id FROM groups WHERE display_name_key = :n"
    if await taken_by_other(tx, sql, {"n": name_key(name)}, except_id):
        raise AlreadyExists(f"a group named {name!r} already exists", fields=["displayName"])


async def ensure_group_external_free(
    tx: Tx, provider: AuthProvider, external_id: str | None, *, except_id: str | None = None
) -> None:
    """Raise AlreadyExists when another group of this provider has this externalId."""
    sql = "SELECT id FROM groups WHERE auth_provider = :p AND external_id = :e"
    params = {"p": provider, "e": external_id}
    if external_id is not None and await taken_by_other(tx, sql, params, except_id):
        raise AlreadyExists(
            f"externalId {external_id!r} is already used by another group", fields=["externalId"]
        )


async def insert_group(tx: Tx, group: GroupRecord) -> None:
    """Insert a new group row (no members yet)."""
    await tx.execute(
        "INSERT INTO groups (id, display_name, display_name_norm, display_name_key, external_id,"
        " auth_provider, member_count, version, created_at, updated_at, last_provisioned_at,"
        " created_by_kind) VALUES (:id, :n, :norm, :key, :ext, :prov, 0, 1, :now, :now,"
        " :prov_at, :by)",
        {
            "id": group.id,
            "n": group.display_name,
            "norm": search_fold(group.display_name),
            "key": name_key(group.display_name),
            "ext": group.external_id,
            "prov": group.auth_provider,
            "now": group.created_at,
            "prov_at": group.last_provisioned_at,
            "by": group.created_by_kind,
        },
    )


async def mark_group_provisioned(tx: Tx, group_id: str) -> str:
    """An IdP sync that changed nothing: lastProvisionedAt moves (returned), version and
    updatedAt do not."""
    at = now_iso()
    await tx.execute(
        "UPDATE groups SET last_provisioned_at = :at WHERE id = :id", {"at": at, "id": group_id}
    )
    return at


async def save_group(
    tx: Tx, group: GroupRecord, *, expected_version: int, member_delta: int = 0
) -> GroupRecord:
    """Write name and externalId, bumping version, and move memberCount by ``member_delta``
    (members changed with ``bump=False``): the group row's one write. Returns the group as
    written; raises VersionConflict on a lost race."""
    saved = replace(
        group,
        version=expected_version + 1,
        updated_at=now_iso(),
        member_count=group.member_count + member_delta,
    )
    count = await tx.execute(
        "UPDATE groups SET display_name_key = CASE WHEN display_name = :n THEN display_name_key"
        " ELSE :key END, display_name = :n, display_name_norm = :norm, external_id = :ext,"
        " auth_provider = :prov, version = :v, updated_at = :u, last_provisioned_at = :pa,"
        " member_count = member_count + :delta WHERE id = :id AND version = :expected",
        {
            "n": saved.display_name,
            "norm": search_fold(saved.display_name),
            "key": name_key(saved.display_name),
            "ext": saved.external_id,
            "prov": saved.auth_provider,
            "v": saved.version,
            "u": saved.updated_at,
            "pa": saved.last_provisioned_at,
            "delta": member_delta,
            "id": saved.id,
            "expected": expected_version,
        },
    )
    if count != 1:
        raise VersionConflict(f"group {group.id} was changed by someone else", ["version"])
    return saved


async def delete_group_rows(tx: Tx, group_id: str) -> None:
    """Delete a group with its role grants and memberships."""
    await tx.execute("DELETE FROM role_grants WHERE group_id = :g", {"g": group_id})
    await tx.execute("DELETE FROM memberships WHERE group_id = :g", {"g": group_id})
    await tx.execute("DELETE FROM groups WHERE id = :g", {"g": group_id})


async def bump_group(tx: Tx, group_id: str, delta: int) -> None:
    """Move memberCount by ``delta`` and make a new version (a membership change alone)."""
    await tx.execute(
        "UPDATE groups SET member_count = member_count + :d, version = version + 1,"
        " updated_at = :now WHERE id = :g",
        {"d": delta, "g": group_id, "now": now_iso()},
    )


async def add_live_memberships(
    tx: Tx, group_id: str, user_ids: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Make the live users among these ids members: (the live ids, those newly added).

    On PostgreSQL one statement reads and inserts (a data-modifying CTE); SQLite, which has no
    such CTE, reads the live ids first. Either way the insert joins ``users``, so an id that
    is not a live user is never inserted.
    """
    if not user_ids:
        return set(), set()
    d = tx.dialect
    params = {"g": group_id, "ids": d.list_param(user_ids), "now": now_iso()}
    live = f"SELECT id FROM users WHERE {d.in_list('id', 'ids')} AND deleted_at IS NULL"
    insert = (
        "INSERT INTO memberships (group_id, user_id, created_at) SELECT :g, id, :now FROM {source}"
        " ON CONFLICT DO NOTHING RETURNING user_id"
    )
    if d.name == "postgresql":
        # Each live id, then each added one: a join of the two would compare every pair
        # (PostgreSQL plans a nested loop over CTEs; 0.5 to 1 ms of a +100 members batch).
        rows = await tx.fetch(
            f"WITH live AS ({live}), added AS ({insert.format(source='live')})"
            " SELECT id, false FROM live UNION ALL SELECT user_id, true FROM added",
            params,
        )
        return {r[0] for r in rows if not r[1]}, {r[0] for r in rows if r[1]}
    known = {r[0] for r in await tx.fetch(live, params)}
    if not known:
        return known, set()
    # WHERE true: SQLite's upsert after INSERT … SELECT needs a WHERE to parse.
    rows = await tx.fetch(insert.format(source=f"({live}) AS live WHERE true"), params)
    return known, {r[0] for r in rows}


async def delete_memberships(
    tx: Tx, group_id: str, user_ids: Sequence[str], *, keep: bool = False
) -> list[str]:
    """Remove these users from the group (``keep``: every member but these); returns the
    removed user ids."""
    d = tx.dialect
    named = d.in_list("user_id", "ids")
    rows = await tx.fetch(
        f"DELETE FROM memberships WHERE group_id = :g AND {f'NOT ({named})' if keep else named}"
        " RETURNING user_id",
        {"g": group_id, "ids": d.list_param(user_ids)},
    )
    return [r[0] for r in rows]


async def delete_user_memberships(tx: Tx, user_id: str) -> list[str]:
    """Drop every membership of a user; returns the group ids."""
    rows = await tx.fetch(
        "DELETE FROM memberships WHERE user_id = :u RETURNING group_id", {"u": user_id}
    )
    return [r[0] for r in rows]


async def member_page(
    tx: Tx, *, group_id: str, after: str | None = None, limit: int = 100
) -> list[Row]:
    """Members of a group in id order after ``after`` (keyset): id and display (the user's
    displayName, else its loginId), read by the same join."""
    shown = tx.dialect.json_text("u.profile", "displayName")
    return await tx.fetch(
        f"SELECT u.id, coalesce(nullif({shown}, ''), u.login_id) AS display"
        " FROM memberships m JOIN users u ON u.id = m.user_id"
        # u.id > :after too: PostgreSQL then reads users by a key range in step with the
        # memberships (a 50,000-member read: 968 ms against 239 ms, docs/query-plans.md)
        " WHERE m.group_id = :g AND m.user_id > :after AND u.id > :after"
        " ORDER BY m.user_id LIMIT :n",
        {"g": group_id, "after": after or "", "n": limit},
    )


async def is_member(tx: Tx, *, group_id: str, user_id: str) -> bool:
    """The user is a member of the group."""
    hit = await tx.fetchval(
        "SELECT 1 FROM memberships WHERE group_id = :g AND user_id = :u",
        {"g": group_id, "u": user_id},
    )
    return hit is not None
