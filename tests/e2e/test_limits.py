"""Per-token rate limits and the CORS allow-list."""

from __future__ import annotations

from pathlib import Path

import httpx

from app import migrations
from app.main import create_app
from app.ratelimit import TokenBuckets
from app.settings import Settings


def test_token_bucket_refills_at_its_rate() -> None:
    buckets = TokenBuckets(rate=2, burst=2)
    assert [buckets.take(b"k", 0.0) for _ in range(3)] == [0.0, 0.0, 0.5]
    assert buckets.take(b"k", 0.5) == 0.0
    assert buckets.take(b"other", 0.5) == 0.0


async def test_scim_answers_429_with_retry_after_per_token(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        rate_limit_per_second=0.5,
        rate_limit_burst=2,
        _env_file=None,
    )
    migrations.upgrade(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            a = {"Authorization": "Bearer rsc_a"}
            codes = [(await client.get("/scim/v2/Users", headers=a)).status_code for _ in range(3)]
            limited = await client.get("/scim/v2/Users", headers=a)
            other = await client.get("/scim/v2/Users", headers={"Authorization": "Bearer rsc_b"})
            health = await client.get("/healthz")
    assert codes[:2] == [401, 401] and codes[2] == 429
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert limited.headers["content-type"] == "application/scim+json"
    assert limited.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "429",
        "detail": "too many requests for this token; retry after 2 s",
    }
    assert (other.status_code, health.status_code) == (401, 200)


async def test_cors_allow_list_is_empty_by_default(tmp_path: Path) -> None:
    preflight = {
        "Origin": "https://console.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    for origins, allowed in (([], False), (["https://console.example.com"], True)):
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'c.db'}", cors_origins=origins, _env_file=None
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.options("/graphql", headers=preflight)
        got = response.headers.get("access-control-allow-origin")
        assert (got == "https://console.example.com") is allowed
