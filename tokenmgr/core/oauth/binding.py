"""Endpoint binding: an OAuth entry's secrets go only where they went at sign-in.

The index (`entries.json`) is plain text that any process of the user can
edit; if it alone decided where a refresh token or client secret is sent, an
edited `token_url` would hand them to someone else. So sign-in stores, beside
the secrets in the keyring, a digest of every setting that decides where and
how they are sent. Each request that carries a secret (refresh, the
client-credentials re-fetch, revocation) first compares the entry's settings
with that digest and sends nothing when they differ.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.errors import IndexAltered

FIELD = "binding"
VERSION = "v1"
# Where secrets go and how the client authenticates there.
BOUND = (
    "issuer",
    "token_url",
    "device_url",
    "revocation_url",
    "revocation_style",
    "token_endpoint_auth",
    "client_id",
)


def digest(cfg: OAuthConfig) -> str:
    data = {name: getattr(cfg, name) for name in BOUND}
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return f"{VERSION}:{hashlib.sha256(blob).hexdigest()}"


def check(stored: str | None, entry: Entry) -> None:
    """Raise IndexAltered unless `stored` (the store's binding) matches the entry."""
    cfg = entry.oauth
    if cfg is None:
        return
    if stored is None:
        raise IndexAltered(
            f"{entry.name!r} has no endpoint binding in the secret store (signed in with an "
            "older tokenmgr, or the index was edited): nothing was sent. Sign in again with "
            f"`tokenmgr login {entry.name} ...`"
        )
    if not hmac.compare_digest(stored.encode(), digest(cfg).encode()):
        raise IndexAltered(
            f"the index was altered: the endpoints of {entry.name!r} no longer match the ones "
            "it signed in with, so its tokens and client secret were not sent anywhere. "
            f"Restore the index, or sign in again with `tokenmgr login {entry.name} ...`"
        )
