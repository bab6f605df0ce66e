"""The component schemas of the SCIM OpenAPI document (`app.scim.openapi`): resources as
requests send them and as answers carry them, and the RFC 7644 messages."""

from __future__ import annotations

from typing import Any

from app.scim.openapi_bulk import CURSOR
from app.scim.wire import (
    ENTERPRISE_URN,
    ERROR_URN,
    GROUP_URN,
    LIST_URN,
    PATCH_URN,
    ROSTER_URN,
    SEARCH_URN,
    USER_URN,
)

OBJECT = {"type": "object", "additionalProperties": True}
STRING = {"type": "string"}
# A non-blank string of at most 255 characters (userName, displayName).
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"}
SCIM_TYPES = (
    "invalidFilter",
    "tooMany",
    "uniqueness",
    "mutability",
    "invalidSyntax",
    "invalidPath",
    "noTarget",
    "invalidValue",
    "invalidVers",
    "sensitive",
    "invalidCursor",
    "expiredCursor",
)


def ref(name: str) -> dict[str, Any]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _schemas_of(core: str, *extensions: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "enum": [core, *extensions]},
        "contains": {"const": core},
    }


_COMMON: dict[str, Any] = {
    "schemas": {"type": "array", "items": STRING},
    "id": {"type": "string", "readOnly": True},
    "externalId": STRING,
    "meta": {**OBJECT, "readOnly": True},
}


def _user() -> dict[str, Any]:
    return {
        **OBJECT,
        "required": ["schemas", "userName"],
        "properties": {
            **_COMMON,
            "schemas": _schemas_of(USER_URN, ENTERPRISE_URN, ROSTER_URN),
            "userName": _NAME,
            "active": {"type": "boolean"},
            "name": {**OBJECT, "properties": {"givenName": STRING, "familyName": STRING}},
            "emails": {"type": "array", "items": OBJECT},
        },
    }


def _group() -> dict[str, Any]:
    return {
        **OBJECT,
        "required": ["schemas", "displayName"],
        "properties": {
            **_COMMON,
            "schemas": _schemas_of(GROUP_URN),
            "displayName": _NAME,
            "members": {
                "type": "array",
                "items": {**OBJECT, "required": ["value"], "properties": {"value": STRING}},
            },
        },
    }


def _patch_op() -> dict[str, Any]:
    operation = {
        **OBJECT,
        "required": ["op"],
        "properties": {
            "op": {"type": "string", "enum": ["add", "replace", "remove"]},
            "path": STRING,
            "value": {},
        },
    }
    return {
        **OBJECT,
        "required": ["schemas", "Operations"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": PATCH_URN}, "minItems": 1},
            "Operations": {"type": "array", "items": operation, "minItems": 1},
        },
    }


def _search_request(query: dict[str, Any]) -> dict[str, Any]:
    names = {"type": "array", "items": STRING}
    return {
        **OBJECT,
        "properties": {
            **query,
            "schemas": {"type": "array", "items": {"const": SEARCH_URN}, "minItems": 1},
            # RFC 7644 §3.4.3: arrays; a comma-separated string is accepted too.
            "attributes": {"oneOf": [names, STRING]},
            "excludedAttributes": {"oneOf": [names, STRING]},
        },
    }


def _list_response() -> dict[str, Any]:
    return {
        **OBJECT,
        # startIndex with index paging; nextCursor/previousCursor with cursor paging.
        "required": ["schemas", "totalResults", "itemsPerPage", "Resources"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": LIST_URN}},
            "totalResults": {"type": "integer", "minimum": 0},
            "itemsPerPage": {"type": "integer", "minimum": 0},
            "startIndex": {"type": "integer", "minimum": 1},
            "nextCursor": CURSOR,
            "previousCursor": CURSOR,
            "Resources": {"type": "array", "items": ref("Resource")},
        },
    }


def _error() -> dict[str, Any]:
    return {
        **OBJECT,
        "required": ["schemas", "status", "detail"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": ERROR_URN}},
            "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
            "scimType": {"type": "string", "enum": list(SCIM_TYPES)},
            "detail": STRING,
        },
    }


def component_schemas(query: dict[str, Any]) -> dict[str, Any]:
    """Every component schema; ``query`` are the list parameters a SearchRequest carries."""
    found = {**OBJECT, "required": ["schemas", "id"], "properties": _COMMON}
    return {
        "Resource": {**OBJECT, "required": ["schemas"], "properties": _COMMON},
        "User": _user(),
        "Group": _group(),
        "UserResource": found,
        "GroupResource": found,
        "PatchOp": _patch_op(),
        "SearchRequest": _search_request(query),
        "ListResponse": _list_response(),
        "Error": _error(),
    }
