"""``GET /.well-known/jwks.json``: the public keys Security Event Tokens are signed with.

Every worker answers with the same document: the key is generated once per deployment, under
a lock, on the first request or the first token signed (app.domain.security_events.keys).
Receivers may cache it for five minutes; a key that signs is published before its first use.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.db import Database
from app.domain.security_events import jwks, published_jwks
from app.errors import DatabaseUnavailable

PATH = "/.well-known/jwks.json"
CACHE_CONTROL = "public, max-age=300"


def jwks_route(db: Database) -> Route:
    """The route (mounted with the feed by app.main)."""

    async def endpoint(request: Request) -> Response:
        try:
            async with db.transaction(write=False) as tx:
                document = await published_jwks(tx)
            if document is None:  # the deployment's first key: made once, under a lock
                async with db.transaction() as tx:
                    document = await jwks(tx)
        except DatabaseUnavailable as exc:
            detail = getattr(exc, "message", None) or str(exc)
            return JSONResponse(
                {"status": 503, "detail": detail}, 503, headers={"Retry-After": "1"}
            )
        return JSONResponse(
            document,
            headers={"Cache-Control": CACHE_CONTROL},
            media_type="application/jwk-set+json",
        )

    return Route(PATH, endpoint, methods=["GET"])
