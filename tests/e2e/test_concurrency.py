"""Races between real concurrent HTTP clients, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.conftest import Live

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def _users(client: httpx.AsyncClient, live: Live, n: int, prefix: str) -> list[str]:
    ids = []
    for i in range(n):
        r = await client.post(
            live.base + "/scim/v2/Users",
            headers=live.scim_headers(),
            json={"schemas": [USER], "userName": f"{prefix}{i}@x.com"},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def test_concurrent_member_patches_all_land(live: Live) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        ids = await _users(client, live, 64, "m")
        r = await client.post(
            live.base + "/scim/v2/Groups",
            headers=live.scim_headers(),
            json={"schemas": [GROUP], "displayName": "race"},
        )
        gid = r.json()["id"]

        async def add(chunk: list[str]) -> int:
            body = {
                "schemas": [PATCH],
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": u} for u in chunk]}
                ],
            }
            resp = await client.patch(
                f"{live.base}/scim/v2/Groups/{gid}", headers=live.scim_headers(), json=body
            )
            return resp.status_code

        codes = await asyncio.gather(*(add(ids[i::16]) for i in range(16)))
        group = (
            await client.get(f"{live.base}/scim/v2/Groups/{gid}", headers=live.scim_headers())
        ).json()
    assert codes == [204] * 16
    assert sorted(m["value"] for m in group["members"]) == sorted(ids)


async def test_concurrent_creates_of_one_username_make_one_user(live: Live) -> None:
    names = ["Race@X.com", "race@x.com", "RACE@x.com", "race@X.COM", "rAce@x.com"] * 2
    async with httpx.AsyncClient(timeout=60) as client:

        async def create(name: str) -> int:
            resp = await client.post(
                live.base + "/scim/v2/Users",
                headers=live.scim_headers(),
                json={"schemas": [USER], "userName": name},
            )
            if resp.status_code == 409:
                assert resp.json()["scimType"] == "uniqueness"
            return resp.status_code

        codes = await asyncio.gather(*(create(n) for n in names))
        found = await client.get(
            live.base + '/scim/v2/Users?filter=userName eq "race@x.com"',
            headers=live.scim_headers(),
        )
    assert sorted(codes) == [201] + [409] * 9
    assert found.json()["totalResults"] == 1


async def test_concurrent_puts_with_one_if_match_let_exactly_one_win(live: Live) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        (uid,) = await _users(client, live, 1, "put")
        current = await client.get(f"{live.base}/scim/v2/Users/{uid}", headers=live.scim_headers())
        etag = current.headers["etag"]

        async def put(i: int) -> int:
            resp = await client.put(
                f"{live.base}/scim/v2/Users/{uid}",
                headers={**live.scim_headers(), "If-Match": etag},
                json={"schemas": [USER], "userName": "put0@x.com", "title": f"v{i}"},
            )
            return resp.status_code

        codes = await asyncio.gather(*(put(i) for i in range(8)))
        final = (
            await client.get(f"{live.base}/scim/v2/Users/{uid}", headers=live.scim_headers())
        ).json()
    assert sorted(codes) == [200] + [412] * 7
    assert final["meta"]["version"] == 'W/"2"'


async def test_concurrent_patches_of_one_user_lose_nothing(live: Live) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        (uid,) = await _users(client, live, 1, "pp")
        fields = ["title", "nickName", "userType", "locale", "timezone", "preferredLanguage"]

        async def patch(field: str) -> int:
            body = {
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": field, "value": f"{field}-v"}],
            }
            resp = await client.patch(
                f"{live.base}/scim/v2/Users/{uid}", headers=live.scim_headers(), json=body
            )
            return resp.status_code

        codes = await asyncio.gather(*(patch(f) for f in fields))
        final = (
            await client.get(f"{live.base}/scim/v2/Users/{uid}", headers=live.scim_headers())
        ).json()
    assert codes == [200] * len(fields)
    assert {f: final.get(f) for f in fields} == {f: f"{f}-v" for f in fields}
    assert final["meta"]["version"] == f'W/"{1 + len(fields)}"'


async def test_admin_edits_racing_scim_updates_lose_nothing(live: Live) -> None:
    import base64

    async with httpx.AsyncClient(timeout=60) as client:
        (uid,) = await _users(client, live, 1, "race-admin")
        gid = base64.b64encode(f"User:{uid}".encode()).decode()
        mutation = (
            "mutation($input: UpdateUserInput!) { updateUser(input: $input) "
            "{ user { version } userErrors { code } } }"
        )
        admin = {"Authorization": f"Bearer {live.admin}"}

        async def graphql(i: int) -> dict[str, object]:
            variables = {"input": {"id": gid, "title": f"admin-{i}"}}
            resp = await client.post(
                live.base + "/graphql",
                headers=admin,
                json={"query": mutation, "variables": variables},
            )
            return dict(resp.json()["data"]["updateUser"])

        async def scim(i: int) -> int:
            body = {
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "nickName", "value": f"scim-{i}"}],
            }
            resp = await client.patch(
                f"{live.base}/scim/v2/Users/{uid}", headers=live.scim_headers(), json=body
            )
            return resp.status_code

        results = await asyncio.gather(*(f(i) for i in range(6) for f in (graphql, scim)))
        final = (
            await client.get(f"{live.base}/scim/v2/Users/{uid}", headers=live.scim_headers())
        ).json()
    codes = [r for r in results if isinstance(r, int)]
    payloads = [r for r in results if isinstance(r, dict)]
    assert codes == [200] * 6
    assert all(p["userErrors"] == [] for p in payloads)
    assert final["title"].startswith("admin-") and final["nickName"].startswith("scim-")
    assert final["meta"]["version"] == 'W/"13"'


async def test_reads_answer_while_another_connection_holds_the_sqlite_writer_lock(
    live: Live,
) -> None:
    """A SCIM read takes no write lock: while another process holds SQLite's one writer lock
    (BEGIN IMMEDIATE), reads answer 200 and a write still waits for the lock (503)."""
    import sqlite3

    if live.settings.database_kind != "sqlite":
        return
    headers = live.scim_headers()
    async with httpx.AsyncClient(timeout=60) as client:
        created = await client.post(
            live.base + "/scim/v2/Users",
            headers=headers,
            json={"schemas": [USER], "userName": "reader@x.com"},
        )
        assert created.status_code == 201, created.text
        uid = created.json()["id"]
        holder = sqlite3.connect(live.settings.sqlite_path, isolation_level=None, timeout=1)
        holder.execute("BEGIN IMMEDIATE")
        try:
            reads = [
                await client.get(f"{live.base}/scim/v2/Users/{uid}", headers=headers),
                await client.get(
                    f"{live.base}/scim/v2/Users",
                    headers=headers,
                    params={"filter": 'userName eq "reader@x.com"'},
                ),
            ]
            write = await client.post(
                live.base + "/scim/v2/Users",
                headers=headers,
                json={"schemas": [USER], "userName": "writer@x.com"},
            )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert [r.status_code for r in reads] == [200, 200], [r.text for r in reads]
    assert reads[0].json()["id"] == uid
    assert [u["id"] for u in reads[1].json()["Resources"]] == [uid]
    assert write.status_code == 503, write.text


async def test_a_locked_sqlite_database_answers_503_not_500(live: Live) -> None:
    import sqlite3

    if live.settings.database_kind != "sqlite":
        return
    async with httpx.AsyncClient(timeout=60) as client:
        holder = sqlite3.connect(live.settings.sqlite_path, isolation_level=None, timeout=1)
        holder.execute("BEGIN IMMEDIATE")
        try:
            resp = await client.post(
                live.base + "/scim/v2/Users",
                headers=live.scim_headers(),
                json={"schemas": [USER], "userName": "locked@x.com"},
            )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        after = await client.post(
            live.base + "/scim/v2/Users",
            headers=live.scim_headers(),
            json={"schemas": [USER], "userName": "locked@x.com"},
        )
    assert resp.status_code == 503, resp.text
    assert resp.headers["retry-after"].isdigit()
    assert resp.json()["status"] == "503"
    assert after.status_code == 201
