"""The one mapping from domain errors to SCIM errors (RFC 7644 §3.12).

Every error body uses the Error schema, with ``status`` as a string, ``scimType`` only where
RFC 7644 defines one, and a ``detail`` that names the attribute or value at fault.
"""

from __future__ import annotations

import logging

from starlette.responses import Response

from app import errors as domain
from app.scim.wire import ERROR_URN, scim_json

log = logging.getLogger("roster.scim")

WWW_AUTHENTICATE = 'Bearer realm="roster-scim"'


class ScimError(Exception):
    """An error answer of the SCIM surface."""

    def __init__(
        self,
        status: int,
        detail: str,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}


def invalid_value(detail: str) -> ScimError:
    """400 invalidValue."""
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    """400 invalidSyntax."""
    return ScimError(400, detail, "invalidSyntax")


def invalid_path(detail: str) -> ScimError:
    """400 invalidPath."""
    return ScimError(400, detail, "invalidPath")


def no_target(detail: str) -> ScimError:
    """400 noTarget."""
    return ScimError(400, detail, "noTarget")


def mutability(detail: str) -> ScimError:
    """400 mutability."""
    return ScimError(400, detail, "mutability")


def unauthorized(detail: str) -> ScimError:
    """401 with the challenge RFC 6750 asks for."""
    return ScimError(401, detail, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


_TABLE: tuple[tuple[type[domain.RosterError], int, str | None], ...] = (
    (domain.NotFound, 404, None),
    (domain.AlreadyExists, 409, "uniqueness"),
    (domain.InvalidValue, 400, "invalidValue"),
    (domain.Mutability, 400, "mutability"),
    (domain.ManagedByIdp, 400, "mutability"),
    (domain.ProtectedAdmin, 403, None),
    (domain.LastOwner, 403, None),
    (domain.Forbidden, 403, None),
    # RFC 7644 §3.12 defines no scimType for 412; the detail says which version is current.
    (domain.VersionConflict, 412, None),
    (domain.IdpLocked, 409, None),
    (domain.TokenLimitReached, 409, None),
)


def from_domain(exc: domain.RosterError) -> ScimError:
    """The SCIM error for a domain error."""
    if isinstance(exc, domain.Unauthenticated | domain.ProvisioningDisabled):
        return unauthorized(exc.message)
    if isinstance(exc, domain.DatabaseUnavailable):
        return ScimError(503, exc.message, headers={"Retry-After": "1"})
    for kind, status, scim_type in _TABLE:
        if isinstance(exc, kind):
            return ScimError(status, exc.message, scim_type)
    return ScimError(500, "internal error")


def error_body(err: ScimError) -> dict[str, object]:
    """The Error-schema document for ``err`` (also a failed Bulk operation's ``response``)."""
    body: dict[str, object] = {"schemas": [ERROR_URN], "status": str(err.status)}
    if err.scim_type:
        body["scimType"] = err.scim_type
    body["detail"] = err.detail
    return body


def error_response(err: ScimError) -> Response:
    """The Error-schema response for ``err``."""
    return scim_json(error_body(err), err.status, err.headers)


def unexpected(exc: BaseException, request_id: str) -> ScimError:
    """Log an unexpected failure with its request id; the client learns only the id."""
    log.exception("unexpected SCIM failure (request %s)", request_id, exc_info=exc)
    return ScimError(500, f"internal error (request id {request_id})")
