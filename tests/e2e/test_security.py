"""Secrets and scopes, over a real server on each engine (docs/security.md is the threat model).

Tokens: 256-bit random, stored as SHA-256 only, compared with hmac.compare_digest, never
logged, each valid on its own surface only. Roles: a VIEWER cannot write. Secrets in settings,
injection and the audit log: test_security_data.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db import Database
from app.domain.access.api_tokens import authenticate_admin
from app.domain.access.bootstrap import issue_admin_token, issue_scim_token
from app.domain.access.scim_tokens import authenticate_scim
from app.domain.access.tokens import hash_token
from app.settings import Settings
from tests.e2e.conftest import Live
from tests.e2e.test_health import free_port

TOKEN_SHAPE = re.compile(r"^(rsc|rad)_[A-Za-z0-9_-]{43}$")
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_JSON = "application/scim+json"
TABLES = ("users", "groups", "memberships", "audit_entries", "provisioning_events", "scim_tokens")


def _secret_bytes(token: str) -> bytes:
    return base64.urlsafe_b64decode(token[4:] + "=")


async def rows(db: Database, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    """Rows as tuples, committed (a transaction of their own)."""
    async with db.transaction() as tx:
        # sqlite3.Row iterates values, asyncpg.Record too, but Row promises only keys()
        return [tuple(r[k] for k in r.keys()) for r in await tx.fetch(sql, params)]  # noqa: SIM118


async def test_tokens_are_256_bit_random_and_stored_as_sha256_only(clean_db: Database) -> None:
    async with clean_db.transaction() as tx:
        scim = [
            await issue_scim_token(tx, name=f"t{i}", ttl_days=1, max_active=100) for i in range(32)
        ]
        admin = [
            await issue_admin_token(tx, login_id=f"a{i}@x.com", role="admin") for i in range(32)
        ]
    tokens = scim + admin
    assert all(TOKEN_SHAPE.match(t) for t in tokens)
    assert {t[:4] for t in scim} == {"rsc_"} and {t[:4] for t in admin} == {"rad_"}
    raw = [_secret_bytes(t) for t in tokens]
    assert {len(r) for r in raw} == {32}  # 256 bits
    assert len(set(raw)) == len(raw)
    # The shape of randomness: 2,048 bytes cover nearly every byte value, about half the bits
    # are set, and no two secrets share even their first 3 bytes.
    pooled = b"".join(raw)
    assert len(Counter(pooled)) > 240
    ones = sum(bin(b).count("1") for b in pooled) / (8 * len(pooled))
    assert 0.47 < ones < 0.53
    assert len({r[:3] for r in raw}) == len(raw)
    stored = await rows(clean_db, "SELECT token_hash, hint, name FROM scim_tokens") + await rows(
        clean_db, "SELECT token_hash, hint, name FROM api_tokens"
    )
    expected = {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert {row[0] for row in stored} == expected
    for row in stored:
        assert not any(t in str(value) for t in tokens for value in row)


async def test_tokens_are_checked_by_digest_in_constant_time(
    clean_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with clean_db.transaction() as tx:
        scim = await issue_scim_token(tx, name="t", ttl_days=1, max_active=2)
        admin = await issue_admin_token(tx, login_id="o@x.com", role="owner")
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    async with clean_db.transaction() as tx:
        await authenticate_scim(tx, scim)
        await authenticate_admin(tx, admin)
    assert compared == [
        (hash_token(scim), hash_token(scim)),
        (hash_token(admin), hash_token(admin)),
    ]


@pytest.fixture
def logged_server(
    settings: Settings, clean_db: Database, tmp_path: Path
) -> Iterator[tuple[str, Callable[[], str]]]:
    """A server logging JSON at DEBUG, with access logs, to a file; yields (base, read_logs)."""
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "ROSTER_DATABASE_URL": settings.database_url,
        "ROSTER_PORT": str(port),
        "ROSTER_LOG_LEVEL": "debug",
        "ROSTER_LOG_JSON": "true",
        "ROSTER_ACCESS_LOG": "true",
        "ROSTER_RATE_LIMIT_PER_SECOND": "0",
    }
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"], env=env, stdout=sink, stderr=sink
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)

        def stop_and_read() -> str:
            proc.terminate()
            proc.wait(20)
            return log.read_text()

        yield base, stop_and_read
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_tokens_and_their_hashes_are_never_logged(
    logged_server: tuple[str, Callable[[], str]], clean_db: Database
) -> None:
    base, read_logs = logged_server
    async with clean_db.transaction() as tx:
        scim = await issue_scim_token(tx, name="logs", ttl_days=1, max_active=2)
        admin = await issue_admin_token(tx, login_id="o@x.com", role="owner")
    scim_h = {"Authorization": f"Bearer {scim}", "Content-Type": SCIM_JSON}
    admin_h = {"Authorization": f"Bearer {admin}"}
    query = "{ viewer { loginId } users(first: 2) { totalCount } }"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        statuses = [
            (await http.get("/scim/v2/Users", headers=scim_h)).status_code,
            (
                await http.post("/scim/v2/Users", headers=scim_h, json={"schemas": [USER]})
            ).status_code,
            (await http.post("/scim/v2/Users", headers=scim_h, content=b"{bad")).status_code,
            (await http.get("/scim/v2/Users/nope", headers=scim_h)).status_code,
            (
                await http.get("/scim/v2/Users", headers={"Authorization": f"Basic {scim}"})
            ).status_code,
            (await http.get("/scim/v2/Users", headers=admin_h)).status_code,
            (await http.post("/graphql", headers=admin_h, json={"query": query})).status_code,
            (await http.post("/graphql", headers=admin_h, json={"query": "{ nope }"})).status_code,
            (await http.post("/graphql", headers=admin_h, content=b"{bad")).status_code,
            (await http.post("/graphql", headers=scim_h, json={"query": query})).status_code,
            (await http.get(f"/graphql?token={admin}", headers=admin_h)).status_code,
        ]
    logs = read_logs()
    assert statuses == [200, 400, 400, 404, 401, 401, 200, 200, 400, 401, 200]
    # The capture works: uvicorn's lines and one access line per request are there.
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(entry["logger"] == "uvicorn.error" for entry in lines)
    assert sum(entry.get("message") == "request" for entry in lines) >= len(statuses)
    for secret in (scim, admin, hash_token(scim), hash_token(admin), scim[4:], admin[4:]):
        assert secret not in logs


async def test_each_token_works_on_its_own_surface_only(live: Live) -> None:
    query = {"query": "{ viewer { loginId } }"}
    async with httpx.AsyncClient(base_url=live.base, timeout=30) as http:
        scim_on_graphql = await http.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer {live.scim}"}
        )
        admin_on_scim = await http.get(
            "/scim/v2/Users", headers={"Authorization": f"Bearer {live.admin}"}
        )
        own = [
            (
                await http.post(
                    "/graphql", json=query, headers={"Authorization": f"Bearer {live.admin}"}
                )
            ).status_code,
            (await http.get("/scim/v2/Users", headers=live.scim_headers())).status_code,
        ]
    assert own == [200, 200]
    assert (scim_on_graphql.status_code, scim_on_graphql.json()) == (
        401,
        {
            "errors": [
                {"message": "not an admin API token", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        },
    )
    assert admin_on_scim.status_code == 401
    assert admin_on_scim.json()["detail"] == (
        "admin API tokens are not valid on /scim/v2: use a SCIM token"
    )


MUTATIONS = {
    "createUser": '{ createUser(input: {loginId: "v@x.com"}) { userErrors { code } } }',
    "createGroup": '{ createGroup(input: {displayName: "G"}) { userErrors { code } } }',
    "grantRoles": '{ grantRoles(input: {roles: ["OWNER"], userIds: []}) { userErrors { code } } }',
    "configureAuthentication": (
        "{ configureAuthentication(input: {type: OKTA}) { userErrors { code } } }"
    ),
    "setProvisioningEnabled": (
        "{ setProvisioningEnabled(input: {enabled: false}) { userErrors { code } } }"
    ),
    "createScimToken": '{ createScimToken(input: {name: "x"}) { userErrors { code } } }',
    "createCustomAttribute": (
        '{ createCustomAttribute(input: {variableName: "x", displayName: "X", datatype: STRING})'
        " { userErrors { code } } }"
    ),
}


async def state(db: Database) -> list[Any]:
    """Row counts of every table an API could change, and the auth settings."""
    return [
        await rows(db, f"SELECT COUNT(*) FROM {table}")
        for table in (*TABLES, "api_tokens", "role_grants", "profile_attributes")
    ] + [await rows(db, "SELECT type, version FROM auth_settings")]


async def test_a_viewer_cannot_mutate(live: Live, clean_db: Database) -> None:
    async with clean_db.transaction() as tx:
        viewer = await issue_admin_token(tx, login_id="viewer@x.com", role="viewer")
    before = await state(clean_db)
    headers = {"Authorization": f"Bearer {viewer}"}
    answers = {}
    async with httpx.AsyncClient(base_url=live.base, headers=headers, timeout=30) as http:
        for name, text in MUTATIONS.items():
            body = (await http.post("/graphql", json={"query": "mutation " + text})).json()
            answers[name] = body["data"][name]["userErrors"][0]["code"]
        seen = (await http.post("/graphql", json={"query": "{ viewer { canWrite roles } }"})).json()
    assert answers == dict.fromkeys(MUTATIONS, "FORBIDDEN")
    assert seen == {"data": {"viewer": {"canWrite": False, "roles": ["VIEWER"]}}}
    assert await state(clean_db) == before
