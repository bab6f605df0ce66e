"""The guard's records: its settings and state, a held write, a release's outcome."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson


class GuardState(StrEnum):
    """Whether destructive IdP writes are applied (ARMED) or held (TRIPPED)."""

    ARMED = "ARMED"
    TRIPPED = "TRIPPED"
    OFF = "OFF"


class HeldKind(StrEnum):
    """What a destructive IdP write does."""

    DEACTIVATE_USER = "DEACTIVATE_USER"
    DELETE_USER = "DELETE_USER"
    REMOVE_MEMBERS = "REMOVE_MEMBERS"


DEFAULT_PERCENT = 5.0
DEFAULT_MINIMUM = 20
DEFAULT_WINDOW_MINUTES = 60


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """Threshold settings, stored in the `deprovisioning_guard` row (id 1)."""

    enabled: bool = True
    percent: float = DEFAULT_PERCENT
    minimum: int = DEFAULT_MINIMUM
    window_minutes: int = DEFAULT_WINDOW_MINUTES

    def threshold(self, live_idp_users: int) -> int:
        """How many destructive writes the window allows: the larger of ``percent`` of the
        live IdP-owned users and ``minimum``; one more trips the guard."""
        return max(self.minimum, math.floor(live_idp_users * self.percent / 100))


@dataclass(frozen=True, slots=True)
class GuardStatus:
    """The guard as admins see it."""

    settings: GuardSettings
    state: GuardState
    tripped_at: str | None
    threshold: int
    counted: int  # destructive writes applied within the window
    held_count: int


@dataclass(frozen=True, slots=True)
class DestructiveWrite:
    """A destructive IdP write as the guard judges (and, if held, stores) it.

    ``payload``: what the domain function needs to apply it later (for a user update, the
    provisioned values; for a group, the member change); ``key`` tells repeats apart.
    """

    kind: HeldKind
    resource_type: str  # "User" | "Group"
    resource_id: str
    method: str  # the SCIM method: PATCH, PUT, DELETE
    payload: dict[str, Any]
    token_id: str | None
    request_id: str | None

    @property
    def key(self) -> str:
        """Same target, same operation, same values: a repeat."""
        body = orjson.dumps(
            [self.kind.value, self.resource_id, self.method, self.payload],
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class HeldWrite:
    """A destructive write held since the guard tripped, waiting for an admin's word."""

    id: str
    seq: int
    kind: HeldKind
    resource_type: str
    resource_id: str
    method: str
    payload: dict[str, Any]
    token_id: str | None
    request_id: str | None
    first_at: str
    last_at: str
    repeats: int  # how many times the IdP sent it again (joined this entry)


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    """What releasing one held write did: applied, or the error that refused it."""

    held: HeldWrite
    applied: bool
    error: str | None = None
