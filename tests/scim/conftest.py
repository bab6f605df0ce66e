"""SCIM tests go over HTTP (httpx + ASGI) to the whole app, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
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

BASE = "http://roster.test/scim/v2"
SCIM_JSON = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ROSTER = "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


@pytest.fixture(scope="session")
async def scim_app(settings: Settings, database: Database) -> Starlette:
    """The SCIM sub-app mounted where app.main mounts it, over the session's database.

    Only the SCIM adapter is built, so these tests do not depend on the GraphQL adapter;
    test_wiring checks that ``create_app`` mounts the same app.
    """
    return Starlette(routes=[Mount(MOUNT, app=build_scim_app(settings, database))])


@dataclass
class Scim:
    """A SCIM client holding a valid token, and the database behind the app."""

    client: httpx.AsyncClient
    db: Database
    token: str

    async def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return await self.client.post(path, content=orjson.dumps(body), **kw)

    async def put(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return await self.client.put(path, content=orjson.dumps(body), **kw)

    async def patch(self, path: str, ops: list[dict[str, Any]], **kw: Any) -> httpx.Response:
        body = {"schemas": [PATCH_OP], "Operations": ops}
        return await self.client.patch(path, content=orjson.dumps(body), **kw)

    async def create_user(self, login: str, **extra: Any) -> dict[str, Any]:
        body = {"schemas": [USER], "userName": login, **extra}
        response = await self.post("/Users", body)
        assert response.status_code == 201, response.text
        doc: dict[str, Any] = response.json()
        return doc

    async def create_group(self, name: str, members: Sequence[str] = (), **extra: Any) -> str:
        body = {
            "schemas": [GROUP],
            "displayName": name,
            "members": [{"value": m} for m in members],
            **extra,
        }
        response = await self.post("/Groups", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        async with self.db.transaction() as tx:
            rows = await tx.fetch(sql, params)
        # sqlite3.Row iterates values, not keys
        return [{k: r[k] for k in r.keys()} for r in rows]  # noqa: SIM118

    async def events(self) -> list[tuple[str, str, str, int, str | None]]:
        rows = await self.rows(
            "SELECT method, resource_type, outcome, status_code, error_detail"
            " FROM provisioning_events ORDER BY at, id"
        )
        return [
            (r["method"], r["resource_type"], r["outcome"], r["status_code"], r["error_detail"])
            for r in rows
        ]


@pytest.fixture
async def scim(scim_app: Starlette, clean_db: Database) -> AsyncIterator[Scim]:
    """A client with a fresh SCIM token on an empty (seeded) database."""
    async with clean_db.transaction() as tx:
        token = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
    transport = httpx.ASGITransport(app=scim_app)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as client:
        yield Scim(client, clean_db, token)


def scrub(value: Any, **ids: str) -> Any:
    """``value`` with the given ids replaced by ``{name}`` and timestamps by ``<ts>``."""
    if isinstance(value, dict):
        return {k: scrub(v, **ids) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, **ids) for v in value]
    if isinstance(value, str):
        if _TIMESTAMP.match(value):
            return "<ts>"
        for name, real in ids.items():
            value = value.replace(real, "{" + name + "}")
    return value


def error(status: int, detail: str, scim_type: str | None = None) -> dict[str, Any]:
    """An expected SCIM Error body."""
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    body["detail"] = detail
    return body
