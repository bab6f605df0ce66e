"""The hook of rule 19's guard in the SCIM writes: ask the domain before a destructive write.

A held write answers as a success would (PUT/PATCH 200 with the resource as stored, DELETE
204, a group PATCH 204), so the IdP neither retries nor quarantines the app; its provisioning
event records the outcome HELD.
"""

from __future__ import annotations

from app.domain.guard.model import DestructiveWrite
from app.domain.guard.rules import Verdict, judge
from app.scim.pipeline import Session

HELD_DETAIL = "held by the deprovisioning guard until an admin releases or discards it"


async def held(s: Session, write: DestructiveWrite | None) -> str | None:
    """None: apply the write; else it is held, and this is its event's detail."""
    if write is None:
        return None
    judged = await judge(s.tx, write, alone=not s.many)
    if judged.verdict is Verdict.APPLY:
        return None
    return judged.detail if judged.verdict is Verdict.TRIP else HELD_DETAIL
