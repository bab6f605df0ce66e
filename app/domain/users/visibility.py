"""What a HIDDEN profile attribute means (the Profile Editor's status).

A HIDDEN attribute is still stored, written (by admins, and by the IdP over SCIM) and audited,
but its values are not exported: SCIM never returns it (`returned: "never"` in /Schemas), and
admin API readers who cannot edit users (VIEWER tokens) do not see its values, in user fields,
in `profile`, in the audit log's before/after, nor through a search or attribute filter that
would answer yes or no about them. OWNER and ADMIN see and edit it, so that they can manage it;
its `status` is shown to everyone. loginId, email and displayName can never be hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.settings.catalogue import Catalogue
from app.domain.types import Actor, AttributeStatus

MASK = "<hidden>"


def may_read_hidden(actor: Actor) -> bool:
    """Whether the actor sees the values of HIDDEN attributes: those who may edit users."""
    return actor.can_write


def hidden_names(catalogue: Catalogue) -> frozenset[str]:
    """The variable names of the HIDDEN attributes."""
    return frozenset(a.name for a in catalogue.attributes if a.status is AttributeStatus.HIDDEN)


def hidden_from(actor: Actor, catalogue: Catalogue) -> frozenset[str]:
    """The attributes whose values this actor may not read (none for OWNER and ADMIN)."""
    return frozenset() if may_read_hidden(actor) else hidden_names(catalogue)


def visible_profile(profile: Mapping[str, Any], hidden: frozenset[str]) -> Mapping[str, Any]:
    """The profile without the values of ``hidden`` attributes (itself when none is)."""
    if not hidden:
        return profile
    return {k: v for k, v in profile.items() if k not in hidden}


def masks_change(field: str, hidden: frozenset[str]) -> bool:
    """Whether an audited change of ``field`` (profile values as profile.<name>) is masked."""
    return field.startswith("profile.") and field[8:] in hidden
