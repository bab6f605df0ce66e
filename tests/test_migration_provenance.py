"""Revision 0006 on both engines: provenance filled from the audit log for existing rows, and
externalId unique among live users only (rules 14 and 16)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from app import migrations
from app.settings import Settings
from tests.test_migrations import empty_db  # noqa: F401 - the fixture, on both engines

AT = "2026-12-01T00:00:00.000000Z"
_USER = (
    "INSERT INTO users (id, login_id, login_id_norm, external_id, auth_provider, status, profile,"
    " version, created_at, updated_at, deleted_at) VALUES (:id, :l, :l, :e, 'LOCAL', 'ACTIVE',"
    " '{}', 1, :at, :at, :deleted)"
)
_GROUP = (
    "INSERT INTO groups (id, display_name, display_name_norm, auth_provider, member_count,"
    " version, created_at, updated_at) VALUES (:id, :id, :id, 'LOCAL', 0, 1, :at, :at)"
)
_AUDIT = (
    "INSERT INTO audit_entries (id, at, actor_type, actor_label, action, target_type, target_id,"
    " changes) VALUES (:id, :at, :kind, 'x', :action, 'User', :target, '[]')"
)


def _run(settings: Settings, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(settings.sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def test_provenance_is_backfilled_and_external_ids_are_unique_among_live_users(
    empty_db: Settings,  # noqa: F811 - the imported fixture
) -> None:
    migrations.upgrade(empty_db, "0005")
    for uid, ext, deleted in (("u-idp", "e1", AT), ("u-admin", "e2", AT), ("u-live", "e3", None)):
        _run(empty_db, _USER, id=uid, l=uid, e=ext, at=AT, deleted=deleted)
    for gid in ("g-scim", "g-admin"):
        _run(empty_db, _GROUP, id=gid, at=AT)
    for n, (kind, action, target) in enumerate(
        (
            ("ADMIN", "user.delete", "u-idp"),  # an older delete, undone and redone by SCIM
            ("SCIM", "user.delete", "u-idp"),
            ("ADMIN", "user.delete", "u-admin"),
            ("SCIM", "group.create", "g-scim"),
            ("ADMIN", "group.create", "g-admin"),
        )
    ):
        at = f"2026-12-0{n + 1}T00:00:00.000000Z"
        _run(empty_db, _AUDIT, id=f"a{n}", at=at, kind=kind, action=action, target=target)

    migrations.upgrade(empty_db, "0006")
    users = _run(empty_db, "SELECT id, deleted_by_kind FROM users ORDER BY id")
    assert [tuple(r) for r in users] == [
        ("u-admin", "ADMIN"),
        ("u-idp", "SCIM"),
        ("u-live", None),
    ]
    groups = _run(empty_db, "SELECT id, created_by_kind FROM groups ORDER BY id")
    assert [tuple(r) for r in groups] == [("g-admin", "ADMIN"), ("g-scim", "SCIM")]

    # A deleted user's externalId is free for a new live user; two live users still collide.
    _run(empty_db, _USER, id="u-new", l="u-new", e="e2", at=AT, deleted=None)
    with pytest.raises(sa.exc.IntegrityError):
        _run(empty_db, _USER, id="u-dup", l="u-dup", e="e3", at=AT, deleted=None)
