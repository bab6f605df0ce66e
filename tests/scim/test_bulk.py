"""POST /Bulk (RFC 7644 §3.7): bulkId references, savepoints, failOnErrors, limits."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.access.roles import grant_roles
from app.domain.groups.service import add_group_members, create_group
from tests.scim.conftest import BASE, ENT, GROUP, PATCH_OP, USER, Scim, error
from tests.support import counting, owner

REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


def user(bulk_id: str, login: str, **extra: Any) -> dict[str, Any]:
    data = {"schemas": [USER], "userName": login, **extra}
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": data}


def patch(path: str, *ops: dict[str, Any]) -> dict[str, Any]:
    return {"method": "PATCH", "path": path, "data": {"schemas": [PATCH_OP], "Operations": ops}}


async def bulk(scim: Scim, *ops: dict[str, Any], **extra: Any) -> Any:
    response = await scim.post("/Bulk", {"schemas": [REQUEST], "Operations": ops, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def last_part(location: str) -> str:
    return location.rsplit("/", 1)[-1]


def failed(
    method: str, status: int, detail: str, scim_type: str | None = None, **extra: str
) -> Any:
    """The result of a failed operation."""
    return {
        "method": method,
        **extra,
        "status": str(status),
        "response": error(status, detail, scim_type),
    }


def created(kind: str, bulk_id: str, rid: str, version: int = 1) -> dict[str, Any]:
    """The result of a successful POST operation."""
    location = f"{BASE}/{kind}/{rid}"
    return {
        "method": "POST",
        "bulkId": bulk_id,
        "location": location,
        "version": f'W/"{version}"',
        "status": "201",
    }


async def test_forward_bulk_ids_in_values_and_paths_resolve(scim: Scim) -> None:
    members = [{"value": "bulkId:ada"}, {"value": "bulkId:bob"}]
    group = {"schemas": [GROUP], "displayName": "Eng", "members": members}
    done = await bulk(
        scim,
        {"method": "POST", "path": "/Groups", "bulkId": "eng", "data": group},
        user("ada", "ada@x.com"),
        user("bob", "bob@x.com"),
        patch("/Users/bulkId:bob", {"op": "replace", "path": "active", "value": False}),
    )
    eng, ada, bob = (last_part(r["location"]) for r in done["Operations"][:3])
    assert done == {
        "schemas": [RESPONSE],
        "Operations": [
            created("Groups", "eng", eng, version=2),
            created("Users", "ada", ada),
            created("Users", "bob", bob),
            {
                "method": "PATCH",
                "location": f"{BASE}/Users/{bob}",
                "version": 'W/"2"',
                "status": "200",
            },
        ],
    }
    read = (await scim.client.get(f"/Groups/{eng}")).json()
    assert sorted(m["value"] for m in read["members"]) == sorted([ada, bob])
    assert (await scim.client.get(f"/Users/{bob}")).json()["active"] is False
    # Each operation records its own event, in the order they ran (the group waited).
    assert await scim.events() == [
        ("POST", "User", "SUCCESS", 201, None),
        ("POST", "User", "SUCCESS", 201, None),
        ("POST", "Group", "SUCCESS", 201, None),
        ("PATCH", "User", "SUCCESS", 200, None),
    ]


async def test_unknown_failed_and_circular_bulk_ids(scim: Scim) -> None:
    def managed_by(other: str) -> dict[str, Any]:
        return {ENT: {"manager": {"value": f"bulkId:{other}"}}}

    done = await bulk(
        scim,
        user("c1", "c1@x.com", **managed_by("c2")),
        user("c2", "c2@x.com", **managed_by("c1")),
        user("self", "self@x.com", **managed_by("self")),
        user("dup", "dup@x.com"),
        user("dup2", "DUP@x.com"),
        patch("/Users/bulkId:dup2", {"op": "replace", "path": "active", "value": False}),
        patch("/Users/bulkId:nobody", {"op": "replace", "path": "active", "value": False}),
    )
    results = [(r["status"], r["response"]["detail"]) for r in done["Operations"][:3]]
    assert results == [
        ("409", "circular bulkId references (waits on c2)"),
        ("409", "circular bulkId references (waits on c1)"),
        ("409", "circular bulkId references (waits on self)"),
    ]
    dup = last_part(done["Operations"][3]["location"])
    taken = "userName: a user with loginId 'DUP@x.com' already exists"
    unknown = "no operation of the request defines bulkId 'nobody'"
    assert done["Operations"][3:] == [
        created("Users", "dup", dup),
        failed("POST", 409, taken, "uniqueness", bulkId="dup2"),
        failed("PATCH", 409, "the operation defining bulkId 'dup2' failed"),
        failed("PATCH", 400, unknown, "invalidValue"),
    ]
    logins = await scim.rows("SELECT login_id FROM users ORDER BY login_id")
    assert logins == [{"login_id": "dup@x.com"}]
    events = await scim.events()
    assert [e[2] for e in events].count("ERROR") == 6 and len(events) == 7


async def test_a_failed_operation_rolls_back_only_its_own_writes(scim: Scim) -> None:
    # Removing a member of a group that grants OWNER is refused (rule 14) after the group row
    # and its memberships were written: the savepoint must undo exactly those writes. (The
    # group is an admin's: OWNER never goes to a group the IdP created.)
    ada = (await scim.create_user("ada@x.com"))["id"]
    async with scim.db.transaction() as tx:
        eng = (await create_group(tx, actor=owner(), display_name="Eng")).id
        await add_group_members(tx, actor=owner(), group_id=eng, user_ids=[ada])
        await grant_roles(tx, actor=owner(), roles=["OWNER"], group_ids=[eng])
    before = (await scim.client.get(f"/Groups/{eng}")).json()
    done = await bulk(
        scim,
        user("bob", "bob@x.com"),
        patch(f"/Groups/{eng}", {"op": "remove", "path": f'members[value eq "{ada}"]'}),
        patch(f"/Groups/{eng}", {"op": "replace", "path": "externalId", "value": "core-1"}),
    )
    assert [r["status"] for r in done["Operations"]] == ["201", "403", "204"]
    assert done["Operations"][1]["response"] == error(
        403,
        "the group holds OWNER: SCIM cannot add or remove its members (an OWNER changes them in"
        " the admin API)",
    )
    after = (await scim.client.get(f"/Groups/{eng}")).json()
    assert after["members"] == before["members"]
    assert after["externalId"] == "core-1"
    assert after["meta"]["version"] == 'W/"3"'  # 2 before; only the new externalId counted
    actions = await scim.rows("SELECT action FROM audit_entries ORDER BY at, id")
    assert [a["action"] for a in actions][-2:] == ["user.create", "group.update"]


async def test_fail_on_errors_stops_after_that_many_failures(scim: Scim) -> None:
    missing = {"method": "DELETE", "path": "/Users/00000000-0000-7000-8000-00000000dead"}
    ops = [missing, user("ok", "ok@x.com"), missing, user("later", "l@x.com")]
    done = await bulk(scim, *ops, failOnErrors=2)
    assert [(r["method"], r["status"]) for r in done["Operations"]] == [
        ("DELETE", "404"),
        ("POST", "201"),
        ("DELETE", "404"),
    ]
    logins = await scim.rows("SELECT login_id FROM users")
    assert logins == [{"login_id": "ok@x.com"}]


async def test_version_is_if_match_and_delete_by_bulk_id(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    stale = {"schemas": [USER], "userName": "ada@x.com", "title": "Dr"}
    done = await bulk(
        scim,
        {"method": "PUT", "path": f"/Users/{ada}", "version": 'W/"7"', "data": stale},
        user("tmp", "tmp@x.com"),
        {"method": "DELETE", "path": "/Users/bulkId:tmp"},
    )
    tmp = last_part(done["Operations"][1]["location"])
    assert done["Operations"][0] == {
        "method": "PUT",
        "location": f"{BASE}/Users/{ada}",
        "status": "412",
        "response": error(412, f"user {ada} is at version 1, not 7"),
    }
    assert done["Operations"][2] == {
        "method": "DELETE",
        "location": f"{BASE}/Users/{tmp}",
        "status": "204",
    }


async def test_a_create_costs_the_same_statements_alone_or_in_bulk(
    scim: Scim, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token check also reads what every write needs next (the authentication type and the
    catalogue version); a Bulk operation then costs what a POST costs, nothing per request.
    At commit the change's downstream event is written (rule 20): the numbered event with the
    user as it now is, read by the same statement (on PostgreSQL, the same statement also takes
    its number from the counter row, whose lock orders the writers, and sends the NOTIFY)."""

    async def post(login: str) -> None:
        assert (
            await scim.post("/Users", {"schemas": [USER], "userName": login})
        ).status_code == 201

    async def statements(size: int, seen: list[str]) -> list[str]:
        start = len(seen)
        ops = [user(f"u{k}", f"s{size}-{k}@example.com") for k in range(size)]
        body = await bulk(scim, *ops)
        assert [op["status"] for op in body["Operations"]] == ["201"] * size
        return [sql for sql in seen[start:] if not sql.startswith("UPDATE scim_tokens")]

    await post("warm@example.com")  # the per-process catalogue cache
    with counting(monkeypatch) as seen:
        await post("one@example.com")
        single = [" ".join(sql.split()[:3]) for sql in seen if "scim_tokens SET" not in sql]
        assert single == [
            "SELECT t.id, t.name,",  # the token check
            "SELECT id FROM",  # loginId is free
            "INSERT INTO users",
            "INSERT INTO audit_entries",
            "INSERT INTO provisioning_events",
            "INSERT INTO outbox_events" if scim.db.kind == "sqlite" else "WITH n AS",
        ]
        per_create = len(single) - 1
        assert len(await statements(12, seen)) == 1 + per_create * 12
