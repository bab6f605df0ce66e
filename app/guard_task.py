"""The per-worker loop that settles the deprovisioning guard's leases (rule 19,
`app.domain.guard.leases`): a lease is spent for a quarter of a second at most, and a write at
the threshold in another worker waits for it to be settled, so this looks every
LEASE_SECONDS / 4. On PostgreSQL, and on SQLite with one worker (with several, SQLite takes no
leases)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from app.db import Database
from app.db.tasks import cancel_task
from app.domain.guard import counts
from app.domain.guard.leases import LEASE_SECONDS, book_of
from app.errors import DatabaseUnavailable

log = logging.getLogger("roster.guard")
STOP_SECONDS = 5.0


async def settle_due(db: Database) -> None:
    """Settle this process's spent and expired leases, in one transaction when there are any,
    on the Database's housekeeping connection: a worker whose pooled connections are all held
    by requests queued on the guard's lock behind a write that waits for this settlement must
    still be able to settle."""
    book = book_of(db.cache)
    if not book.due():
        return
    async with db.housekeeping() as tx:
        await counts.settle(tx, book)


async def settle_forever(db: Database) -> None:
    """`settle_due` every LEASE_SECONDS / 4 until cancelled; a failure is logged and retried
    (an unsettled lease keeps counting as every write it granted, which errs on the side of
    caution)."""
    while True:
        await asyncio.sleep(LEASE_SECONDS / 4)
        try:
            await settle_due(db)
        except DatabaseUnavailable:
            log.info("deprovisioning guard: database unavailable, leases settle later")
        except Exception:
            log.exception("settling the deprovisioning guard's leases failed")


def start(db: Database, *, sole_writer: bool) -> asyncio.Task[None] | None:
    """Take leases and start the loop: on PostgreSQL, and on SQLite when this process is the
    database's only writer (``sole_writer``: one worker)."""
    if db.kind != "postgresql" and not sole_writer:
        return None
    book_of(db.cache)  # on SQLite: declares this process the only writer (`leases.book_for`)
    return asyncio.create_task(settle_forever(db))


async def stop(task: asyncio.Task[None] | None, db: Database) -> None:
    """Stop the loop, stop spending every lease and settle them (best effort: the database may
    be gone, and then the leases count as granted until their grace period ends)."""
    if task is None:
        return
    await cancel_task(task)
    book_of(db.cache).close_all()
    with suppress(Exception):  # bounded: a database that hangs must not hold the shutdown
        await asyncio.wait_for(settle_due(db), STOP_SECONDS)
