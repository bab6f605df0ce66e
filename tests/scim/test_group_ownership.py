"""Rule 7 for groups (docs/rules.md): SCIM may not rename a LOCAL group an admin created.

Over HTTP, on both engines: PATCH, PUT and Bulk answer 400 ``mutability`` and change nothing;
the IdP still renames the groups it created (rule 1) and a spelling of the same name is no
rename.
"""

from __future__ import annotations

from typing import Any

from app.domain.groups.service import create_group
from tests.scim.conftest import GROUP, PATCH_OP, Scim, error
from tests.support import owner

REFUSED = "displayName of a LOCAL group is owned by Roster and cannot be renamed over SCIM"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


async def _admin_group(scim: Scim, name: str = "Eng") -> str:
    async with scim.db.transaction() as tx:
        group = await create_group(tx, actor=owner(), display_name=name)
    return group.id


async def _name(scim: Scim, group_id: str) -> Any:
    got = await scim.client.get(f"/Groups/{group_id}")
    assert got.status_code == 200, got.text
    return (got.json()["displayName"], got.json()["meta"]["version"])


async def test_patch_cannot_rename_an_admin_created_local_group(scim: Scim) -> None:
    g = await _admin_group(scim)
    by_path = await scim.patch(
        f"/Groups/{g}", [{"op": "replace", "path": "displayName", "value": "Research"}]
    )
    by_value = await scim.patch(f"/Groups/{g}", [{"op": "replace", "value": {"displayName": "R"}}])

    assert (by_path.status_code, by_path.json()) == (400, error(400, REFUSED, "mutability"))
    assert (by_value.status_code, by_value.json()) == (400, error(400, REFUSED, "mutability"))
    assert await _name(scim, g) == ("Eng", 'W/"1"')


async def test_put_cannot_rename_an_admin_created_local_group(scim: Scim) -> None:
    g = await _admin_group(scim)
    ada = (await scim.create_user("ada@x.com"))["id"]
    renamed = await scim.put(
        f"/Groups/{g}", {"schemas": [GROUP], "displayName": "Research", "members": [{"value": ada}]}
    )

    assert (renamed.status_code, renamed.json()) == (400, error(400, REFUSED, "mutability"))
    assert "members" not in (await scim.client.get(f"/Groups/{g}")).json()
    same = await scim.put(
        f"/Groups/{g}", {"schemas": [GROUP], "displayName": "Eng", "members": [{"value": ada}]}
    )
    assert same.status_code == 200, same.text
    assert (same.json()["displayName"], [m["value"] for m in same.json()["members"]]) == (
        "Eng",
        [ada],
    )


async def test_another_spelling_of_the_name_is_no_rename_and_keeps_the_admins(
    scim: Scim,
) -> None:
    g = await _admin_group(scim)
    response = await scim.patch(
        f"/Groups/{g}", [{"op": "replace", "path": "displayName", "value": "ENG"}]
    )
    assert response.status_code == 204, response.text
    assert await _name(scim, g) == ("Eng", 'W/"1"')


async def test_bulk_cannot_rename_an_admin_created_local_group(scim: Scim) -> None:
    g = await _admin_group(scim)
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Research"}],
    }
    response = await scim.post(
        "/Bulk",
        {
            "schemas": [BULK],
            "Operations": [
                {"method": "PATCH", "path": f"/Groups/{g}", "data": patch},
                {
                    "method": "PUT",
                    "path": f"/Groups/{g}",
                    "data": {"schemas": [GROUP], "displayName": "Research"},
                },
            ],
        },
    )
    assert response.status_code == 200, response.text
    location = f"http://roster.test/scim/v2/Groups/{g}"
    refused = {"status": "400", "response": error(400, REFUSED, "mutability")}
    assert response.json()["Operations"] == [
        {"method": "PATCH", "location": location, **refused},
        {"method": "PUT", "location": location, **refused},
    ]
    assert await _name(scim, g) == ("Eng", 'W/"1"')


async def test_the_idp_renames_the_local_groups_it_created(scim: Scim) -> None:
    """Rule 1: while authentication is INTERNAL, what SCIM creates is LOCAL; the IdP that
    created a group (and controls its members, rule 14) may still rename it."""
    g = await scim.create_group("Eng")
    response = await scim.patch(
        f"/Groups/{g}", [{"op": "replace", "path": "displayName", "value": "Research"}]
    )
    assert response.status_code == 204, response.text
    assert await _name(scim, g) == ("Research", 'W/"2"')
