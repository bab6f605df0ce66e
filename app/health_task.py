"""The per-worker loop behind provisioning health: flush the SCIM usage counted in memory and
log the daily expiry warnings (`app.domain.provisioning.health`); and the figures /metrics adds.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from app.db import Database
from app.domain.provisioning.health import record_usage, token_expiry_seconds, warn_expiring_tokens
from app.domain.provisioning.usage import UsageBuffer
from app.errors import DatabaseUnavailable

log = logging.getLogger("roster.provisioning")

Sample = tuple[tuple[tuple[str, str], ...], float]


async def flush_usage(db: Database, usage: UsageBuffer) -> None:
    """Add the buffer's counts to the shared rows in one transaction; if it does not commit,
    the counts go back into the buffer for the next flush. Raises what the transaction raised."""
    batch = usage.take()
    try:
        async with db.transaction() as tx:
            await record_usage(tx, batch)
    except BaseException:
        usage.give_back(batch)
        raise


async def flush_once(db: Database, usage: UsageBuffer) -> None:
    """One flush and one expiry check, each in its own transaction."""
    await flush_usage(db, usage)
    async with db.transaction() as tx:
        await warn_expiring_tokens(tx)


async def flush_forever(db: Database, usage: UsageBuffer, every: float) -> None:
    """`flush_once` every ``every`` seconds until cancelled; a failure is logged and retried
    (the counts stay in the buffer)."""
    while True:
        await asyncio.sleep(every)
        try:
            await flush_once(db, usage)
        except DatabaseUnavailable:
            log.info("provisioning health: database unavailable, will retry")
        except Exception:
            log.exception("provisioning health flush failed")


STOP_SECONDS = 5.0


async def stop(task: asyncio.Task[None], db: Database, usage: UsageBuffer) -> None:
    """Cancel the loop and flush what is left (best effort: the database may be gone)."""
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    with suppress(Exception):  # bounded: a database that hangs must not hold the shutdown
        await asyncio.wait_for(flush_usage(db, usage), STOP_SECONDS)


async def expiry_samples(db: Database) -> list[Sample]:
    """``roster_scim_token_expiry_seconds`` samples: one per live SCIM token (none when the
    database does not answer: /metrics must still answer)."""
    try:
        async with db.transaction(write=False) as tx:
            found = await token_expiry_seconds(tx)
    except Exception:
        return []
    return [((("name", name), ("token_id", tid)), float(s)) for tid, name, s in found]
