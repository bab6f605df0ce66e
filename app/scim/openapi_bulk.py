"""The OpenAPI description of POST /Bulk (RFC 7644 §3.7) and of cursor pages (RFC 9865), for
`app.scim.openapi`."""

from __future__ import annotations

from typing import Any

SCIM = "application/scim+json"
REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
_OBJECT = {"type": "object", "additionalProperties": True}
_STRING = {"type": "string"}
# RFC 9865 §2: a cursor is made of unreserved characters (RFC 3986 §2.3).
CURSOR = {"type": "string", "pattern": "^[A-Za-z0-9._~-]+$"}
CURSOR_PARAMETER = (
    "cursor",
    {"type": "string", "pattern": "^[A-Za-z0-9._~-]*$"},
    "RFC 9865 cursor paging on /Users and /Groups: empty for the first page, then a "
    "nextCursor or previousCursor (not with startIndex)",
)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def bulk_path(errors: dict[str, Any]) -> dict[str, Any]:
    """The /Bulk path item; ``errors`` are the shared error answers."""
    schema = _ref("BulkRequest")
    return {
        "post": {
            "summary": "Run many writes, each in its own savepoint (RFC 7644 §3.7)",
            "requestBody": {
                "required": True,
                "content": {SCIM: {"schema": schema}, "application/json": {"schema": schema}},
            },
            "responses": {
                "200": {
                    "description": "the result of each operation processed",
                    "content": {SCIM: {"schema": _ref("BulkResponse")}},
                },
                **errors,
            },
        }
    }


def _operation() -> dict[str, Any]:
    method = {"type": "string", "enum": ["POST", "PUT", "PATCH", "DELETE"]}
    names = ("bulkId", "version", "path")
    return {
        **_OBJECT,
        "required": ["method", "path"],
        "properties": {"method": method, **dict.fromkeys(names, _STRING), "data": _OBJECT},
    }


def _result() -> dict[str, Any]:
    names = ("method", "bulkId", "version", "location")
    return {
        **_OBJECT,
        "required": ["method", "status"],
        "properties": {
            **dict.fromkeys(names, _STRING),
            "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
            "response": _ref("Error"),
        },
    }


def bulk_schemas() -> dict[str, Any]:
    """BulkRequest and BulkResponse."""
    return {
        "BulkRequest": {
            **_OBJECT,
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": {"type": "array", "items": {"const": REQUEST_URN}, "minItems": 1},
                "failOnErrors": {"type": "integer", "minimum": 1},
                "Operations": {"type": "array", "items": _operation()},
            },
        },
        "BulkResponse": {
            **_OBJECT,
            "required": ["schemas", "Operations"],
            "properties": {
                "schemas": {"type": "array", "items": {"const": RESPONSE_URN}},
                "Operations": {"type": "array", "items": _result()},
            },
        },
    }
