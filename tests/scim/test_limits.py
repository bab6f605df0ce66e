"""Abuse limits of the SCIM surface, and the inputs fuzzing found answering 500 (both engines).

Limits: filter length (settings.scim_max_filter_length) and nesting (50 levels), page size
(settings.scim_max_page_size), body size (settings.scim_max_body_bytes, also for a body sent
without Content-Length), index and number ranges.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from app.domain.settings.attributes import create_custom_attribute
from app.domain.types import Datatype
from app.main import create_app
from app.observability import route_of
from app.scim.app import build_scim_app
from app.scim.wire import MOUNT
from app.settings import Settings
from tests.scim.conftest import BASE, GROUP, ROSTER, SCIM_JSON, USER, Scim, error
from tests.support import owner


async def test_filter_over_the_length_limit(scim: Scim, settings: Settings) -> None:
    limit = settings.scim_max_filter_length
    text = 'userName eq "' + "x" * (limit - 14) + '"'
    assert len(text) == limit
    assert (await scim.client.get("/Users", params={"filter": text})).status_code == 200
    longer = text[:-1] + 'x"'
    expected = error(400, f"filter is longer than {limit} characters", "invalidFilter")
    assert (await scim.client.get("/Users", params={"filter": longer})).json() == expected
    search = await scim.post("/Groups/.search", {"filter": longer})
    assert (search.status_code, search.json()) == (400, expected)


async def test_filter_nesting_limit(scim: Scim) -> None:
    deep = "(" * 51 + 'userName eq "a"' + ")" * 51
    response = await scim.client.get("/Users", params={"filter": deep})
    assert response.json() == error(
        400, "the filter nests deeper than 50 levels at position 51", "invalidFilter"
    )
    ok = "(" * 50 + 'userName eq "a"' + ")" * 50
    assert (await scim.client.get("/Users", params={"filter": ok})).status_code == 200


@pytest.fixture
async def capped(scim: Scim, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A SCIM client of an app whose page-size cap is 2 (default page 1)."""
    small = settings.model_copy(update={"scim_max_page_size": 2, "scim_default_page_size": 1})
    app = Starlette(routes=[Mount(MOUNT, app=build_scim_app(small, scim.db))])
    headers = {"Authorization": f"Bearer {scim.token}", "Content-Type": SCIM_JSON}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
        yield client


async def test_page_size_is_capped(scim: Scim, capped: httpx.AsyncClient) -> None:
    for i in range(3):
        await scim.create_user(f"u{i}@example.com")
    pages = []
    for params in ({"count": 1000}, {}, {"count": -5}, {"count": 2, "startIndex": 3}):
        body = (await capped.get("/Users", params=params)).json()
        pages.append((body["totalResults"], body["itemsPerPage"], len(body["Resources"])))
    assert pages == [(3, 2, 2), (3, 1, 1), (3, 0, 0), (3, 1, 1)]
    search = (await capped.post("/.search", content=orjson.dumps({"count": 50}))).json()
    assert (search["totalResults"], search["itemsPerPage"]) == (3, 2)
    config = (await capped.get("/ServiceProviderConfig")).json()
    assert config["filter"] == {"supported": True, "maxResults": 2}


async def test_body_without_content_length_over_the_limit_is_413(
    scim: Scim, settings: Settings
) -> None:
    chunk = b" " * 65536

    async def body() -> AsyncIterator[bytes]:
        yield b'{"schemas": ["' + USER.encode() + b'"], "userName": "big@x.com", "title": "'
        for _ in range(settings.scim_max_body_bytes // len(chunk) + 1):
            yield chunk
        yield b'"}'

    response = await scim.client.post("/Users", content=body())
    assert "content-length" not in response.request.headers
    assert (response.status_code, response.json()) == (
        413,
        error(413, f"the request body is larger than {settings.scim_max_body_bytes} bytes"),
    )
    assert await scim.rows("SELECT id FROM users") == []


@pytest.mark.parametrize(
    ("params", "detail", "scim_type"),
    [
        (
            {"startIndex": "99999999999999999999999"},
            "startIndex must be between -9223372036854775807 and 9223372036854775807",
            "invalidValue",
        ),
        (
            {"count": "-99999999999999999999999"},
            "count must be between -9223372036854775807 and 9223372036854775807",
            "invalidValue",
        ),
        (
            {"filter": f"{ROSTER}:level gt 99999999999999999999999"},
            "number out of range at position 64",
            "invalidFilter",
        ),
    ],
)
async def test_numbers_out_of_range_are_400(
    scim: Scim, params: dict[str, str], detail: str, scim_type: str
) -> None:
    if "filter" in params:
        await _custom_attribute(scim, "level")
    response = await scim.client.get("/Users", params=params)
    assert response.json() == error(400, detail, scim_type)


async def _custom_attribute(scim: Scim, name: str) -> None:
    async with scim.db.transaction() as tx:
        await create_custom_attribute(
            tx, actor=owner(), variable_name=name, display_name=name, datatype=Datatype.NUMBER
        )


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("/Users", {"userName": "n@x.com", "title": "a\x00b"}, "title contains the NUL character"),
        # refused where the body is read (app/scim/text.py), before the domain's own check
        ("/Users", {"userName": "n@x.com", "externalId": "e\x00"}, "externalId contains the NUL"),
        ("/Groups", {"displayName": "g\x00"}, "displayName contains the NUL character (U+0000)"),
    ],
)
async def test_nul_characters_are_refused_on_both_engines(
    scim: Scim, path: str, body: dict[str, Any], detail: str
) -> None:
    schema = USER if path == "/Users" else GROUP
    response = await scim.post(path, {"schemas": [schema], **body})
    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == "invalidValue"
    assert detail in response.json()["detail"]
    assert await scim.rows("SELECT id FROM users") == []
    assert await scim.rows("SELECT id FROM groups") == []


async def test_a_failed_write_to_an_odd_id_is_logged_not_500(scim: Scim) -> None:
    odd = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
    response = await scim.client.patch(f"/Users/{odd}", content=b"not json")
    assert response.status_code == 400
    response = await scim.client.delete("/Users/a%00b")
    assert response.status_code in (400, 404)
    events = await scim.rows(
        "SELECT method, resource_id, status_code FROM provisioning_events ORDER BY at, id"
    )
    assert events == [
        {"method": "PATCH", "resource_id": odd[:36], "status_code": 400},
        {"method": "DELETE", "resource_id": "a\ufffdb", "status_code": response.status_code},
    ]


async def test_405_lists_every_method_of_the_path(scim: Scim) -> None:
    allowed = {}
    for path in ("/Users", "/Users/x", "/Groups/.search", "/Schemas"):
        response = await scim.client.request("OPTIONS", path)
        assert response.status_code == 405
        assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        allowed[path] = sorted(response.headers["allow"].split(", "))
    assert allowed == {
        "/Users": ["GET", "HEAD", "POST"],
        "/Users/x": ["DELETE", "GET", "HEAD", "PATCH", "PUT"],
        "/Groups/.search": ["POST"],
        "/Schemas": ["GET", "HEAD"],
    }


async def test_unmatched_scim_paths_answer_scim_errors(settings: Settings) -> None:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        odd = await client.get("/scim/v2/Users/a%0Ab")
        elsewhere = await client.get("/nope%0A")
    assert odd.headers["content-type"] == SCIM_JSON
    assert odd.json() == error(404, "no SCIM endpoint at /scim/v2/Users/a\nb")
    assert (elsewhere.status_code, elsewhere.text) == (404, "Not Found")


def test_metric_labels_stay_bounded() -> None:
    routes = {
        route_of(p)[1]
        for p in (
            "/scim/v2/Users/not-a-uuid",
            "/scim/v2/Users/\u00e9\n",
            "/scim/v2/Groups/x",
            "/scim/v2/Groups/x/y",
            "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "/scim/v2/ResourceTypes/Whatever",
            "/scim/v2/anything/else",
        )
    }
    assert routes == {
        "/Users/{id}",
        "/Groups/{id}",
        "/Schemas/{urn}",
        "/ResourceTypes/{name}",
        "/other",
    }
