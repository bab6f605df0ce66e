"""`roster purge [--dry-run]`, run as a real process on both engines."""

from __future__ import annotations

from app.db import Database
from app.domain.clock import iso_in
from app.domain.provisioning.events import record_provisioning_event
from app.settings import Settings
from tests.test_cli import cli_db, roster

__all__ = ["cli_db"]  # the fixture, shared with tests/test_cli.py


async def _events(settings: Settings, *ages: float) -> int:
    """Add one provisioning event per age in days; return how many there are."""
    db = Database(settings)
    await db.connect()
    try:
        async with db.transaction() as tx:
            for age in ages:
                event = await record_provisioning_event(
                    tx,
                    token_id=None,
                    method="POST",
                    resource_type="User",
                    resource_id=None,
                    external_id=None,
                    outcome="SUCCESS",
                    status_code=201,
                    error_detail=None,
                    duration_ms=1.0,
                    request_id=None,
                )
                await tx.execute(
                    "UPDATE provisioning_events SET at = :at WHERE id = :id",
                    {"at": iso_in(-age), "id": event.id},
                )
            return int(await tx.fetchval("SELECT count(*) FROM provisioning_events"))
    finally:
        await db.close()


async def test_purge_dry_run_then_purge(cli_db: Settings) -> None:
    assert await _events(cli_db, 120.0, 91.0, 2.0) == 3
    dry = roster(cli_db, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "provisioning_events: would delete 2 older than " in dry.stderr
    assert "audit_entries: would delete 0 older than " in dry.stderr
    assert await _events(cli_db) == 3
    done = roster(cli_db, "purge", "--batch-size", "1")
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert "provisioning_events: deleted 2 older than " in done.stderr
    assert await _events(cli_db) == 1
    bad = roster(cli_db, "purge", "--batch-size", "0")
    assert bad.returncode == 2
    assert "batch size must be at least 1" in bad.stderr
