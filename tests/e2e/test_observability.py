"""Request ids, JSON log lines and /metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.observability import JsonFormatter, route_of
from app.settings import Settings


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
    assert (line["message"], line["path"], line["status"], line["request_id"]) == (
        "request",
        "/healthz",
        200,
        "abc-123",
    )


def test_routes_are_templated() -> None:
    uid = "01a22592-2841-7098-bcee-376d9f925f05"
    assert route_of(f"/scim/v2/Users/{uid}") == ("scim", "/Users/{id}")
    assert route_of("/scim/v2/Groups") == ("scim", "/Groups")
    assert route_of("/graphql") == ("graphql", "/graphql")
    assert route_of("/favicon.ico") == ("other", "/other")


def test_scim_writes_are_counted_by_idp_and_outcome() -> None:
    from app.observability import Metrics, idp_of

    assert idp_of({"headers": [(b"user-agent", b"Okta SCIM Client 1.0.0")]}) == "okta"
    assert idp_of({"headers": [(b"user-agent", b"Microsoft.AAD.Provisioning")]}) == "entra_id"
    assert idp_of({"headers": []}) == "other"
    metrics = Metrics()
    metrics.inc("roster_scim_operations_total", idp="okta", method="POST", outcome="success")
    metrics.inc("roster_scim_operations_total", idp="okta", method="POST", outcome="success")
    text = metrics.render({})
    assert 'roster_scim_operations_total{idp="okta",method="POST",outcome="success"} 2' in text
