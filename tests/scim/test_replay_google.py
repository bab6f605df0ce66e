"""Google Workspace, replayed as docs/integrations/google-workspace.md describes it
(idp-wire-shapes.md §2.3): users only, a ``count=1`` probe, suspend and delete. Google does not
publish its request bodies, so they are plain RFC 7644 shapes."""

from __future__ import annotations

from typing import Any

from app.db import Database
from app.domain.types import AuthType
from app.settings import Settings
from tests.scim.replay import (
    USER,
    Client,
    assert_error,
    assert_list,
    check_guide,
    created,
    eq,
    patch_body,
    refuses_unknown,
    replaying,
    same_result_recased,
)

GUIDE = "google-workspace.md"
# Roster ignores User-Agent; this one only labels the replay.
GOOGLE = Client(
    token_name="google",
    auth_type=AuthType.GOOGLE,
    user_agent="Google Workspace auto-provisioning (replay)",
    content_type="application/json; charset=UTF-8",
)
ALAN = "alan@example.com"


def _user(given: str, title: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schemas": [USER],
        "userName": ALAN,
        "name": {"givenName": given, "familyName": "Turing"},
        "displayName": f"{given} Turing",
        "emails": [{"value": ALAN, "type": "work", "primary": True}],
        "active": True,
    }
    if title:
        body["title"] = title
    return body


async def test_google_guide_is_valid() -> None:
    check_guide(
        GUIDE,
        titles=(
            "Configure authentication",
            "Enable provisioning and create the SCIM token",
            "Users Google Workspace provisioned",
            "Provisioning counters and recent events",
            "Failed and warned writes",
        ),
    )


async def test_google_replay(
    settings: Settings, clean_db: Database, client: Client = GOOGLE
) -> None:
    async with replaying(settings, clean_db, client) as google:
        # Auto-provisioning set-up: the probe.
        assert_list(await google.get("/Users?count=1"), 1)

        # A user in scope: look up, create.
        assert_list(await google.get(f"/Users?filter={eq('userName', ALAN)}"), 0)
        alan = created(await google.post("/Users", _user("Alan")), "Users")
        uid = alan["id"]
        assert "externalId" not in alan
        assert alan["emails"] == [{"type": "work", "primary": True, "value": ALAN}]

        # An update of the whole user.
        replaced = await google.put(f"/Users/{uid}", {**_user("Alan M."), "title": "Fellow"})
        assert replaced.status_code == 200, replaced.text
        assert (replaced.json()["name"]["givenName"], replaced.json()["title"]) == (
            "Alan M.",
            "Fellow",
        )

        # Suspended in Google, then restored.
        for active in (False, True):
            flip = {"op": "replace", "path": "active", "value": active}
            response = await google.patch(f"/Users/{uid}", patch_body(flip))
            assert response.json()["active"] is active

        # Deleted in Google (deprovisioning set to delete).
        assert (await google.delete(f"/Users/{uid}")).status_code == 204
        assert_error(await google.delete(f"/Users/{uid}"), 404)
        assert_list(await google.get(f"/Users?filter={eq('userName', ALAN)}"), 0)
        # Back in scope: without an externalId there is nothing to restore by, so this is a
        # new user with the freed login id.
        again = created(await google.post("/Users", _user("Alan")), "Users")
        assert again["id"] != uid

        # Users only: no groups are ever created.
        assert_list(await google.get("/Groups"), 0)

        users = (await google.guide_query(GUIDE, "Users Google Workspace provisioned"))["users"]
        assert [
            (u["loginId"], u["authProvider"], u["status"], u["title"]) for u in users["nodes"]
        ] == [(ALAN, "GOOGLE", "ACTIVE", None)]
        deleted = await google.graphql(
            "{ users(filter: {includeDeleted: true, authProvider: [GOOGLE]}) {"
            " nodes { databaseId deletedAt } } }"
        )
        assert [
            (u["databaseId"], u["deletedAt"] is not None) for u in deleted["users"]["nodes"]
        ] == [
            (uid, True),
            (again["id"], False),
        ]
        assert [e.short for e in await google.events()] == [
            ("POST", "User", "SUCCESS", 201),
            ("PUT", "User", "SUCCESS", 200),
            ("PATCH", "User", "SUCCESS", 200),
            ("PATCH", "User", "SUCCESS", 200),
            ("DELETE", "User", "SUCCESS", 204),
            ("DELETE", "User", "ERROR", 404),
            ("POST", "User", "SUCCESS", 201),
        ]


async def test_google_replay_mixed_case(settings: Settings, clean_db: Database) -> None:
    await same_result_recased(settings, clean_db, test_google_replay, GOOGLE)


async def test_google_unknown_attribute(settings: Settings, clean_db: Database) -> None:
    async with replaying(settings, clean_db, GOOGLE) as google:
        await refuses_unknown(google, _user("Alan"))
