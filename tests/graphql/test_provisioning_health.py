"""Provisioning health over HTTP (issue 15 items 4 and 6): SCIM traffic of a real app, flushed
as each worker does, read back through GraphQL and /metrics, on each engine."""

from __future__ import annotations

import re
from typing import Any

from app import health_task
from app.domain.access.bootstrap import issue_scim_token
from tests.graphql.conftest import Api

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PROBE = "f2a6c3b8-1d4e-4f0a-9b7c-2e5d8a1f6c30"
HEALTH = """{ provisioning {
  tokens { name requestCount24h errorCount24h expiresSoon connectionTestedAt lastUsedAt
           lastError { at status detail } }
  health { requestCount24h errorCount24h connectionTestedAt expiringSoon { name }
           series { hour writes errors } } } }"""
_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return "<ts>" if isinstance(value, str) and _TS.match(value) else value


async def _traffic(api: Api) -> None:
    """What an IdP does: test the connection, create two users (one twice), miss a user."""
    async with api.db.transaction() as tx:
        okta = await issue_scim_token(tx, name="okta", ttl_days=60, max_active=5)
        await issue_scim_token(tx, name="entra", ttl_days=7, max_active=5)
    headers = {"Authorization": f"Bearer {okta}", "Content-Type": "application/scim+json"}
    probe = await api.http.get(
        "/scim/v2/Users", params={"filter": f'userName eq "{PROBE}"'}, headers=headers
    )
    assert probe.json()["totalResults"] == 0
    for login in ("ada@example.com", "ada@example.com", "bob@example.com"):
        await api.http.post(
            "/scim/v2/Users", json={"schemas": [USER], "userName": login}, headers=headers
        )
    missing = await api.http.get("/scim/v2/Users/nobody", headers=headers)
    assert missing.status_code == 404
    await health_task.flush_once(api.app.state.db, api.app.state.usage)


async def test_health_shows_traffic_errors_probe_and_expiring_tokens(api: Api, owner: str) -> None:
    await _traffic(api)
    body = await api.run(HEALTH, owner)
    series = body["data"]["provisioning"]["health"].pop("series")
    assert _scrub(body) == {
        "data": {
            "provisioning": {
                "tokens": [
                    {
                        "name": "entra",
                        "requestCount24h": 0,
                        "errorCount24h": 0,
                        "expiresSoon": True,
                        "connectionTestedAt": None,
                        "lastUsedAt": None,
                        "lastError": None,
                    },
                    {
                        "name": "okta",
                        "requestCount24h": 5,
                        "errorCount24h": 2,
                        "expiresSoon": False,
                        "connectionTestedAt": "<ts>",
                        "lastUsedAt": "<ts>",
                        "lastError": {
                            "at": "<ts>",
                            "status": 404,
                            "detail": "no user with id 'nobody'",
                        },
                    },
                ],
                "health": {
                    "requestCount24h": 5,
                    "errorCount24h": 2,
                    "connectionTestedAt": "<ts>",
                    "expiringSoon": [{"name": "entra"}],
                },
            }
        }
    }
    assert len(series) == 168
    assert (sum(p["writes"] for p in series), sum(p["errors"] for p in series)) == (3, 1)
    assert sorted(p["hour"] for p in series) == [p["hour"] for p in series]
    assert all(p["hour"].endswith(":00:00.000000Z") for p in series)


async def test_metrics_give_seconds_to_expiry_per_token_and_scim_errors_by_status(
    api: Api,
) -> None:
    await _traffic(api)
    lines = (await api.http.get("/metrics")).text.splitlines()
    async with api.db.transaction() as tx:
        ids = {r[1]: r[0] for r in await tx.fetch("SELECT id, name FROM scim_tokens")}
    expiry = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith("roster_scim_token_expiry_seconds{")
    }
    assert sorted(expiry) == sorted(
        f'roster_scim_token_expiry_seconds{{name="{n}",token_id="{ids[n]}"}}'
        for n in ("entra", "okta")
    )
    entra = expiry[f'roster_scim_token_expiry_seconds{{name="entra",token_id="{ids["entra"]}"}}']
    assert 7 * 86400 - 120 < entra <= 7 * 86400
    assert [line for line in lines if line.startswith("roster_scim_errors_total")] == [
        'roster_scim_errors_total{status="404"} 1',
        'roster_scim_errors_total{status="409"} 1',
    ]
    assert "# TYPE roster_scim_token_expiry_seconds gauge" in lines
    assert "# TYPE roster_scim_errors_total counter" in lines
