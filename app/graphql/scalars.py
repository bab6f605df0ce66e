"""Custom scalars. Timestamps travel in the stored fixed-width ISO-8601 UTC form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from app.domain.clock import to_iso

DateTime = NewType("DateTime", str)
"""A stored timestamp (no parsing on the way out: it is already in the wire format)."""


_INVALID = (
    "DateTime must be an ISO-8601 timestamp in years 1000 to 9999 (UTC), e.g. 2026-01-31T12:00:00Z"
)


def _parse_datetime(value: object) -> str:
    """The stored form; a ValueError with a clear message for anything else, which graphql-core
    reports as a validation error (an unparsable date, or one outside years 1000-9999 in UTC)."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(_INVALID)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        stored = to_iso(parsed)
    except (ValueError, OverflowError):
        raise ValueError(_INVALID) from None
    if len(stored) != 27:  # strftime writes years before 1000 unpadded: not comparable
        raise ValueError(_INVALID)
    return stored


SCALARS: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description=(
            "An ISO-8601 timestamp. Output: UTC with microseconds, e.g. "
            "2026-11-29T04:19:58.123456Z; input: any ISO-8601 form (no offset means UTC)."
        ),
        serialize=lambda v: v,
        parse_value=_parse_datetime,
    )
}
