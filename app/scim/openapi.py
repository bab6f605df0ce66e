"""An OpenAPI 3.1 description of the SCIM surface (served at /scim/v2/openapi.json).

The request schemas say what a well-formed request looks like (so a generator such as
schemathesis reaches the handlers rather than the first 400); what JSON Schema cannot say
(the filter and PATCH path grammars, the Profile Editor's attributes) is checked by the
server and answered 400 with a SCIM error. The response schemas are what every answer
conforms to; `tests/e2e/test_fuzz.py` checks the server against them.
"""

from __future__ import annotations

from typing import Any

from app.scim.openapi_bulk import CURSOR_PARAMETER, bulk_path, bulk_schemas
from app.scim.openapi_schemas import STRING as _STRING
from app.scim.openapi_schemas import component_schemas
from app.scim.openapi_schemas import ref as _ref
from app.settings import Settings

SCIM = "application/scim+json"


def _body(name: str) -> dict[str, Any]:
    schema = _ref(name)
    return {
        "required": True,
        "content": {SCIM: {"schema": schema}, "application/json": {"schema": schema}},
    }


def _answer(
    description: str, name: str | None = None, headers: tuple[str, ...] = ()
) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if name is not None:
        answer["content"] = {SCIM: {"schema": _ref(name)}}
    if headers:
        answer["headers"] = {h: {"required": True, "schema": _STRING} for h in headers}
    return answer


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
        ("429", "too many requests for this token; retry after Retry-After seconds"),
        ("503", "database unavailable; retry after Retry-After seconds"),
    )
}
_SORT_ORDER = {"type": "string", "enum": ["ascending", "descending"]}
_QUERY = [
    {"name": n, "in": "query", "required": False, "schema": s, "description": d}
    for n, s, d in (
        ("filter", _STRING, "RFC 7644 §3.4.2.2 filter"),
        ("startIndex", {"type": "integer"}, "1-based index of the first result (< 1 means 1)"),
        ("count", {"type": "integer"}, "page size (0 gives only totalResults; capped)"),
        CURSOR_PARAMETER,
        ("sortBy", _STRING, "attribute to sort on"),
        ("sortOrder", _SORT_ORDER, "ascending (default) or descending, in any letter case"),
        ("attributes", _STRING, "comma-separated attributes to return"),
        ("excludedAttributes", _STRING, "comma-separated attributes to leave out"),
    )
]
_ID = {"name": "id", "in": "path", "required": True, "schema": _STRING}


def _collection(resource: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": f"Query {resource}s",
            "parameters": _QUERY,
            "responses": {"200": _answer("a page", "ListResponse"), **_ERRORS},
        },
        "post": {
            "summary": f"Create a {resource}",
            "parameters": _QUERY[-2:],
            "requestBody": _body(resource),
            "responses": {
                "201": _answer("created", f"{resource}Resource", ("ETag", "Location")),
                **_ERRORS,
            },
        },
    }


def _item(resource: str, patch_ok: str) -> dict[str, Any]:
    found = f"{resource}Resource"
    return {
        "parameters": [_ID],
        "get": {
            "summary": f"Read a {resource}",
            "parameters": _QUERY[-2:],
            "responses": {
                "200": _answer(resource, found, ("ETag",)),
                "304": _answer("unchanged (If-None-Match)", headers=("ETag",)),
                **_ERRORS,
            },
        },
        "put": {
            "summary": f"Replace a {resource}",
            "parameters": _QUERY[-2:],
            "requestBody": _body(resource),
            "responses": {"200": _answer("replaced", found, ("ETag",)), **_ERRORS},
        },
        "patch": {
            "summary": f"Modify a {resource} (RFC 7644 §3.5.2)",
            "parameters": _QUERY[-2:],
            "requestBody": _body("PatchOp"),
            "responses": {
                "200": _answer(patch_ok, found, ("ETag",)),
                "204": _answer("modified", headers=("ETag",)),
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


def _discovery(summary: str, name: str, param: str | None = None) -> dict[str, Any]:
    """A discovery endpoint: readable without a token (RFC 7644 §4)."""
    get: dict[str, Any] = {
        "summary": summary,
        "security": [],
        "responses": {"200": _answer(summary, name)},
    }
    if param is not None:
        get["parameters"] = [{"name": param, "in": "path", "required": True, "schema": _STRING}]
        get["responses"]["404"] = _answer(f"no such {param}", "Error")
    return {"get": get}


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
            "/Bulk": bulk_path(_ERRORS),
            "/ServiceProviderConfig": _discovery("ServiceProviderConfig", "Resource"),
            "/ResourceTypes": _discovery("ResourceTypes", "ListResponse"),
            "/ResourceTypes/{name}": _discovery("a ResourceType", "Resource", "name"),
            "/Schemas": _discovery("Schemas", "ListResponse"),
            "/Schemas/{urn}": _discovery("a Schema", "Resource", "urn"),
        },
        "components": {
            "schemas": {
                **component_schemas({str(p["name"]): p["schema"] for p in _QUERY}),
                **bulk_schemas(),
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
