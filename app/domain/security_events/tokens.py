"""An outbox event as Security Event Tokens: RFC 8417 SETs in the RFC 9967 SCIM profile.

`encode_sets` turns one event document (`app.domain.outbox.views.document`) into the compact
JWS tokens a receiver gets, each a SET with one event: the SCIM provisioning event of a user
or group change, and for a user deactivation or deletion also the OpenID CAEP
``session-revoked`` and RISC ``account-disabled`` events (the SCIM token first). Events that
are not about a SCIM resource (roles, tokens, settings) yield none. The create and patch
events use the ``notice`` form (the names of the attributes that changed, not their values),
so a receiver learns what to fetch again and no HIDDEN attribute leaks through a token.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

import jwt

from app.db import Tx
from app.domain.security_events.keys import ALG, signing_key

TYP = "secevent+jwt"
SCIM = "urn:ietf:params:scim:event:prov:"
CREATE = SCIM + "create:notice"
PATCH = SCIM + "patch:notice"
PUT = SCIM + "put:notice"  # not emitted: an event does not record whether a PUT or a PATCH made it
DELETE = SCIM + "delete"
ACTIVATE = SCIM + "activate"
DEACTIVATE = SCIM + "deactivate"
SESSION_REVOKED = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"

#: The SCIM event of each Roster event type about a user or a group.
SCIM_EVENTS: dict[str, str] = {
    "user.created": CREATE,
    "user.restored": CREATE,
    "user.updated": PATCH,
    "user.deactivated": DEACTIVATE,
    "user.reactivated": ACTIVATE,
    "user.deleted": DELETE,
    "group.created": CREATE,
    "group.updated": PATCH,
    "group.members.added": PATCH,
    "group.members.removed": PATCH,
    "group.deleted": DELETE,
}
#: Event types that also end the user's sessions and access (CAEP and RISC).
REVOKING = frozenset({"user.deactivated", "user.deleted"})
_PATHS = {"User": "/Users/", "Group": "/Groups/"}
# Roster's field names as SCIM names them (profile attributes are SCIM attributes already).
_SCIM_NAMES = {"loginId": "userName", "status": "active", "displayName": "displayName"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _seconds(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


def _attributes(event: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for change in event["changes"]:
        field = str(change["field"]).removeprefix("profile.")
        name = _SCIM_NAMES.get(field, field)
        if name not in names:
            names.append(name)
    return names


def _scim_payload(uri: str, event: dict[str, Any]) -> dict[str, Any]:
    if uri not in (CREATE, PATCH, PUT):
        return {}
    payload: dict[str, Any] = {"attributes": _attributes(event)}
    version = (event.get("resource") or {}).get("version")
    if version is not None:
        payload["version"] = f'W/"{version}"'
    return payload


def _scim_subject(event: dict[str, Any]) -> dict[str, Any]:
    subject = {"format": "scim", "uri": _PATHS[event["resourceType"]] + event["resourceId"]}
    external = (event.get("resource") or {}).get("externalId")
    if external:
        subject["externalId"] = external
    return subject


def _user_subject(event: dict[str, Any]) -> dict[str, Any]:
    """RFC 9493: the user's id (opaque), with its email when the login is one (aliases)."""
    opaque = {"format": "opaque", "id": event["resourceId"]}
    login = (event.get("resource") or {}).get("loginId")
    if isinstance(login, str) and _EMAIL.match(login):
        return {"format": "aliases", "identifiers": [opaque, {"format": "email", "email": login}]}
    return opaque


def _revocations(event: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The CAEP and RISC events of a deactivation or deletion: (jti suffix, URI, payload)."""
    initiator = "admin" if event["actor"]["type"] == "ADMIN" else "system"
    reason = "deleted" if event["type"] == "user.deleted" else "deactivated"
    caep = {
        "event_timestamp": _seconds(event["occurredAt"]),
        "initiating_entity": initiator,
        "reason_admin": {"en": f"The user was {reason} in Roster ({event['type']})."},
    }
    return [
        (":session-revoked", SESSION_REVOKED, caep),
        (":account-disabled", ACCOUNT_DISABLED, {}),
    ]


def set_claims(
    event: dict[str, Any], *, audience: str, issuer: str, issued_at: int
) -> list[dict[str, Any]]:
    """The claims of each SET of ``event`` (empty for an event about no user or group)."""
    uri = SCIM_EVENTS.get(event["type"])
    if uri is None or event.get("resourceId") is None:
        return []
    common: dict[str, Any] = {
        "iss": issuer,
        "iat": issued_at,
        "aud": audience,
        "toe": _seconds(event["occurredAt"]),
    }
    if event.get("requestId"):
        common["txn"] = event["requestId"]
    claims = [
        {
            **common,
            "jti": event["id"],
            "sub_id": _scim_subject(event),
            "events": {uri: _scim_payload(uri, event)},
        }
    ]
    if event["type"] in REVOKING:
        for suffix, extra, payload in _revocations(event):
            subject = _user_subject(event)
            claims.append(
                {
                    **common,
                    "jti": event["id"] + suffix,
                    "sub_id": subject,
                    "events": {extra: payload},
                }
            )
    return claims


def has_security_events(event_document: dict[str, Any]) -> bool:
    """Whether the event has Security Event Tokens (user and group changes do; roles, tokens
    and settings do not)."""
    return bool(set_claims(event_document, audience="", issuer="", issued_at=0))


async def encode_sets(
    tx: Tx, event_document: dict[str, Any], *, audience: str, issuer: str
) -> list[str]:
    """The compact JWS (ES256, ``typ: secevent+jwt``) of each SET of one event document. The
    first call of a deployment generates its key: call it in a write transaction."""
    claims = set_claims(
        event_document,
        audience=audience,
        issuer=issuer,
        issued_at=int(time.time()),
    )
    if not claims:
        return []
    key = await signing_key(tx)
    headers = {"typ": TYP, "kid": key.kid}
    return [jwt.encode(c, key.private, algorithm=ALG, headers=headers) for c in claims]
