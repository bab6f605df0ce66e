"""The Standard Webhooks signature (https://www.standardwebhooks.com/).

A secret is ``whsec_`` followed by the base64 of 32 random bytes. A delivery carries
``webhook-id`` (the event id), ``webhook-timestamp`` (unix seconds) and ``webhook-signature``:
``v1,`` then the base64 of HMAC-SHA256, keyed by the secret's decoded bytes, over
``{id}.{timestamp}.{body}``. During a rotation overlap the signature by each live secret is
sent, separated by a space; a receiver accepts the delivery when any of them verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of the body by ``secret``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of a delivery signed by each of ``secrets_``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_),
    }
