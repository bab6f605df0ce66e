"""Request ids, JSON log lines and /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.typing import Subprotocol

from app.db import Database
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.domain.settings.authentication import configure_authentication
from app.domain.types import SYSTEM, AuthType
from app.main import create_app
from app.metrics import FAMILIES, Metrics
from app.observability import JsonFormatter, route_of
from app.scim.wire import USER_URN
from app.settings import Settings
from tests.e2e.conftest import start_server

# RFC 3339, UTC, milliseconds: 2026-12-05T14:07:17.123Z
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_request_id_metrics_and_json_access_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'o.db'}", _env_file=None))
    caplog.set_level(logging.INFO, logger="roster.access")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
            fresh = await client.get("/healthz")
            bad = await client.get("/healthz", headers={"X-Request-ID": "no spaces allowed"})
            text = (await client.get("/metrics")).text
    assert given.headers["x-request-id"] == "abc-123"
    assert len(fresh.headers["x-request-id"]) == 32
    assert bad.headers["x-request-id"] != "no spaces allowed"
    assert (
        'roster_http_requests_total{surface="ops",method="GET",route="/healthz",status="200"} 3'
        in text
    )
    assert 'roster_http_request_duration_seconds_count{surface="ops",route="/healthz"} 3' in text
    assert "roster_db_pool_size 1.0" in text
    line = json.loads(JsonFormatter().format(caplog.records[0]))
    assert RFC3339_MS.match(line.pop("time")), line
    assert line.pop("ms") >= 0
    assert line == {
        "level": "INFO",
        "logger": "roster.access",
        "message": "request",
        "request_id": "abc-123",
        "method": "GET",
        "path": "/healthz",
        "status": 200,
        "client": "127.0.0.1",
        "user_agent": f"python-httpx/{httpx.__version__}",
        "actor": None,
    }


def test_routes_are_templated() -> None:
    uid = "01a22592-2841-7098-bcee-376d9f925f05"
    assert route_of(f"/scim/v2/Users/{uid}") == ("scim", "/Users/{id}")
    assert route_of("/scim/v2/Groups") == ("scim", "/Groups")
    assert route_of("/graphql") == ("graphql", "/graphql")
    assert route_of("/favicon.ico") == ("other", "/other")
    # Every console asset under one label; GraphiQL's assets under another.
    assert route_of("/console/") == ("console", "/console/*")
    assert route_of("/console/users.js") == ("console", "/console/*")
    assert route_of("/graphiql/0123abcd/graphiql.min.js") == ("graphql", "/graphiql/*")


async def test_access_lines_name_the_client_its_agent_and_the_actor_never_a_secret(
    settings: Settings, clean_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with clean_db.transaction() as tx:
        await configure_authentication(tx, actor=SYSTEM, type=AuthType.OKTA, display_name="Okta")
        scim = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    app = create_app(settings.model_copy(update={"access_log": True}))
    caplog.set_level(logging.INFO, logger="roster.access")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50123))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        pushed = await client.post(
            "/scim/v2/Users",
            json={"schemas": [USER_URN], "userName": "ada@example.com", "active": True},
            headers={
                "Authorization": f"Bearer {scim}",
                "User-Agent": "curl/8.5.0",
                "X-Request-ID": "scim-1",
            },
        )
        asked = await client.post(
            "/graphql",
            json={"query": "{ viewer { loginId } }"},
            headers={
                "Authorization": f"Bearer {admin}",
                "User-Agent": "Mozilla/5.0 (X11)",
                "X-Request-ID": "gql-1",
            },
        )
        refused = await client.get(
            "/scim/v2/Users", headers={"Authorization": "Bearer nope", "X-Request-ID": "bad-1"}
        )
    assert (pushed.status_code, asked.status_code, refused.status_code) == (201, 200, 401)
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    for line in lines:
        assert RFC3339_MS.match(line.pop("time")), line
        assert line.pop("ms") >= 0
    base = {"level": "INFO", "logger": "roster.access", "message": "request"}
    peer = {"client": "203.0.113.7"}
    assert lines == [
        {
            **base,
            "request_id": "scim-1",
            "method": "POST",
            "path": "/scim/v2/Users",
            "status": 201,
            **peer,
            "user_agent": "curl/8.5.0",
            "actor": "scim:okta",
        },
        {
            **base,
            "request_id": "gql-1",
            "method": "POST",
            "path": "/graphql",
            "status": 200,
            **peer,
            "user_agent": "Mozilla/5.0 (X11)",
            "actor": "owner@example.com",
        },
        {
            **base,
            "request_id": "bad-1",
            "method": "GET",
            "path": "/scim/v2/Users",
            "status": 401,
            **peer,
            "user_agent": f"python-httpx/{httpx.__version__}",
            "actor": None,
        },
    ]
    assert all(secret not in caplog.text for secret in (scim, admin))


async def test_scim_writes_are_labelled_with_the_configured_idp_not_the_user_agent(
    settings: Settings, clean_db: Database
) -> None:
    """The quickstart's Okta token, driven by curl: idp="okta" (it was "other", guessed from a
    User-Agent that names no IdP, while Roster's SCIM handling follows the configuration)."""
    async with clean_db.transaction() as tx:
        await configure_authentication(tx, actor=SYSTEM, type=AuthType.OKTA, display_name="Okta")
        scim = await issue_scim_token(tx, name="okta", ttl_days=30, max_active=2)
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {scim}", "User-Agent": "curl/8.5.0"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        for login in ("ada@example.com", "ada@example.com"):  # the second is a 409
            user = {"schemas": [USER_URN], "userName": login, "active": True}
            await client.post("/scim/v2/Users", json=user, headers=headers)
        await client.post("/scim/v2/Users", json={}, headers={"Authorization": "Bearer nope"})
        text = (await client.get("/metrics")).text
    scim_ops = [line for line in text.splitlines() if "roster_scim_operations_total" in line]
    assert scim_ops == [
        "# HELP roster_scim_operations_total " + FAMILIES["roster_scim_operations_total"][1],
        "# TYPE roster_scim_operations_total counter",
        'roster_scim_operations_total{idp="none",method="POST",outcome="client_error"} 1',
        'roster_scim_operations_total{idp="okta",method="POST",outcome="client_error"} 1',
        'roster_scim_operations_total{idp="okta",method="POST",outcome="success"} 1',
    ]


def test_each_family_has_one_help_and_one_type_line() -> None:
    metrics = Metrics()
    for status in (200, 404):
        metrics.observe("scim", "GET", "/Users/{id}", status, 0.003)
    metrics.observe("console", "GET", "/console/*", 200, 0.0001)
    text = metrics.render({"roster_db_pool_size": 1.0})
    lines = text.splitlines()
    helps = [line.split()[2] for line in lines if line.startswith("# HELP ")]
    types = [line.split()[2] for line in lines if line.startswith("# TYPE ")]
    assert helps == types == list(dict.fromkeys(helps))  # once each, in the same order
    assert set(helps) == {
        "roster_http_requests_total",
        "roster_http_request_duration_seconds",
        "roster_build_info",
        "roster_db_pool_size",
        "process_cpu_seconds_total",
        "process_max_fds",
        "process_start_time_seconds",
        "process_virtual_memory_bytes",
        "process_resident_memory_bytes",
        "process_open_fds",
    }
    start = lines.index("# TYPE roster_http_requests_total counter")
    assert lines[start + 1 : start + 4] == [
        'roster_http_requests_total{surface="console",method="GET",route="/console/*",'
        'status="200"} 1',
        'roster_http_requests_total{surface="scim",method="GET",route="/Users/{id}",'
        'status="200"} 1',
        'roster_http_requests_total{surface="scim",method="GET",route="/Users/{id}",'
        'status="404"} 1',
    ]
    build = next(line for line in lines if line.startswith("roster_build_info{"))
    assert re.fullmatch(r'roster_build_info\{python="3\.\d+\.\d+",version="[^"]+"\} 1', build)


async def test_a_real_server_writes_websocket_open_and_close_as_json_lines(
    settings: Settings, clean_db: Database
) -> None:
    """uvicorn's own websocket lines (plain text, no request id) are replaced by JSON lines."""
    async with clean_db.transaction() as tx:
        admin = await issue_admin_token(tx, login_id="owner@example.com", role="owner")
    proc, base = start_server(settings, ROSTER_ACCESS_LOG="true", ROSTER_LOG_LEVEL="info")
    try:
        async with ws_connect(
            base.replace("http", "ws", 1) + "/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            additional_headers={"X-Request-ID": "ws-1"},
            user_agent_header="roster-ws-test/1",
        ) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {admin}"}}
            await ws.send(json.dumps(init))
            assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    finally:
        proc.terminate()
        _, err = await asyncio.to_thread(proc.communicate, timeout=20)
    assert admin not in err
    # After the serve banner (plain text for a human), every line is JSON.
    lines = [json.loads(line) for line in err[err.index("\n{") :].splitlines() if line]
    ws_lines = [line for line in lines if line["message"].startswith("websocket")]
    for line in ws_lines:
        assert RFC3339_MS.match(line.pop("time")), line
    closed_ms = ws_lines[-1].pop("ms")
    assert closed_ms >= 0
    common = {
        "level": "INFO",
        "logger": "roster.access",
        "request_id": "ws-1",
        "path": "/graphql",
        "client": "127.0.0.1",
        "user_agent": "roster-ws-test/1",
    }
    assert ws_lines == [
        {
            **common,
            "message": "websocket open",
            "subprotocol": "graphql-transport-ws",
            "actor": None,
        },
        {
            **common,
            "message": "websocket close",
            "code": 1000,
            "by": "client",
            "actor": "owner@example.com",
        },
    ]
    assert not [
        line for line in lines if "WebSocket" in line["message"] or "connection " in line["message"]
    ]
