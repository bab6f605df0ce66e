"""The hook of rule 19's guard in the SCIM writes: ask the domain before a destructive write.

A held write answers as a success would (PUT/PATCH 200 with the resource as stored, DELETE
204, a group PATCH 204), so the IdP neither retries nor quarantines the app; its provisioning
event records the outcome HELD.
"""

from __future__ import annotations

from app.domain.guard.counts import live_idp_users
from app.domain.guard.model import DestructiveWrite
from app.domain.guard.rules import Verdict, judge, trip_detail
from app.domain.guard.store import read_guard
from app.scim.pipeline import Session

HELD_DETAIL = "held by the deprovisioning guard until an admin releases or discards it"


async def held(s: Session, write: DestructiveWrite | None) -> str | None:
    """None: apply the write; else it is held, and this is its event's detail."""
    if write is None:
        return None
    verdict = await judge(s.tx, write, alone=not s.many)
    if verdict is Verdict.APPLY:
        return None
    if verdict is Verdict.HOLD:
        return HELD_DETAIL
    settings, _, _ = await read_guard(s.tx)
    return trip_detail(settings, settings.threshold(await live_idp_users(s.tx)))
