"""The checks every aggregate shares: optimistic versions and externalId values.

One place for each, so users and groups, admin and IdP paths, refuse the same inputs with the
same words.
"""

from __future__ import annotations

from typing import Any

from app.errors import InvalidValue, VersionConflict

EXTERNAL_ID_MAX = 255


def check_version(kind: str, record_id: str, current: int, expected: int | None) -> None:
    """Raise VersionConflict when the caller expected another version (None: no expectation)."""
    if expected is not None and expected != current:
        raise VersionConflict(
            f"{kind} {record_id} is at version {current}, not {expected}", fields=["version"]
        )


def check_external_id(value: Any) -> str | None:
    """An externalId is absent (None) or a string of at most 255 characters without U+0000,
    for users and groups alike, whether an admin or an IdP sends it."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > EXTERNAL_ID_MAX or "\x00" in value:
        raise InvalidValue(
            f"externalId must be a string of at most {EXTERNAL_ID_MAX} characters, without U+0000",
            ["externalId"],
        )
    return value
