"""Cursor pagination of SCIM lists (RFC 9865): keyset pages, tamper-evident expiring cursors."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from app.domain.directory import Position
from app.domain.settings.attributes import create_custom_attribute
from app.domain.types import Datatype
from app.scim.cursors import CursorState, issue_cursor, query_scope
from app.settings import Settings
from tests.scim.conftest import LIST, ROSTER, Scim, error
from tests.support import owner


async def page(scim: Scim, **params: Any) -> Any:
    response = await scim.client.get("/Users", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def walk(scim: Scim, between: Any = None, **params: Any) -> list[str]:
    """Every id of a forward walk; ``between(seen)`` runs after each page but the last."""
    seen: list[str] = []
    cursor = ""
    while True:
        found = await page(scim, cursor=cursor, **params)
        seen += [r["id"] for r in found["Resources"]]
        if "nextCursor" not in found:
            return seen
        cursor = found["nextCursor"]
        if between is not None:
            await between(seen)


async def test_pages_carry_next_and_previous_cursors(scim: Scim) -> None:
    ids = [(await scim.create_user(f"u{i}@x.com"))["id"] for i in range(7)]
    first = await page(scim, cursor="", count=3, attributes="userName")
    assert first == {
        "schemas": [LIST],
        "totalResults": 7,
        "itemsPerPage": 3,
        "nextCursor": first["nextCursor"],
        "Resources": [
            {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": i, "userName": u}
            for i, u in zip(ids[:3], ["u0@x.com", "u1@x.com", "u2@x.com"], strict=True)
        ],
    }
    second = await page(scim, cursor=first["nextCursor"], count=3)
    assert [r["id"] for r in second["Resources"]] == ids[3:6]
    assert {"nextCursor", "previousCursor"} <= set(second)
    last = await page(scim, cursor=second["nextCursor"], count=3)
    assert [r["id"] for r in last["Resources"]] == ids[6:]
    assert "nextCursor" not in last and "startIndex" not in last
    back = await page(scim, cursor=last["previousCursor"], count=3)
    assert [r["id"] for r in back["Resources"]] == ids[3:6]
    front = await page(scim, cursor=back["previousCursor"], count=3)
    assert [r["id"] for r in front["Resources"]] == ids[:3]
    assert "previousCursor" not in front and front["nextCursor"]
    for cursor in (first["nextCursor"], second["previousCursor"]):
        assert set(cursor) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
        )


async def test_walk_sees_every_user_once_despite_inserts_and_deletes(scim: Scim) -> None:
    ids = [(await scim.create_user(f"w{i:02}@x.com"))["id"] for i in range(30)]
    gone: list[str] = []
    added: list[str] = []

    async def churn(seen: list[str]) -> None:
        # Delete the last user seen and one not seen yet, and add one: with startIndex the
        # next page would skip a user; with a cursor nothing shifts.
        victims = [seen[-1]]
        ahead = ids.index(seen[-1]) + 2
        if ahead < len(ids):
            victims.append(ids[ahead])
            gone.append(ids[ahead])
        for victim in victims:
            assert (await scim.client.delete(f"/Users/{victim}")).status_code == 204
        added.append((await scim.create_user(f"z{len(added)}@x.com"))["id"])

    seen = await walk(scim, churn, count=6)
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in ids] == [i for i in ids if i not in gone]
    assert [i for i in seen if i not in ids] == added


@pytest.mark.parametrize(
    ("sort_by", "order"),
    [
        ("userName", "descending"),
        ("externalId", "ascending"),
        ("externalId", "descending"),
        ("title", "ascending"),
        (f"{ROSTER}:level", "descending"),
        ("meta.lastModified", "ascending"),
    ],
)
async def test_cursor_order_is_the_index_order_for_every_sort(
    scim: Scim, sort_by: str, order: str
) -> None:
    async with scim.db.transaction() as tx:
        await create_custom_attribute(
            tx, actor=owner(), variable_name="level", display_name="Level", datatype=Datatype.NUMBER
        )
    for i in range(11):
        extra: dict[str, Any] = {"title": ["b", "a", None][i % 3], ROSTER: {"level": i % 4 / 2}}
        if i % 3:
            extra["externalId"] = f"e{(i * 7) % 11}"
        await scim.create_user(f"s{i:02}@x.com", **{k: v for k, v in extra.items() if v})
    params = {"sortBy": sort_by, "sortOrder": order}
    whole = [r["id"] for r in (await page(scim, count=100, **params))["Resources"]]
    assert await walk(scim, count=2, **params) == whole
    # and backward from the last page
    found = await page(scim, cursor="", count=4, **params)
    while "nextCursor" in found:
        found = await page(scim, cursor=found["nextCursor"], count=4, **params)
    back = [r["id"] for r in found["Resources"]]
    while "previousCursor" in found:
        found = await page(scim, cursor=found["previousCursor"], count=4, **params)
        back = [r["id"] for r in found["Resources"]] + back
    assert back == whole


async def test_groups_and_search_bodies_page_by_cursor(scim: Scim) -> None:
    groups = [await scim.create_group(f"G{i}") for i in range(5)]
    first = (await scim.client.get("/Groups", params={"cursor": "", "count": 3})).json()
    rest = (
        await scim.client.get("/Groups", params={"cursor": first["nextCursor"], "count": 3})
    ).json()
    assert [g["id"] for g in first["Resources"] + rest["Resources"]] == groups
    assert (first["totalResults"], "nextCursor" in rest) == (5, False)
    users = [(await scim.create_user(f"q{i}@x.com"))["id"] for i in range(3)]
    body = {"filter": 'userName sw "q"', "cursor": "", "count": 2}
    found = (await scim.client.post("/Users/.search", content=orjson.dumps(body))).json()
    body["cursor"] = found["nextCursor"]
    more = (await scim.client.post("/Users/.search", content=orjson.dumps(body))).json()
    assert [u["id"] for u in found["Resources"] + more["Resources"]] == users


async def test_bad_cursors_answer_400_with_the_rfc_scim_types(
    scim: Scim, settings: Settings
) -> None:
    for i in range(3):
        await scim.create_user(f"t{i}@x.com")
    cursor = (await page(scim, cursor="", count=1))["nextCursor"]
    payload, tag = cursor.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    invalid = "the cursor is not one this service issued, or was altered"
    for bad in (f"{flipped}.{tag}", "garbage", f"{payload}.", cursor + "x"):
        response = await scim.client.get("/Users", params={"cursor": bad})
        assert (response.status_code, response.json()) == (
            400,
            error(400, invalid, "invalidCursor"),
        ), bad
    other = await scim.client.get("/Users", params={"cursor": cursor, "filter": "active eq true"})
    assert other.json() == error(
        400,
        "the cursor belongs to another query: keep filter, sortBy and sortOrder unchanged",
        "invalidCursor",
    )
    old = time.time() - settings.scim_cursor_timeout_seconds - 1
    state = CursorState(False, Position(None, "00000000-0000-7000-8000-000000000000"))
    expired = issue_cursor(settings, query_scope("User", None, None, False), state, now=old)
    response = await scim.client.get("/Users", params={"cursor": expired})
    timeout = settings.scim_cursor_timeout_seconds
    assert (response.status_code, response.json()) == (
        400,
        error(400, f"the cursor has expired (cursorTimeout is {timeout} seconds)", "expiredCursor"),
    )
    both = await scim.client.get("/Users", params={"cursor": "", "startIndex": 2})
    assert both.json() == error(400, "use either startIndex or cursor, not both", "invalidValue")
    search_all = await scim.client.post("/.search", content=orjson.dumps({"cursor": ""}))
    assert search_all.status_code == 400


async def test_pagination_is_announced(scim: Scim, settings: Settings) -> None:
    config = (await scim.client.get("/ServiceProviderConfig")).json()
    assert config["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": settings.scim_default_page_size,
        "maxPageSize": settings.scim_max_page_size,
        "cursorTimeout": settings.scim_cursor_timeout_seconds,
    }
