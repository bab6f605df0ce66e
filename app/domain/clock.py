"""Time and identifiers, in the one format every table uses."""

from __future__ import annotations

import os
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


def new_id() -> str:
    """A UUID version 7: time-ordered, so the primary key orders rows by creation."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 64) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
