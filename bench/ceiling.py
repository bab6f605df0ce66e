"""The least a Starlette + uvicorn server can do per request, measured beside Roster.

GET → a fixed ~1 KB SCIM User; POST → parse the body, 201 + the same bytes. Bearer token
compared in constant time, as a real server would.
"""

from __future__ import annotations

import hmac
import os

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TOKEN = os.environ.get("CEILING_TOKEN", "t")
BODY = orjson.dumps(
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "01a22592-2841-7098-bcee-376d9f925f05",
        "userName": "user-1@example.com",
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"value": "user-1@example.com", "type": "work", "primary": True}],
        "active": True,
        "meta": {"resourceType": "User", "version": 'W/"1"'},
    }
)


async def handle(request: Request) -> Response:
    """One request, minimal work."""
    auth = request.headers.get("authorization", "")
    if not hmac.compare_digest(auth.encode(), f"Bearer {TOKEN}".encode()):
        return Response(status_code=401)
    if request.method in ("POST", "PUT", "PATCH"):
        orjson.loads(await request.body())
        return Response(BODY, 201, media_type="application/scim+json")
    return Response(BODY, media_type="application/scim+json")


app = Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "PATCH"])])
