"""The SQL of the settings package: the Profile Editor catalogue (``profile_attributes`` and
``service_state.catalogue_version``), the authentication settings (``auth_settings``), and the
reads and writes of converting IdP-owned records to LOCAL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.db import Row, Tx
from app.domain.clock import now_iso
from app.domain.users.store import USER_COLUMNS

# The Profile Editor catalogue

_ATTRIBUTE_COLUMNS = (
    "name, display_name, datatype, description, builtin, source_priority, status, scim_path,"
    " position, version, created_at, updated_at"
)


async def catalogue_version(tx: Tx) -> int:
    """The committed ``catalogue_version``."""
    return int(await tx.fetchval("SELECT catalogue_version FROM service_state WHERE id = 1"))


async def attribute_rows(tx: Tx) -> list[Row]:
    """Every catalogue row, in catalogue order."""
    return await tx.fetch(
        f"SELECT {_ATTRIBUTE_COLUMNS} FROM profile_attributes ORDER BY position, name"
    )


async def bump_catalogue_version(tx: Tx) -> None:
    """Make every worker's cached catalogue stale."""
    await tx.execute(
        "UPDATE service_state SET catalogue_version = catalogue_version + 1, updated_at = :now"
        " WHERE id = 1",
        {"now": now_iso()},
    )


async def name_with_display_name(tx: Tx, display_name: str, except_name: str) -> str | None:
    """The attribute other than ``except_name`` whose display name is ``display_name`` (any
    letter case), if one is."""
    taken: str | None = await tx.fetchval(
        "SELECT name FROM profile_attributes WHERE lower(display_name) = lower(:d) AND name <> :n",
        {"d": display_name, "n": except_name},
    )
    return taken


async def update_attribute(tx: Tx, name: str, values: Mapping[str, Any]) -> None:
    """Store an attribute's editable settings, its version and ``updated_at``."""
    await tx.execute(
        "UPDATE profile_attributes SET display_name = :display_name,"
        " description = :description, source_priority = :source_priority, status = :status,"
        " version = :version, updated_at = :updated_at WHERE name = :name",
        {**values, "name": name},
    )


async def insert_attribute(tx: Tx, values: Mapping[str, Any]) -> None:
    """Add a catalogue row (``values`` names every column)."""
    await tx.execute(
        f"INSERT INTO profile_attributes ({_ATTRIBUTE_COLUMNS}) VALUES (:name, :display_name,"
        " :datatype, :description, :builtin, :source_priority, :status, :scim_path, :position,"
        " :version, :created_at, :updated_at)",
        values,
    )


async def delete_attribute(tx: Tx, name: str) -> None:
    """Remove a catalogue row and every user's value of it."""
    await tx.execute("DELETE FROM profile_attributes WHERE name = :n", {"n": name})
    d = tx.dialect
    await tx.execute(
        f"UPDATE users SET profile = {d.json_remove('profile', name)}"
        f" WHERE {d.json_text('profile', name)} IS NOT NULL"
    )


# Authentication settings


async def auth_type(tx: Tx) -> str:
    """The stored authentication type."""
    raw: str = await tx.fetchval("SELECT type FROM auth_settings WHERE id = 1")
    return raw


async def auth_settings_row(tx: Tx) -> Row:
    """The settings row (its secrets included: the caller keeps only their names)."""
    row = await tx.fetchrow(
        "SELECT type, display_name, config, secrets, version, updated_at FROM auth_settings"
        " WHERE id = 1"
    )
    assert row is not None, "auth_settings is seeded by the first migration"
    return row


async def stored_secrets(tx: Tx) -> Any:
    """The stored secrets document, as the driver returns it."""
    return await tx.fetchval("SELECT secrets FROM auth_settings WHERE id = 1")


async def update_auth_settings(
    tx: Tx,
    type: str,
    display_name: str | None,
    config: Mapping[str, Any],
    secrets: Mapping[str, Any],
) -> None:
    """Store new settings and bump their version."""
    await tx.execute(
        "UPDATE auth_settings SET type = :t, display_name = :d, config = :c, secrets = :s,"
        " version = version + 1, updated_at = :now WHERE id = 1",
        {
            "t": type,
            "d": display_name,
            "c": tx.dialect.json_param(dict(config)),
            "s": tx.dialect.json_param(dict(secrets)),
            "now": now_iso(),
        },
    )


async def owned_counts(tx: Tx, provider: str) -> tuple[int, int]:
    """Live users and groups owned by ``provider``."""
    users = await tx.fetchval(
        "SELECT COUNT(*) FROM users WHERE auth_provider = :p AND deleted_at IS NULL",
        {"p": provider},
    )
    groups = await tx.fetchval(
        "SELECT COUNT(*) FROM groups WHERE auth_provider = :p", {"p": provider}
    )
    return int(users), int(groups)


# Converting IdP-owned records to LOCAL


async def idp_user_rows(tx: Tx, user_ids: Sequence[str] | None) -> list[Row]:
    """Live users an IdP owns (all, or those of ``user_ids``), in id order."""
    where = "auth_provider <> 'LOCAL' AND deleted_at IS NULL"
    if user_ids is None:
        return await tx.fetch(f"SELECT {USER_COLUMNS} FROM users WHERE {where} ORDER BY id")
    d = tx.dialect
    return await tx.fetch(
        f"SELECT {USER_COLUMNS} FROM users WHERE {d.in_list('id', 'ids')} AND {where} ORDER BY id",
        {"ids": d.list_param(list(user_ids))},
    )


async def idp_group_rows(tx: Tx) -> list[Row]:
    """Groups an IdP owns, in id order."""
    return await tx.fetch(
        "SELECT id, display_name, external_id, auth_provider FROM groups"
        " WHERE auth_provider <> 'LOCAL' ORDER BY id"
    )


async def local_holder_rows(tx: Tx, table: str, external_ids: list[str]) -> list[Row]:
    """LOCAL records of ``table`` ("users" or "groups") holding these externalIds (one
    statement): external_id, id, label, deleted_at."""
    d = tx.dialect
    label, deleted = ("login_id", "deleted_at") if table == "users" else ("display_name", "NULL")
    return await tx.fetch(
        f"SELECT external_id, id, {label} AS label, {deleted} AS deleted_at FROM {table}"
        f" WHERE auth_provider = 'LOCAL' AND {d.in_list('external_id', 'ext')}",
        {"ext": d.list_param(external_ids)},
    )


async def make_group_local(tx: Tx, group_id: str) -> None:
    """Give a group to LOCAL, as a new version."""
    await tx.execute(
        "UPDATE groups SET auth_provider = 'LOCAL', version = version + 1,"
        " updated_at = :now WHERE id = :id",
        {"id": group_id, "now": now_iso()},
    )
