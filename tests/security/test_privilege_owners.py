"""Attacks on rule 14's last promise: only an OWNER acts on a user who holds OWNER.

An ADMIN may not deactivate (lock), delete, restore, or touch the tokens of an OWNER, whether
the OWNER holds the role directly or through a group; the capability fields say so up front.
"""

from __future__ import annotations

from typing import Any

from app.db import Database
from tests.e2e.conftest import Live
from tests.security.privilege_kit import (
    CREATE_TOKEN,
    DELETE_USER,
    RESTORE_USER,
    REVOKE_TOKEN,
    STATUS,
    Attack,
    attack,
    gid,
    refused,
)

CAPABILITIES = "viewerCanUpdate viewerCanDelete viewerCanChangeStatus viewerCannotUpdateReasons"


def _token_id(a: Attack, login: str) -> str:
    user = a.user_id(login)
    tokens = a.gql(a.owner, "{ apiTokens { id userId } }")["data"]["apiTokens"]
    found: str = next(t["id"] for t in tokens if t["userId"] == gid("User", user))
    return found


def _refusals(a: Attack, token: str, login: str) -> list[dict[str, Any]]:
    """Every OWNER-only act on ``login``, as ``token``: the whole payloads."""
    target = gid("User", a.user_id(login))
    token_id = _token_id(a, login)
    return [
        a.gql(token, STATUS, i={"id": target, "active": False, "reason": "lock"}),
        a.gql(token, DELETE_USER, i={"id": target}),
        a.gql(token, REVOKE_TOKEN, i={"id": token_id}),
        a.gql(token, CREATE_TOKEN, i={"userId": target, "name": "mine", "ttlDays": 1}),
    ]


def _expected() -> list[dict[str, Any]]:
    return [
        {
            "data": {
                "setUserStatus": {
                    "user": None,
                    "userErrors": refused(
                        "FORBIDDEN", "only an OWNER may change the status of a user who holds OWNER"
                    ),
                }
            }
        },
        {
            "data": {
                "deleteUser": {
                    "user": None,
                    "userErrors": refused(
                        "FORBIDDEN", "only an OWNER may delete a user who holds OWNER"
                    ),
                }
            }
        },
        {
            "data": {
                "revokeApiToken": {
                    "apiToken": None,
                    "userErrors": refused("FORBIDDEN", "only an OWNER may revoke an OWNER's token"),
                }
            }
        },
        {
            "data": {
                "createApiToken": {
                    "secret": None,
                    "userErrors": refused(
                        "FORBIDDEN", "only an OWNER may create a token for an OWNER"
                    ),
                }
            }
        },
    ]


async def test_an_admin_cannot_lock_delete_or_disarm_a_direct_owner(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        await a.token("owner2@example.com", "owner")
        before = await a.state()
        assert _refusals(a, admin, "owner2@example.com") == _expected()
        assert await a.state() == before


async def test_an_admin_cannot_lock_delete_or_disarm_an_owner_through_a_group(
    live: Live, clean_db: Database
) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        await a.token("carol@example.com", "viewer")
        a.owner_group("Owners", "carol@example.com")
        before = await a.state()
        assert _refusals(a, admin, "carol@example.com") == _expected()
        assert await a.state() == before


async def test_an_admin_cannot_restore_a_deleted_owner(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        await a.token("owner2@example.com", "owner")
        target = gid("User", a.user_id("owner2@example.com"))
        deleted = a.gql(a.owner, DELETE_USER, i={"id": target})
        assert deleted == {"data": {"deleteUser": {"user": {"status": "ACTIVE"}, "userErrors": []}}}
        before = await a.state()
        body = a.gql(admin, RESTORE_USER, i={"id": target})
        assert body == {
            "data": {
                "restoreUser": {
                    "user": None,
                    "userErrors": refused(
                        "FORBIDDEN", "only an OWNER may restore a user who holds OWNER"
                    ),
                }
            }
        }
        assert await a.state() == before
        body = a.gql(a.owner, RESTORE_USER, i={"id": target})
        assert body["data"]["restoreUser"]["userErrors"] == []


async def test_the_viewer_cannot_do_any_of_it(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        viewer = await a.token("vic@example.com", "viewer")
        await a.token("bob@example.com", "admin")
        before = await a.state()
        for body in _refusals(a, viewer, "bob@example.com"):
            (payload,) = body["data"].values()
            assert payload["userErrors"] == refused(
                "FORBIDDEN", "this token is read-only (VIEWER): mutations are not allowed"
            )
        assert await a.state() == before


async def test_capability_fields_ask_the_same_decision(live: Live, clean_db: Database) -> None:
    with attack(live, clean_db) as a:
        admin = await a.token("mallory@example.com", "admin")
        await a.token("owner2@example.com", "owner")
        await a.token("bob@example.com", "viewer")
        group = a.owner_group("Owners", "owner2@example.com")
        users = (
            f"{{ users(orderBy: {{field: LOGIN_ID}}) {{ nodes {{ loginId {CAPABILITIES} }} }} }}"
        )
        rows = {u["loginId"]: u for u in a.gql(admin, users)["data"]["users"]["nodes"]}
        can_all = {
            "viewerCanUpdate": True,
            "viewerCanDelete": True,
            "viewerCanChangeStatus": True,
            "viewerCannotUpdateReasons": [],
        }
        owner_seen_by_admin = {
            **can_all,
            "viewerCanDelete": False,
            "viewerCanChangeStatus": False,
        }
        assert {k: {f: v for f, v in r.items() if f != "loginId"} for k, r in rows.items()} == {
            "bob@example.com": can_all,
            "mallory@example.com": can_all,
            "owner2@example.com": owner_seen_by_admin,
            "owner@example.com": owner_seen_by_admin,
        }
        one = f'{{ user(loginId: "owner2@example.com") {{ {CAPABILITIES} }} }}'
        assert a.gql(admin, one) == {"data": {"user": owner_seen_by_admin}}
        assert a.gql(a.owner, one) == {"data": {"user": can_all}}
        q = (
            "query($g: ID!) { group(id: $g) { viewerCanUpdate viewerCanDelete viewerCanGrantRoles"
            " viewerCannotUpdateReasons } }"
        )
        assert a.gql(admin, q, g=gid("Group", group)) == {
            "data": {
                "group": {
                    "viewerCanUpdate": False,
                    "viewerCanDelete": False,
                    "viewerCanGrantRoles": True,
                    "viewerCannotUpdateReasons": ["INSUFFICIENT_ROLE"],
                }
            }
        }
        assert a.gql(a.owner, q, g=gid("Group", group)) == {
            "data": {
                "group": {
                    "viewerCanUpdate": True,
                    "viewerCanDelete": True,
                    "viewerCanGrantRoles": True,
                    "viewerCannotUpdateReasons": [],
                }
            }
        }
