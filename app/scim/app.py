"""The SCIM 2.0 sub-application mounted at /scim/v2 (RFC 7644 §3.2 endpoints)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from app.db import Database
from app.domain.provisioning.usage import UsageBuffer
from app.domain.settings.catalogue import Catalogue, get_catalogue
from app.scim import bulk, groups, lists, users
from app.scim.discovery import resource_types, schemas, service_provider_config
from app.scim.endpoint import endpoint
from app.scim.errors import ScimError, error_response
from app.scim.lists import list_body
from app.scim.openapi import openapi_document
from app.scim.pipeline import Call, Handler
from app.scim.router import ScimRouter
from app.scim.wire import scim_json
from app.scim.writes import write_endpoint
from app.settings import Settings


async def _catalogue(call: Call) -> Catalogue:
    # Discovery is readable without a token (RFC 7644 §4) and follows the live catalogue: the
    # roster extension lists its custom attributes and is offered while there are some.
    async with call.db.transaction(write=False) as tx:
        return await get_catalogue(tx)


async def _schemas(call: Call) -> list[dict[str, object]]:
    return schemas(await _catalogue(call), call.base)


def _one(found: list[dict[str, object]], key: str, name: str) -> Response:
    for doc in found:
        if str(doc.get("id", "")).lower() == name.lower():
            return scim_json(doc)
    raise ScimError(404, f"no {key} {name!r}")


async def get_schemas(call: Call) -> Response:
    """GET /Schemas and /Schemas/{urn}."""
    found = await _schemas(call)
    urn = call.request.path_params.get("urn")
    if urn is not None:
        return _one(found, "schema", urn)
    return scim_json(list_body(len(found), 1, found))


async def get_resource_types(call: Call) -> Response:
    """GET /ResourceTypes and /ResourceTypes/{name}."""
    found = resource_types(await _catalogue(call), call.base)
    name = call.request.path_params.get("name")
    if name is not None:
        return _one(found, "resource type", name)
    return scim_json(list_body(len(found), 1, found))


async def get_config(call: Call) -> Response:
    """GET /ServiceProviderConfig."""
    return scim_json(service_provider_config(call.settings, call.base))


async def get_openapi(call: Call) -> Response:
    """GET /openapi.json."""
    return scim_json(openapi_document(call.settings))


async def http_error(request: Request, exc: Exception) -> Response:
    """404 and 405 as SCIM errors (also used by app.main for /scim/v2 paths its mount cannot
    match, such as one with a newline in it)."""
    assert isinstance(exc, HTTPException)
    path = request.scope["path"]  # as sent: request.url drops control characters
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {path}"
    else:
        detail = f"no SCIM endpoint at {path}"
    response = error_response(ScimError(exc.status_code, detail))
    response.headers.update(exc.headers or {})
    return response


Route = tuple[str, Handler, list[str]]


def _resource_routes(endpoint: str, list_all: Handler, get_one: Handler) -> list[Route]:
    """The routes of a resource endpoint (RFC 7644 §3.2): list and search, create, and read,
    replace, patch and delete by id; the writes are those of app.scim.writes."""
    base, one = f"/{endpoint}", f"/{endpoint}/{{id}}"
    return [
        (base, list_all, ["GET"]),
        (base, write_endpoint("POST", endpoint), ["POST"]),
        (f"{base}/.search", list_all, ["POST"]),
        (one, get_one, ["GET"]),
        *((one, write_endpoint(m, endpoint), [m]) for m in ("PUT", "PATCH", "DELETE")),
    ]


def build_scim_app(settings: Settings, db: Database, usage: UsageBuffer | None = None) -> ASGIApp:
    """The SCIM sub-app for ``settings`` over ``db``, counting token usage into ``usage``."""
    wrap = endpoint(settings, db, usage or UsageBuffer())
    table: list[Route] = [
        *_resource_routes("Users", lists.list_users, users.get_user),
        *_resource_routes("Groups", lists.list_groups, groups.get_group),
        ("/.search", lists.search_all, ["POST"]),
        ("/Bulk", bulk.bulk, ["POST"]),
        ("/ServiceProviderConfig", get_config, ["GET"]),
        ("/ResourceTypes", get_resource_types, ["GET"]),
        ("/ResourceTypes/{name}", get_resource_types, ["GET"]),
        ("/Schemas", get_schemas, ["GET"]),
        ("/Schemas/{urn:path}", get_schemas, ["GET"]),
        ("/openapi.json", get_openapi, ["GET"]),
    ]

    return ScimRouter([(path, wrap(handler), methods) for path, handler, methods in table])
