"""POST /Bulk (RFC 7644 §3.7): malformed operations and requests, limits, authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from app.db import Database
from app.domain.access.bootstrap import issue_scim_token
from app.scim.app import build_scim_app
from app.scim.wire import MOUNT
from app.settings import Settings
from tests.scim.conftest import BASE, PATCH_OP, SCIM_JSON, Scim, error
from tests.scim.test_bulk import REQUEST, bulk, user


@pytest.mark.parametrize(
    ("operation", "detail", "scim_type"),
    [
        (
            {"method": "GET", "path": "/Users"},
            "method must be POST, PUT, PATCH or DELETE, not 'GET'",
            "invalidValue",
        ),
        (
            {"method": "POST", "path": "/Users", "data": {}},
            "bulkId is required for POST operations (RFC 7644 §3.7)",
            "invalidValue",
        ),
        (
            {"method": "POST", "path": "/Roles", "bulkId": "r", "data": {}},
            "no Bulk operation applies to path '/Roles'",
            "invalidPath",
        ),
        (
            {"method": "PUT", "path": "/Users"},
            "PUT needs a resource as path, not '/Users'",
            "invalidPath",
        ),
        (
            {"method": "PATCH", "path": "/Users/x"},
            "data is required for PATCH and must be an object",
            "invalidValue",
        ),
        ("nope", "each operation must be a JSON object", "invalidSyntax"),
    ],
)
async def test_malformed_operations_fail_alone(
    scim: Scim, operation: Any, detail: str, scim_type: str
) -> None:
    done = await bulk(scim, operation, user("ok", "ok@x.com"))
    assert done["Operations"][0]["response"] == error(400, detail, scim_type)
    assert done["Operations"][1]["status"] == "201"


@pytest.mark.parametrize(
    ("body", "detail", "scim_type"),
    [
        ([], "the request body must be a BulkRequest object", "invalidSyntax"),
        ({"schemas": [REQUEST]}, "Operations is required and must be an array", "invalidSyntax"),
        (
            {"schemas": [PATCH_OP], "Operations": []},
            f"schemas must be [{REQUEST!r}]",
            "invalidValue",
        ),
        (
            {"Operations": [], "failOnErrors": 0},
            "failOnErrors must be a positive integer",
            "invalidValue",
        ),
    ],
)
async def test_malformed_requests_answer_400(
    scim: Scim, body: Any, detail: str, scim_type: str
) -> None:
    response = await scim.post("/Bulk", body)
    assert (response.status_code, response.json()) == (400, error(400, detail, scim_type))


@pytest.fixture
async def small(settings: Settings, scim: Scim) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a SCIM app announcing maxOperations 2 and maxPayloadSize 2000."""
    limits = {"scim_bulk_max_operations": 2, "scim_bulk_max_payload_bytes": 2000}
    app = Starlette(
        routes=[Mount(MOUNT, app=build_scim_app(settings.model_copy(update=limits), scim.db))]
    )
    headers = {"Authorization": f"Bearer {scim.token}", "Content-Type": SCIM_JSON}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
        yield client


async def test_limits_are_announced_and_enforced_with_413(small: httpx.AsyncClient) -> None:
    config = (await small.get("/ServiceProviderConfig")).json()
    assert config["bulk"] == {"supported": True, "maxOperations": 2, "maxPayloadSize": 2000}
    three = [user(f"u{i}", f"u{i}@x.com") for i in range(3)]
    response = await small.post(
        "/Bulk", content=orjson.dumps({"schemas": [REQUEST], "Operations": three})
    )
    assert (response.status_code, response.json()) == (
        413,
        error(413, "the request has 3 operations; maxOperations is 2"),
    )
    big = [user("big", "big@x.com", title="x" * 2000)]
    response = await small.post(
        "/Bulk", content=orjson.dumps({"schemas": [REQUEST], "Operations": big})
    )
    assert (response.status_code, response.json()) == (
        413,
        error(413, "the request is larger than maxPayloadSize (2000 bytes)"),
    )


async def test_bulk_needs_a_scim_token(scim_app: Starlette, clean_db: Database) -> None:
    async with clean_db.transaction() as tx:
        await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
    transport = httpx.ASGITransport(app=scim_app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        response = await client.post("/Bulk", content=b'{"Operations": []}')
    assert response.status_code == 401
