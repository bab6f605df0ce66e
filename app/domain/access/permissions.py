"""Who may use the admin API at all (what they may do there: app.domain.access.decision)."""

from __future__ import annotations

from app.domain.types import Actor, ActorKind
from app.errors import Forbidden


def require_writer(actor: Actor) -> None:
    """Raise Forbidden unless the actor may run admin mutations (OWNER, ADMIN or system)."""
    if actor.kind is ActorKind.SCIM:
        raise Forbidden("SCIM tokens cannot use the admin API")
    if not actor.can_write:
        raise Forbidden("this token is read-only (VIEWER): mutations are not allowed")
