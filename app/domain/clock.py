"""Time and identifiers, in the one format every table uses."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta


def _iso(value: datetime) -> str:
    # isoformat is a third faster than strftime, and the hot paths call it on every request;
    # "+00:00" (6 characters) becomes "Z".
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


def now_iso() -> str:
    """Current UTC time as a fixed-width ISO-8601 string with microseconds."""
    return _iso(datetime.now(UTC))


def iso_in(days: float) -> str:
    """The ISO timestamp ``days`` from now (negative for the past)."""
    return _iso(datetime.now(UTC) + timedelta(days=days))


def to_iso(value: datetime) -> str:
    """Any aware datetime in the stored format."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TAIL_BITS = 74  # rand_a (12) and rand_b (62) of RFC 9562's layout
_last = [0, 0]  # the millisecond and tail of this process's last id
_lock = threading.Lock()


def new_id() -> str:
    """A UUID version 7, time-ordered, so the primary key orders rows by creation.

    Within one process ids are strictly increasing, even inside one millisecond (RFC 9562
    §6.2 method 2: a later id in the same millisecond adds a random step to the last one's
    random tail), so "created after" and "greater id" agree for a client's own writes.
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    tail = rand >> (80 - _TAIL_BITS)
    with _lock:
        last_ms, last_tail = _last
        if ms <= last_ms:  # the same millisecond, or the clock stepped back
            ms, tail = last_ms, last_tail + 1 + (rand & 0xFFFFFFFF)
            if tail >> _TAIL_BITS:
                ms, tail = ms + 1, rand >> (80 - _TAIL_BITS + 1)
        _last[:] = (ms, tail)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= (tail >> 62) << 64
    value |= 0b10 << 62
    value |= tail & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
