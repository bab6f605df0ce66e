"""SCIM traffic counted in memory, per process, between two flushes (no I/O here).

Counting a request is a dictionary update: the SCIM hot path pays no statement of its own.
`app.domain.provisioning.health.flush_usage` adds what a process counted to the shared
per-hour rows every few seconds, so every worker's traffic ends up in one place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

HOUR = 3600


@dataclass(frozen=True, slots=True)
class LastError:
    """A token's latest failed SCIM request."""

    at: str
    status: int
    detail: str


@dataclass(slots=True)
class UsageBatch:
    """What one process counted since its last flush.

    ``counts`` maps (token id, UTC hour as epoch seconds) to [requests, errors, writes,
    write errors]; ``probes`` maps a token id to when the IdP's connection test was seen.
    """

    counts: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    last_errors: dict[str, LastError] = field(default_factory=dict)
    probes: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.counts or self.last_errors or self.probes)


class UsageBuffer:
    """The counters of one process; `take` hands them over and starts afresh."""

    def __init__(self) -> None:
        self._batch = UsageBatch()

    def _slot(self, token_id: str) -> list[int]:
        key = (token_id, int(time.time()) // HOUR * HOUR)
        slot = self._batch.counts.get(key)
        if slot is None:
            slot = self._batch.counts[key] = [0, 0, 0, 0]
        return slot

    def note_request(self, token_id: str, status: int) -> None:
        """One authenticated SCIM request and its status."""
        slot = self._slot(token_id)
        slot[0] += 1
        if status >= 400:
            slot[1] += 1

    def note_write(self, token_id: str, *, failed: bool) -> None:
        """One SCIM write (a single request or one Bulk operation)."""
        slot = self._slot(token_id)
        slot[2] += 1
        if failed:
            slot[3] += 1

    def note_error(self, token_id: str, error: LastError) -> None:
        """The latest error of a token (the last one noted wins)."""
        self._batch.last_errors[token_id] = error

    def note_probe(self, token_id: str, at: str) -> None:
        """The IdP's connection test was seen."""
        self._batch.probes[token_id] = at

    def take(self) -> UsageBatch:
        """Everything counted so far; the buffer starts empty."""
        batch, self._batch = self._batch, UsageBatch()
        return batch

    def give_back(self, batch: UsageBatch) -> None:
        """Put back a batch whose flush failed, so the next flush carries it."""
        for key, counts in batch.counts.items():
            slot = self._batch.counts.setdefault(key, [0, 0, 0, 0])
            for i, n in enumerate(counts):
                slot[i] += n
        for token_id, error in batch.last_errors.items():
            self._batch.last_errors.setdefault(token_id, error)
        for token_id, at in batch.probes.items():
            self._batch.probes.setdefault(token_id, at)
