"""Token revocation (RFC 7009) for `tokenmgr rm --revoke`.

The refresh token goes first: revoking it ends the grant. The access token
follows; servers may refuse to revoke JWT access tokens with
`unsupported_token_type` (RFC 7009 §2.2.1), which is reported, not an error.
GitHub has its own endpoint (`DELETE /applications/{client_id}/token`, Basic
client credentials, JSON body), selected by `OAuthConfig.revocation_style`.
Network failures raise `NetworkError`, and an entry with no revocation endpoint
(neither discovery document lists one, and none was named at sign-in) raises
`NoRevocationEndpoint`; the caller then keeps the entry, so a live refresh token is
never dropped silently. Nothing is sent when the entry's settings no longer match the
binding stored with its secrets (oauth/binding.py).
"""

from __future__ import annotations

import logging

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import AuthError
from tokenmgr.core.redact import register_secret, server_text
from tokenmgr.core.vault import Vault

log = logging.getLogger("tokenmgr.oauth.revoke")


class NoRevocationEndpoint(AuthError):
    """No way to revoke the entry's grant from here is known."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"no revocation endpoint is known for {name!r} (neither of the provider's "
            "discovery documents lists one, and none was named with --revocation-url)"
        )
        self.name = name


def revoke_entry(vault: Vault, entry: Entry) -> list[str]:
    """Revoke the entry's tokens at the provider. Returns notes for the person.

    Raises AuthError (NetworkError when unreachable) when a revocation failed.
    """
    from tokenmgr.core.oauth import binding
    from tokenmgr.core.oauth.flows import client_auth
    from tokenmgr.core.oauth.http import Http, describe, parse_body

    cfg = entry.oauth
    if cfg is None:
        return ["not an OAuth2 entry: nothing to revoke"]
    store = vault.store
    binding.check_store(store, entry)  # nothing sent if edited
    if not cfg.revocation_url:
        raise NoRevocationEndpoint(entry.name)
    values = {
        f: store.get(entry.name, f) if f in entry.secrets else None
        for f in ("refresh", "access", "client_secret")
    }
    for v in values.values():
        register_secret(v)
    secret = values["client_secret"]
    # Closed at the end: the app revokes many times in one long run.
    with Http() as http:
        notes: list[str] = []
        what = "the revocation endpoint"
        if cfg.revocation_style == "github":
            access = values["access"]
            if not access:
                return ["no access token stored: nothing to revoke"]
            if not secret:
                raise AuthError("GitHub revokes tokens only with the client secret (not stored)")
            resp = http.request(
                "DELETE",
                cfg.revocation_url,
                json_body={"access_token": access},
                auth=(cfg.client_id, secret),
                headers={"Accept": "application/vnd.github+json"},
                what=what,
            )
            if resp.status in (204, 404):
                return ["revoked at GitHub"]
            raise AuthError(f"{what} answered {describe(resp)}: the token may still be valid")
        for field, hint in (("refresh", "refresh_token"), ("access", "access_token")):
            token = values[field]
            if not token:
                continue
            data = {"token": token, "token_type_hint": hint}
            auth = client_auth(cfg, data, secret)
            resp = http.request("POST", cfg.revocation_url, data=data, auth=auth, what=what)
            if resp.status == 200:
                notes.append(f"revoked the {field} token")
                continue
            body = parse_body(resp) or {}
            error = body.get("error")
            if error == "unsupported_token_type":
                notes.append(
                    f"the provider does not revoke this {field} token (unsupported_token_type, "
                    "typical for JWT access tokens): it stays valid until it expires"
                )
                continue
            detail = server_text(error, 100) if isinstance(error, str) else describe(resp)
            raise AuthError(f"{what} refused to revoke the {field} token ({detail})")
        log.debug("revoke: %s: done", entry.name)
        return notes or ["no tokens stored: nothing to revoke"]
