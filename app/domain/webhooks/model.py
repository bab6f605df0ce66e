"""What the webhooks package reads and writes: endpoints, deliveries, attempts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: How long a failing delivery keeps being retried before it is FAILED (and its endpoint
#: FAILING), in seconds from the delivery's creation.
GIVE_UP_AFTER = 24 * 3600.0
#: The longest wait between two attempts, in seconds.
MAX_BACKOFF = 3600.0
#: Deliveries in flight at once, per worker.
IN_FLIGHT = 8
#: Bytes of a response kept in the delivery log.
EXCERPT = 1024


class EndpointState(StrEnum):
    """ACTIVE, or FAILING once a delivery gave up (a later success makes it ACTIVE again)."""

    ACTIVE = "ACTIVE"
    FAILING = "FAILING"


class EndpointFormat(StrEnum):
    """JSON (the event document) or SET (RFC 9967 Security Event Tokens)."""

    JSON = "JSON"
    SET = "SET"


class DeliveryStatus(StrEnum):
    """PENDING until a 2xx answer (DELIVERED) or 24 hours of failures (FAILED)."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A webhook endpoint. ``secret`` and ``previous_secret`` sign deliveries; the previous
    one until ``previous_secret_expires_at`` (the rotation overlap).

    An endpoint of format SET receives each event that has Security Event Tokens as those
    tokens (app.domain.security_events), one POST per token; events without any (roles,
    tokens, settings) are not fanned out to it."""

    id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    format: EndpointFormat
    enabled: bool
    state: EndpointState
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: str | None
    cursor_seq: int
    failing_since: str | None
    last_success_at: str | None
    version: int
    created_at: str
    updated_at: str

    def wants(self, event_type: str) -> bool:
        """The endpoint's filter takes this type (an empty filter takes every type)."""
        return not self.event_types or event_type in self.event_types


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event to send to one endpoint, as leased by a worker."""

    id: str
    endpoint_id: str
    event_seq: int
    event_id: str
    resource_key: str
    attempts: int
    created_at: str
    lease_id: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP attempt of the delivery log. ``status_code`` is None when nothing answered."""

    id: str
    endpoint_id: str
    delivery_id: str
    event_seq: int
    at: str
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str | None

    @property
    def succeeded(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300
