"""What a failed write's provisioning event recalls of its request: the externalId sent.

The write rolled back, so nothing stored says which IdP record it was about; the body does.
Read leniently: a body that is not JSON, or sends no externalId, gives None.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPERATIONS = "operations"
_EXTERNAL_ID = "externalid"


def _get(doc: dict[str, Any], lowered: str) -> Any:
    """An attribute by name, case-insensitively (RFC 7643 §2.1)."""
    return next((v for k, v in doc.items() if isinstance(k, str) and k.lower() == lowered), None)


def _of_patch(operations: list[Any]) -> str | None:
    """The last externalId a PatchOp sets (RFC 7644 §3.5.2), by path or in a value object."""
    found: str | None = None
    for op in operations:
        if not isinstance(op, dict):
            continue
        path, value = _get(op, "path"), _get(op, "value")
        if isinstance(path, str) and path.strip().lower() == _EXTERNAL_ID:
            found = value if isinstance(value, str) else found
        elif path is None and isinstance(value, dict):
            inner = _get(value, _EXTERNAL_ID)
            found = inner if isinstance(inner, str) else found
    return found


def sent_external_id(body: Any) -> str | None:
    """The externalId a resource body (POST, PUT) or a PatchOp sets, or None."""
    if isinstance(body, bytes):
        try:
            body = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
    if not isinstance(body, dict):
        return None
    operations = _get(body, _OPERATIONS)
    if isinstance(operations, list):
        return _of_patch(operations)
    found = _get(body, _EXTERNAL_ID)
    return found if isinstance(found, str) else None
