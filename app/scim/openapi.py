"""An OpenAPI 3.1 description of the SCIM surface (served at /scim/v2/openapi.json)."""

from __future__ import annotations

from typing import Any

from app.settings import Settings

SCIM = "application/scim+json"
_OBJECT = {"type": "object", "additionalProperties": True}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _body(name: str) -> dict[str, Any]:
    schema = _ref(name)
    return {"content": {SCIM: {"schema": schema}, "application/json": {"schema": schema}}}


def _answer(description: str, name: str | None = None) -> dict[str, Any]:
    if name is None:
        return {"description": description}
    return {"description": description, "content": {SCIM: {"schema": _ref(name)}}}


_ERRORS = {
    code: _answer(text, "Error")
    for code, text in (
        ("400", "invalidSyntax, invalidValue, invalidFilter, invalidPath, noTarget, mutability"),
        ("401", "missing or invalid SCIM token"),
        ("403", "the change would touch a protected OWNER"),
        ("404", "no such resource"),
        ("409", "uniqueness"),
        ("412", "If-Match names another version"),
        ("413", "body over the size limit"),
        ("415", "Content-Type is not application/scim+json or application/json"),
        ("503", "database unavailable; retry after Retry-After seconds"),
    )
}
_QUERY = [
    {"name": n, "in": "query", "required": False, "schema": {"type": t}, "description": d}
    for n, t, d in (
        ("filter", "string", "RFC 7644 §3.4.2.2 filter"),
        ("startIndex", "integer", "1-based index of the first result"),
        ("count", "integer", "page size (0 gives only totalResults)"),
        ("sortBy", "string", "attribute to sort on"),
        ("sortOrder", "string", "ascending or descending"),
        ("attributes", "string", "comma-separated attributes to return"),
        ("excludedAttributes", "string", "comma-separated attributes to leave out"),
    )
]
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _collection(resource: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"Query {resource}s",
            "parameters": _QUERY,
            "responses": {"200": _answer("a page", "ListResponse"), **_ERRORS},
        },
        "post": {
            "summary": f"Create a {resource}",
            "requestBody": _body(resource),
            "responses": {"201": _answer("created", resource), **_ERRORS},
        },
    }


def _item(resource: str, patch_ok: str) -> dict[str, Any]:
    return {
        "parameters": [_ID],
        "get": {
            "summary": f"Read a {resource}",
            "parameters": _QUERY[-2:],
            "responses": {
                "200": _answer(resource, resource),
                "304": _answer("unchanged"),
                **_ERRORS,
            },
        },
        "put": {
            "summary": f"Replace a {resource}",
            "requestBody": _body(resource),
            "responses": {"200": _answer("replaced", resource), **_ERRORS},
        },
        "patch": {
            "summary": f"Modify a {resource} (RFC 7644 §3.5.2)",
            "requestBody": _body("PatchOp"),
            "responses": {
                "200": _answer(patch_ok, resource),
                "204": _answer("modified"),
                **_ERRORS,
            },
        },
        "delete": {
            "summary": f"Delete a {resource}",
            "responses": {"204": _answer("deleted"), **_ERRORS},
        },
    }


def _search(what: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": f"Query {what} with a SearchRequest body",
            "requestBody": _body("SearchRequest"),
            "responses": {"200": _answer("a page", "ListResponse"), **_ERRORS},
        }
    }


def _discovery(summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "security": [],
            "responses": {"200": _answer(summary, "Resource")},
        }
    }


def _schemas() -> dict[str, Any]:
    common: dict[str, Any] = {
        "schemas": {"type": "array", "items": {"type": "string"}},
        "id": {"type": "string", "readOnly": True},
        "externalId": {"type": "string"},
        "meta": {**_OBJECT, "readOnly": True},
    }
    resource = {**_OBJECT, "required": ["schemas"], "properties": common}
    user = {
        **resource,
        "required": ["schemas", "userName"],
        "properties": {
            **common,
            "userName": {"type": "string"},
            "active": {"type": "boolean"},
            "name": _OBJECT,
            "emails": {"type": "array", "items": _OBJECT},
        },
    }
    group = {
        **resource,
        "required": ["schemas", "displayName"],
        "properties": {
            **common,
            "displayName": {"type": "string"},
            "members": {"type": "array", "items": _OBJECT},
        },
    }
    operation = {
        **_OBJECT,
        "required": ["op"],
        "properties": {"op": {"type": "string"}, "path": {"type": "string"}, "value": {}},
    }
    return {"Resource": resource, "User": user, "Group": group, **_messages(operation)}


def _messages(operation: dict[str, Any]) -> dict[str, Any]:
    return {
        "PatchOp": {
            **_OBJECT,
            "required": ["Operations"],
            "properties": {"Operations": {"type": "array", "items": operation}},
        },
        "SearchRequest": {**_OBJECT, "properties": {p["name"]: p["schema"] for p in _QUERY}},
        "ListResponse": {
            **_OBJECT,
            "properties": {
                "totalResults": {"type": "integer"},
                "itemsPerPage": {"type": "integer"},
                "startIndex": {"type": "integer"},
                "Resources": {"type": "array", "items": _OBJECT},
            },
        },
        "Error": {
            **_OBJECT,
            "required": ["schemas", "status"],
            "properties": {
                "status": {"type": "string"},
                "scimType": {"type": "string"},
                "detail": {"type": "string"},
            },
        },
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``settings.base_url``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Roster SCIM 2.0",
            "version": "2.0",
            "description": "SCIM 2.0 service provider (RFC 7643, RFC 7644).",
        },
        "servers": [{"url": settings.base_url + "/scim/v2"}],
        "security": [{"bearer": []}],
        "paths": {
            "/Users": _collection("User"),
            "/Users/{id}": _item("User", "the modified user"),
            "/Users/.search": _search("users"),
            "/Groups": _collection("Group"),
            "/Groups/{id}": _item("Group", "with attributes/excludedAttributes"),
            "/Groups/.search": _search("groups"),
            "/.search": _search("users and groups"),
            "/ServiceProviderConfig": _discovery("ServiceProviderConfig"),
            "/ResourceTypes": _discovery("ResourceTypes"),
            "/ResourceTypes/{name}": _discovery("a ResourceType"),
            "/Schemas": _discovery("Schemas"),
            "/Schemas/{urn}": _discovery("a Schema"),
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
