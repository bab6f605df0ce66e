"""Custom scalars. Timestamps travel in the stored fixed-width ISO-8601 UTC form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from app.domain.clock import to_iso

DateTime = NewType("DateTime", str)
"""A stored timestamp (no parsing on the way out: it is already in the wire format)."""


def _parse_datetime(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_iso(parsed)


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
