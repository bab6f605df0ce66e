"""The provisioning event of a failed SCIM write keeps the externalId that was sent and the
real resource type (issue 13), for single requests and each Bulk operation, on both engines."""

from __future__ import annotations

from typing import Any

from app.domain.groups.service import create_group
from tests.scim.conftest import GROUP, PATCH_OP, USER, Scim
from tests.support import owner

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
MISSING = "00000000-0000-7000-8000-00000000dead"


async def _events(scim: Scim) -> list[tuple[Any, ...]]:
    rows = await scim.rows(
        "SELECT method, resource_type, resource_id, external_id, outcome, status_code"
        " FROM provisioning_events WHERE outcome = 'ERROR' ORDER BY at, id"
    )
    return [
        (
            r["method"],
            r["resource_type"],
            r["resource_id"],
            r["external_id"],
            r["outcome"],
            r["status_code"],
        )
        for r in rows
    ]


def _patch(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(ops)}


async def test_failed_user_writes_keep_the_external_id_sent(scim: Scim) -> None:
    ada = (await scim.create_user("ada@x.com", externalId="e-ada"))["id"]
    await scim.create_user("bob@x.com")
    taken = {"schemas": [USER], "userName": "BOB@x.com", "externalId": "e-post"}
    assert (await scim.post("/Users", taken)).status_code == 409
    put = {"schemas": [USER], "userName": "bob@x.com", "externalId": "e-put"}
    assert (await scim.put(f"/Users/{ada}", put)).status_code == 400  # rule 7: LOCAL
    patch = [
        {"op": "replace", "path": "externalId", "value": "e-patch"},
        {"op": "replace", "path": "userName", "value": "zed@x.com"},
    ]
    assert (await scim.patch(f"/Users/{ada}", patch)).status_code == 400

    assert await _events(scim) == [
        ("POST", "User", None, "e-post", "ERROR", 409),
        ("PUT", "User", ada, "e-put", "ERROR", 400),
        ("PATCH", "User", ada, "e-patch", "ERROR", 400),
    ]


async def test_failed_group_writes_keep_the_external_id_sent(scim: Scim) -> None:
    async with scim.db.transaction() as tx:
        eng = (await create_group(tx, actor=owner(), display_name="Eng")).id
    taken = {"schemas": [GROUP], "displayName": "ENG", "externalId": "g-post"}
    assert (await scim.post("/Groups", taken)).status_code == 409
    put = {"schemas": [GROUP], "displayName": "Ops", "externalId": "g-put"}
    assert (await scim.put(f"/Groups/{eng}", put)).status_code == 400  # rule 7: an admin's
    patch = [{"op": "replace", "value": {"displayName": "Ops", "externalId": "g-patch"}}]
    assert (await scim.patch(f"/Groups/{eng}", patch)).status_code == 400

    assert await _events(scim) == [
        ("POST", "Group", None, "g-post", "ERROR", 409),
        ("PUT", "Group", eng, "g-put", "ERROR", 400),
        ("PATCH", "Group", eng, "g-patch", "ERROR", 400),
    ]


async def test_failed_bulk_operations_keep_their_resource_type_and_external_id(
    scim: Scim,
) -> None:
    ada = (await scim.create_user("ada@x.com"))["id"]
    async with scim.db.transaction() as tx:
        eng = (await create_group(tx, actor=owner(), display_name="Eng")).id
    ops = [
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g",
            "data": {"schemas": [GROUP], "displayName": "eng", "externalId": "g-post"},
        },
        {
            "method": "PUT",
            "path": f"/Groups/{eng}",
            "data": {"schemas": [GROUP], "displayName": "Ops", "externalId": "g-put"},
        },
        {
            "method": "PATCH",
            "path": f"/Groups/{eng}",
            "data": _patch({"op": "replace", "path": "displayName", "value": "Ops"}),
        },
        {"method": "DELETE", "path": f"/Groups/{MISSING}"},
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": "u",
            "data": {"schemas": [USER], "userName": "ADA@x.com", "externalId": "u-post"},
        },
        {
            "method": "PATCH",
            "path": f"/Users/{ada}",
            "data": _patch(
                {"op": "replace", "path": "externalId", "value": "u-patch"},
                {"op": "replace", "path": "userName", "value": "zed@x.com"},
            ),
        },
        {"method": "DELETE", "path": f"/Users/{MISSING}"},
    ]
    response = await scim.post("/Bulk", {"schemas": [BULK], "Operations": ops})
    assert response.status_code == 200, response.text
    statuses = [o["status"] for o in response.json()["Operations"]]
    assert statuses == ["409", "400", "400", "404", "409", "400", "404"]

    assert await _events(scim) == [
        ("POST", "Group", None, "g-post", "ERROR", 409),
        ("PUT", "Group", eng, "g-put", "ERROR", 400),
        ("PATCH", "Group", eng, None, "ERROR", 400),
        ("DELETE", "Group", MISSING, None, "ERROR", 404),
        ("POST", "User", None, "u-post", "ERROR", 409),
        ("PATCH", "User", ada, "u-patch", "ERROR", 400),
        ("DELETE", "User", MISSING, None, "ERROR", 404),
    ]
