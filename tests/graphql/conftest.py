"""GraphQL tests: the whole app in-process over HTTP (httpx + ASGITransport), on each engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token
from app.main import create_app
from app.settings import Settings


@dataclass
class Api:
    """A GraphQL client for one test: ``await api.run(query, token=..., **variables)``."""

    http: httpx.AsyncClient
    db: Database
    app: Starlette

    async def token(self, login: str, role: str = "owner") -> str:
        """A committed admin token for a (new or existing) LOCAL user with ``role``."""
        async with self.db.transaction() as tx:
            return await issue_admin_token(tx, login_id=login, role=role)

    async def post(
        self, query: str, token: str | None, variables: dict[str, Any]
    ) -> httpx.Response:
        """The raw HTTP response of a POST."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )

    async def settled(self) -> None:
        """Let the app act on what the test's own Database committed before counting: to the
        app that is another process's commit, seen by its SQLite watcher within a poll
        (app.db.watch), which wakes its webhook deliverer for one read."""
        await asyncio.sleep(0.2)

    async def run(self, query: str, token: str | None = None, **variables: Any) -> Any:
        """The JSON body of a successful (HTTP 200) POST."""
        response = await self.post(query, token, variables)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def api(settings: Settings, clean_db: Database) -> AsyncIterator[Api]:
    """The app with a freshly reset database, and a client talking to it over ASGI."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://roster.test") as http:
            yield Api(http, clean_db, app)


@pytest.fixture
async def owner(api: Api) -> str:
    """An OWNER's admin token."""
    return await api.token("owner@example.com", "owner")
