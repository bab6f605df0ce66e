"""`promtool check metrics` (Debian's `prometheus` package; .ci/run installs it) on a real
server's /metrics after SCIM, GraphQL, console and GraphiQL traffic; `promtool check rules`
on the queries of docs/grafana-dashboard.json."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from app.db import Database
from app.domain.settings.authentication import configure_authentication
from app.domain.types import SYSTEM, AuthType
from app.metrics import FAMILIES
from app.scim.wire import USER_URN
from tests.e2e.conftest import Live

PROMTOOL = shutil.which("promtool")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        PROMTOOL is None, reason="no promtool (apt-get install prometheus; .ci/run does)"
    ),
]


async def test_metrics_pass_promtool_after_scim_and_graphql_traffic(
    live: Live, clean_db: Database
) -> None:
    assert PROMTOOL is not None
    async with clean_db.transaction() as tx:
        await configure_authentication(tx, actor=SYSTEM, type=AuthType.OKTA, display_name="Okta")
    admin = {"Authorization": f"Bearer {live.admin}"}
    async with httpx.AsyncClient(base_url=live.base, timeout=10) as client:
        user = {"schemas": [USER_URN], "userName": "ada@example.com", "active": True}
        created = await client.post("/scim/v2/Users", json=user, headers=live.scim_headers())
        assert created.status_code == 201, created.text
        uid = created.json()["id"]
        assert (await client.get(f"/scim/v2/Users/{uid}", headers=live.scim_headers())).is_success
        await client.post("/scim/v2/Users", json=user, headers=live.scim_headers())  # 409
        query = {"query": "{ users(first: 5) { totalCount } }"}
        assert (await client.post("/graphql", json=query, headers=admin)).is_success
        assert (await client.post("/graphql", json=query)).status_code == 401
        for path in ("/console/", "/console/app.js", "/console/console.css"):
            assert (await client.get(path)).is_success
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.is_success
        text = (await client.get("/metrics")).text
    checked = await asyncio.to_thread(
        subprocess.run,
        [PROMTOOL, "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, ""), text
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("roster_scim_operations_total")] == [
        'roster_scim_operations_total{idp="okta",method="POST",outcome="client_error"} 1',
        'roster_scim_operations_total{idp="okta",method="POST",outcome="success"} 1',
    ]
    assert [
        line for line in lines if 'route="/console/*"' in line and "requests_total" in line
    ] == [
        'roster_http_requests_total{surface="console",method="GET",route="/console/*",'
        'status="200"} 3'
    ]
    assert 'route="/other"' not in text
    assert [line for line in lines if line.startswith("roster_scim_errors_total")] == [
        'roster_scim_errors_total{status="409"} 1'
    ]
    assert len([ln for ln in lines if ln.startswith("roster_scim_token_expiry_seconds{")]) == 1
    assert [line for line in lines if line.startswith("roster_guard_")] == [
        "roster_guard_tripped 0.0",
        "roster_guard_enabled 1.0",
        "roster_guard_held_writes 0.0",
    ]
    for family in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
        "roster_build_info",
    ):
        assert sum(line.startswith(f"# TYPE {family} ") for line in lines) == 1, family


DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def dashboard_queries() -> list[str]:
    """Every PromQL expression of docs/grafana-dashboard.json, Grafana's variables filled in."""
    doc = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]
    return [e.replace("$__rate_interval", "5m").replace("$instance", ".*") for e in exprs]


def test_the_grafana_dashboard_queries_parse_and_name_only_exposed_families(
    tmp_path: Path,
) -> None:
    assert PROMTOOL is not None
    queries = dashboard_queries()
    names = {n for q in queries for n in re.findall(r"\b(?:roster|process)_[a-z_]+", q)}
    assert names == {
        "roster_http_requests_total",
        "roster_http_request_duration_seconds_bucket",
        "roster_scim_operations_total",
        "roster_build_info",
        "roster_db_pool_in_use",
        "roster_db_pool_size",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
    }
    assert {n.removesuffix("_bucket") for n in names} <= set(FAMILIES)
    rules = [{"record": f"roster:dashboard_{i}", "expr": q} for i, q in enumerate(queries)]
    path = tmp_path / "rules.json"  # YAML is a superset of JSON
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
