"""Provisioning health in the domain (issue 15 item 4): usage flushed from memory to the shared
per-hour rows, the connection probe, the expiring-token flag and its once-a-day warning."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from app import health_task
from app.db import Database
from app.domain.access.bootstrap import issue_scim_token
from app.domain.access.scim_tokens import list_scim_tokens
from app.domain.clock import iso_in
from app.domain.provisioning.health import (
    is_connection_probe,
    provisioning_health,
    record_usage,
    token_expiry_seconds,
    token_health,
    warn_expiring_tokens,
)
from app.domain.provisioning.usage import LastError, UsageBuffer
from app.errors import DatabaseUnavailable
from app.settings import Settings


async def _token(db: Database, name: str, days: int) -> str:
    async with db.transaction() as tx:
        await issue_scim_token(tx, name=name, ttl_days=days, max_active=5)
        return next(t.id for t in await list_scim_tokens(tx) if t.name == name)


@pytest.mark.parametrize(
    ("text", "total", "probe"),
    [
        ('userName eq "f2a6c3b8-1d4e-4f0a-9b7c-2e5d8a1f6c30"', 0, True),  # Entra ID
        ('userName eq "F2A6C3B81D4E4F0A9B7C2E5D8A1F6C30"', 0, True),
        ('userName eq "f2a6c3b8-1d4e-4f0a-9b7c-2e5d8a1f6c30@okta.local"', 0, True),  # Okta
        ('USERNAME EQ "f2a6c3b8-1d4e-4f0a-9b7c-2e5d8a1f6c30"', 0, True),
        ('userName eq "f2a6c3b8-1d4e-4f0a-9b7c-2e5d8a1f6c30"', 1, False),  # found someone
        ('userName eq "ada@example.com"', 0, False),  # a real lookup of a new user
        ('externalId eq "f2a6c3b8-1d4e-4f0a-9b7c-2e5d8a1f6c30"', 0, False),
        (None, 0, False),
    ],
)
def test_the_connection_probe_is_a_lookup_of_a_random_user_name_that_finds_nobody(
    text: str | None, total: int, probe: bool
) -> None:
    assert is_connection_probe(text, total) is probe


async def test_usage_of_several_buffers_adds_up_and_keeps_the_newest_error(
    clean_db: Database,
) -> None:
    token = await _token(clean_db, "okta", 90)
    first, second = UsageBuffer(), UsageBuffer()  # two workers
    first.note_request(token, 200)
    first.note_write(token, failed=False)
    first.note_request(token, 404)
    first.note_error(token, LastError("2026-12-05T10:00:00.000000Z", 404, "no user"))
    second.note_request(token, 409)
    second.note_write(token, failed=True)
    second.note_error(token, LastError("2026-12-05T11:00:00.000000Z", 409, "taken"))
    second.note_probe(token, "2026-12-05T09:00:00.000000Z")
    for buffer in (second, first):
        async with clean_db.transaction() as tx:
            await record_usage(tx, buffer.take())
    assert not first.take() and not second.take()
    async with clean_db.transaction() as tx:
        health = await provisioning_health(tx)
    (found,) = health.tokens
    assert (found.requests_24h, found.errors_24h) == (3, 2)
    assert found.last_error == LastError("2026-12-05T11:00:00.000000Z", 409, "taken")
    assert found.connection_tested_at == "2026-12-05T09:00:00.000000Z"
    assert (found.expires_soon, health.expiring_soon) == (False, [])
    assert len(health.series) == 7 * 24
    assert [p.hour < q.hour for p, q in zip(health.series, health.series[1:], strict=False)] == [
        True
    ] * (7 * 24 - 1)
    assert (sum(p.writes for p in health.series), sum(p.errors for p in health.series)) == (2, 1)


async def test_a_flush_that_does_not_commit_keeps_the_counts_for_the_next_one(
    clean_db: Database, tmp_path: Path
) -> None:
    token = await _token(clean_db, "okta", 90)
    buffer = UsageBuffer()
    buffer.note_request(token, 200)
    # A database without the table: the flush's statement fails, its transaction rolls back.
    unmigrated = Database(Settings(database_url=f"sqlite:///{tmp_path}/new.db", _env_file=None))
    with pytest.raises(DatabaseUnavailable, match="roster migrate"):
        await health_task.flush_usage(unmigrated, buffer)
    await unmigrated.close()
    buffer.note_request(token, 500)
    async with clean_db.transaction() as tx:
        assert [t.requests_24h for t in await token_health(tx)] == [0]
    await health_task.flush_usage(clean_db, buffer)
    async with clean_db.transaction() as tx:
        assert [(t.requests_24h, t.errors_24h) for t in await token_health(tx)] == [(2, 1)]


async def test_a_token_expiring_within_14_days_is_flagged_and_warned_about_once_a_day(
    clean_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    soon = await _token(clean_db, "entra", 10)
    await _token(clean_db, "okta", 30)
    caplog.set_level(logging.WARNING, logger="roster.provisioning")
    async with clean_db.transaction() as tx:
        flags = {t.name: t.expires_soon for t in await token_health(tx)}
        expiry = {name: s for _, name, s in await token_expiry_seconds(tx)}
    assert flags == {"entra": True, "okta": False}
    assert 10 * 86400 - 60 < expiry["entra"] <= 10 * 86400
    assert 30 * 86400 - 60 < expiry["okta"] <= 30 * 86400

    async def check() -> list[str]:
        async with clean_db.transaction() as tx:
            return await warn_expiring_tokens(tx)

    # Two workers at once, then again: one warning in all.
    assert sorted(await asyncio.gather(check(), check())) == [[], ["entra"]]
    assert await check() == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "roster.provisioning"]
    assert len(warnings) == 1
    assert warnings[0].startswith("SCIM token 'entra' expires at ")
    async with clean_db.transaction() as tx:  # a day later, it warns again
        await tx.execute(
            "UPDATE scim_tokens SET expiry_warned_at = :at WHERE id = :id",
            {"at": iso_in(-1.01), "id": soon},
        )
    assert await check() == ["entra"]
