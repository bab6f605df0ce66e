"""Reading and writing user rows (app.domain.users): every statement of the users package but
the admin API's batch reads (`batch_reads`); shared by the admin and provisioning services."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from app.db import Dialect, Row, Tx
from app.db.reads import taken_by_other
from app.domain.clock import now_iso
from app.domain.names import name_key, search_fold
from app.domain.types import AuthProvider, UserLock, UserRecord, UserStatus
from app.errors import AlreadyExists, NotFound, VersionConflict

USER_COLUMNS = (
    "id, login_id, external_id, auth_provider, status, status_reason, profile, notes, version,"
    " created_at, updated_at, last_provisioned_at, deleted_at, scim_extras,"
    " lock_reason, locked_by_id, locked_at, idp_active"
)


def _profile(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str | bytes):
        doc: dict[str, Any] = orjson.loads(raw)
        return doc
    return dict(raw or {})


# The enums by stored value: a dictionary lookup, cheaper than calling the enum per row.
_PROVIDERS: dict[str, AuthProvider] = {p.value: p for p in AuthProvider}
_STATUSES: dict[str, UserStatus] = {s.value: s for s in UserStatus}


def row_to_user(row: Row) -> UserRecord:
    """Map a row whose first columns are USER_COLUMNS, in that order (by position: by name,
    sqlite3.Row searches the column names each time, a third of a page of 100 users)."""
    return UserRecord(
        id=row[0],
        login_id=row[1],
        external_id=row[2],
        auth_provider=_PROVIDERS[row[3]],
        status=_STATUSES[row[4]],
        status_reason=row[5],
        profile=_profile(row[6]),
        notes=row[7],
        version=int(row[8]),
        created_at=row[9],
        updated_at=row[10],
        last_provisioned_at=row[11],
        deleted_at=row[12],
        scim_extras=_profile(row[13]),
        lock=None if row[14] is None else UserLock(row[14], row[15], row[16], bool(row[17])),
    )


_GROUP_PAIRS: dict[str, str] = {}


def user_group_pairs(d: Dialect) -> str:
    """A column for a SELECT from ``users``: the JSON array of [id, displayName] of the row's
    groups (in no order: `group_pairs` sorts them by id)."""
    sql = _GROUP_PAIRS.get(d.name)
    if sql is None:
        pairs = d.json_pairs(
            "g.id",
            "g.display_name",
            "FROM memberships m JOIN groups g ON g.id = m.group_id WHERE m.user_id = users.id",
        )
        sql = _GROUP_PAIRS[d.name] = f"{pairs} AS group_pairs"
    return sql


def group_pairs(row: Row) -> list[tuple[str, str]]:
    """The (id, displayName) pairs of a row selected with `user_group_pairs`, in id order."""
    pairs = row["group_pairs"]
    if isinstance(pairs, str | bytes):  # both drivers hand JSON over as text
        pairs = orjson.loads(pairs)
    return sorted((gid, name) for gid, name in pairs)


async def find_user(
    tx: Tx, user_id: str, *, include_deleted: bool = False, for_update: bool = False
) -> UserRecord | None:
    """The user with this id, or None (deleted users only when asked).

    ``for_update`` locks the row until the transaction ends, so concurrent writers of the same
    user queue instead of overwriting each other (read-modify-write without lost updates).
    """
    lock = tx.dialect.for_update if for_update else ""
    row = await tx.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE id = :id{lock}", {"id": user_id}
    )
    if row is None or (row["deleted_at"] is not None and not include_deleted):
        return None
    return row_to_user(row)


async def load_user(
    tx: Tx, user_id: str, *, include_deleted: bool = False, for_update: bool = False
) -> UserRecord:
    """The user with this id; raises NotFound."""
    user = await find_user(tx, user_id, include_deleted=include_deleted, for_update=for_update)
    if user is None:
        raise NotFound(f"no user with id {user_id!r}", fields=["id"])
    return user


async def find_user_by_login(tx: Tx, login_id: str) -> UserRecord | None:
    """The live user whose loginId equals this one after NFC and case folding, or None."""
    row = await tx.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users WHERE login_key = :n AND deleted_at IS NULL",
        {"n": name_key(login_id)},
    )
    return None if row is None else row_to_user(row)


async def ensure_login_free(tx: Tx, login_id: str, *, except_id: str | None = None) -> None:
    """Raise AlreadyExists when a live user other than ``except_id`` has this loginId."""
    sql = "SELECT id FROM users WHERE login_key = :n AND deleted_at IS NULL"
    if await taken_by_other(tx, sql, {"n": name_key(login_id)}, except_id):
        raise AlreadyExists(f"a user with loginId {login_id!r} already exists", fields=["loginId"])


async def ensure_external_id_free(
    tx: Tx, provider: str, external_id: str | None, *, except_id: str | None = None
) -> None:
    """Raise AlreadyExists when another live user of this provider has this externalId (a
    deleted user's externalId is free: rule 16's new user after an admin delete)."""
    sql = (
        "SELECT id FROM users WHERE auth_provider = :p AND external_id = :e AND deleted_at IS NULL"
    )
    params = {"p": provider, "e": external_id}
    if external_id is not None and await taken_by_other(tx, sql, params, except_id):
        raise AlreadyExists(
            f"externalId {external_id!r} is already used by another {provider} user",
            fields=["externalId"],
        )


def _row_params(tx: Tx, user: UserRecord) -> dict[str, Any]:
    """The parameters an INSERT and an UPDATE of the user's row both bind."""
    return {
        "id": user.id,
        "login": user.login_id,
        "norm": search_fold(user.login_id),
        "key": name_key(user.login_id),
        "ext": user.external_id,
        "prov": user.auth_provider.value,
        "status": user.status.value,
        "reason": user.status_reason,
        "profile": tx.dialect.json_param(user.profile),
        "notes": user.notes,
        "version": user.version,
        "updated": user.updated_at,
        "prov_at": user.last_provisioned_at,
        "extras": tx.dialect.json_param(user.scim_extras),
    }


async def insert_user(tx: Tx, user: UserRecord) -> None:
    """Insert a new row."""
    await tx.execute(
        "INSERT INTO users (id, login_id, login_id_norm, login_key, external_id, auth_provider,"
        " status, status_reason, profile, notes, version, created_at, updated_at,"
        " last_provisioned_at, deleted_at, scim_extras) VALUES (:id, :login, :norm, :key, :ext,"
        " :prov, :status, :reason, :profile, :notes, :version, :created, :updated, :prov_at,"
        " NULL, :extras)",
        {**_row_params(tx, user), "created": user.created_at},
    )


async def mark_user_provisioned(tx: Tx, user: UserRecord) -> UserRecord:
    """An IdP sync that changed nothing: lastProvisionedAt moves; version (the ETag) and
    updatedAt do not, so a resync does not make every user look recently modified."""
    at = now_iso()
    await tx.execute(
        "UPDATE users SET last_provisioned_at = :at WHERE id = :id", {"at": at, "id": user.id}
    )
    return replace(user, last_provisioned_at=at)


async def save_user(tx: Tx, user: UserRecord, *, expected_version: int) -> UserRecord:
    """Write every mutable column; returns the saved record (version bumped, updatedAt now;
    ``user`` is left as it was). Raises VersionConflict on a lost race.

    The name key is recomputed only when the loginId changes: a key the name-key migration
    set aside for a colliding row (0006e) stays until that user is renamed.
    """
    saved = replace(user, version=expected_version + 1, updated_at=now_iso())
    count = await tx.execute(
        "UPDATE users SET login_key = CASE WHEN login_id = :login THEN login_key ELSE :key END,"
        " login_id = :login, login_id_norm = :norm, external_id = :ext,"
        " auth_provider = :prov, status = :status, status_reason = :reason, profile = :profile,"
        " notes = :notes, version = :version, updated_at = :updated,"
        " last_provisioned_at = :prov_at, deleted_at = :deleted, scim_extras = :extras,"
        " lock_reason = :lock, locked_by_id = :lock_by, locked_at = :lock_at,"
        " idp_active = :idp_active WHERE id = :id AND version = :expected",
        {
            **_row_params(tx, saved),
            "deleted": saved.deleted_at,
            **_lock_params(saved.lock),
            "expected": expected_version,
        },
    )
    if count != 1:
        raise VersionConflict(
            f"user {user.id} was changed by someone else (expected version {expected_version})",
            fields=["version"],
        )
    return saved


async def mark_deleted_by(tx: Tx, user_id: str, kind: str) -> None:
    """Keep who deleted the user (ADMIN, SCIM or SYSTEM): rule 16 restores over SCIM only what
    the IdP itself deleted."""
    await tx.execute(
        "UPDATE users SET deleted_by_kind = :k WHERE id = :id", {"k": kind, "id": user_id}
    )


async def find_deleted_twin(tx: Tx, provider: str, external_id: str | None) -> UserRecord | None:
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


async def user_with_groups(tx: Tx, user_id: str) -> tuple[UserRecord, list[tuple[str, str]]]:
    """A live user and the (id, displayName) of each of its groups in group id order, in one
    statement (a SCIM read of one user is a statement fewer than `load_user` followed by
    `groups_of_users`, on either engine). Raises NotFound."""
    sql = f"SELECT {USER_COLUMNS}, {user_group_pairs(tx.dialect)} FROM users WHERE id = :id"
    row = await tx.fetchrow(sql, {"id": user_id})
    if row is None or row["deleted_at"] is not None:
        raise NotFound(f"no user with id {user_id!r}", fields=["id"])
    return row_to_user(row), group_pairs(row)


def _lock_params(lock: UserLock | None) -> dict[str, Any]:
    if lock is None:
        return {"lock": None, "lock_by": None, "lock_at": None, "idp_active": None}
    return {
        "lock": lock.reason,
        "lock_by": lock.locked_by_id,
        "lock_at": lock.locked_at,
        "idp_active": lock.idp_active,
    }
