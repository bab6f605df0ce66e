"""Security Event Tokens against a real server: a SET built for a SCIM deactivation verifies
with PyJWT against the server's ``/.well-known/jwks.json``, and so do the two verifications
docs/events.md shows (Python, shell with openssl); two workers publish one key."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jwt
import pytest

from app.db import Database
from app.domain.security_events import encode_sets
from app.domain.security_events import tokens as t
from tests.e2e.conftest import Live
from tests.e2e.test_events_feed import _deactivate, _events
from tests.e2e.test_workers import _create_user, _fresh

AUD = "https://receiver.example.com/events"  # as in docs/events.md
DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"
EXAMPLE = "https://roster.example.com"  # the server the documented examples name
JWKS_SERVED = (
    r'^roster_http_requests_total\{surface="feed",method="GET",'
    r'route="/\.well-known/jwks\.json",status="200"\} (\d+)$'
)


async def _forget_keys(db: Database) -> None:
    """No key yet: the next caller generates the deployment's key (this process forgets its
    cached one too, so later tests sign with the key the servers publish)."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM signing_keys")
        tx.cache.pop("security_events.signing_key")


async def _deactivation(live: Live, db: Database) -> tuple[str, dict[str, Any], list[str]]:
    """Deactivate a new user over SCIM: its id, its event from the feed, and the event's SETs
    (issued as the server: ``iss`` is its base URL)."""
    user_id = await _create_user(live, "ada@example.com")
    await _deactivate(live, user_id)
    r = await _events(live, "after=0&limit=1000&types=user.deactivated")
    (event,) = r.json()["events"]
    async with db.transaction() as tx:
        tokens = await encode_sets(tx, event, audience=AUD, issuer=live.base)
    return user_id, event, tokens


def _tampered(token: str) -> str:
    """The token with one claim byte changed (the signature no longer matches)."""
    header, claims, signature = token.split(".")
    flipped = "B" if claims[5] != "B" else "C"
    return f"{header}.{claims[:5]}{flipped}{claims[6:]}.{signature}"


def _doc_block(heading: str, language: str) -> str:
    """The first ``language`` code block after ``heading`` in docs/events.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    start = section.index(f"```{language}\n") + len(language) + 4
    return section[start : section.index("```", start)]


async def test_a_deactivation_set_verifies_against_the_published_jwks(
    live: Live, clean_db: Database
) -> None:
    user_id, event, tokens = await _deactivation(live, clean_db)
    issuer = live.base

    async with _fresh() as client:
        r = await client.get(live.base + "/.well-known/jwks.json")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=300"
    assert r.headers["content-type"].startswith("application/jwk-set+json")
    client_keys = jwt.PyJWKClient(live.base + "/.well-known/jwks.json")
    claims: list[dict[str, Any]] = []
    for token in tokens:
        assert jwt.get_unverified_header(token)["typ"] == "secevent+jwt"
        key = client_keys.get_signing_key_from_jwt(token)
        claims.append(jwt.decode(token, key, algorithms=["ES256"], audience=AUD, issuer=issuer))
    scim, caep, risc = claims
    assert scim["events"] == {t.DEACTIVATE: {}}
    assert scim["sub_id"] == {"format": "scim", "uri": f"/Users/{user_id}"}
    assert scim["txn"] == event["requestId"]
    assert scim["jti"] == event["id"]
    assert list(caep["events"]) == [t.SESSION_REVOKED]
    assert caep["events"][t.SESSION_REVOKED]["initiating_entity"] == "system"  # the IdP
    assert list(risc["events"]) == [t.ACCOUNT_DISABLED]
    assert {c["iss"] for c in claims} == {issuer}

    try:
        jwt.decode(_tampered(tokens[0]), key, algorithms=["ES256"], audience=AUD, issuer=issuer)
    except jwt.InvalidSignatureError:
        pass
    else:
        raise AssertionError("a tampered token verified")


async def test_the_verifications_docs_events_md_shows_accept_a_real_token(
    live: Live, clean_db: Database, tmp_path: Path
) -> None:
    _, event, tokens = await _deactivation(live, clean_db)
    python = _doc_block("### Verifying in Python", "python").replace(EXAMPLE, live.base)
    scope: dict[str, Any] = {"token": tokens[1]}
    await asyncio.to_thread(exec, python, scope)
    assert scope["claims"]["jti"] == event["id"] + ":session-revoked"

    if any(shutil.which(tool) is None for tool in ("jq", "xxd", "openssl", "curl")):
        pytest.skip("the shell example needs jq, xxd, openssl and curl")
    shell = _doc_block("### Verifying in shell", "sh").replace(EXAMPLE, live.base)
    for token, verdict in ((tokens[0], "Verified OK"), (_tampered(tokens[0]), "failure")):
        done = await asyncio.to_thread(
            subprocess.run,
            ["bash", "-s", token],
            input=shell,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert verdict in done.stdout + done.stderr, (done.stdout, done.stderr)
        assert (done.returncode == 0) is (verdict == "Verified OK")


async def test_two_workers_publish_the_same_single_key(workers: Live, clean_db: Database) -> None:
    await _forget_keys(clean_db)

    async def fetch() -> dict[str, Any]:
        async with _fresh() as client:
            r = await client.get(workers.base + "/.well-known/jwks.json")
        assert r.status_code == 200, r.text
        return dict(r.json())

    documents = await asyncio.gather(*(fetch() for _ in range(12)))
    assert all(d == documents[0] for d in documents)
    (key,) = documents[0]["keys"]
    async with clean_db.transaction(write=False) as tx:
        stored = await tx.fetch("SELECT kid FROM signing_keys")
    assert [row["kid"] for row in stored] == [key["kid"]]
    for _ in range(40):  # until the kernel has sent fresh connections to both workers
        assert await fetch() == documents[0]
        async with _fresh() as client:
            metrics = (await client.get(workers.base + "/metrics")).text
        served = re.search(JWKS_SERVED, metrics, flags=re.MULTILINE)
        if served and 0 < int(served.group(1)) < len(documents) + _ + 1:
            return
    raise AssertionError("one worker answered every request: the other was not tried")
