"""Security Event Tokens (rule 20): outbox events as signed RFC 8417 SETs.

`keys` holds the deployment's ES256 signing key (generated on first use, the same on every
worker) and the public JWKS served at ``/.well-known/jwks.json``; `tokens` maps an event
document to its SETs in the RFC 9967 SCIM profile (plus the OpenID CAEP ``session-revoked``
and RISC ``account-disabled`` events of a user deactivation or deletion) and signs them;
`store` holds the package's SQL. docs/events.md describes the tokens and how to verify them.
"""

from app.domain.security_events.keys import jwks, published_jwks
from app.domain.security_events.tokens import encode_sets

__all__ = ["encode_sets", "jwks", "published_jwks"]
