"""Keep access tokens fresh: when to refresh, and refreshing safely across processes.

- An access token is refreshed when it has expired or less than min(60 s, a
  quarter of its lifetime) remains.
- One refresh per entry at a time across processes: a file lock under
  TOKENMGR_HOME/locks, and the entry and its tokens are re-read after taking
  it, so the processes that waited find the fresh token and do not refresh.
- Rotation-safe: a rotated refresh token is saved before the new access token
  (and before anything is handed out); when the server does not rotate, the
  stored refresh token is left as it is. Only the refresh token that was just
  used is ever replaced, so an old one never overwrites a newer one.
- `invalid_grant` marks the entry "sign-in needed" and deletes nothing.
- Client-credentials entries simply fetch a new token with the stored secret.
- A network failure inside the leeway (the token has not expired yet) hands out
  the current token with a warning; once it has expired, the failure is exit 5.

`requests` is imported only when a refresh really goes to the network.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from tokenmgr.core.entries import Entry, TokenSet
from tokenmgr.core.errors import NetworkError, SignInRequired, UsageError
from tokenmgr.core.redact import register_secret
from tokenmgr.core.rules import format_time, now_utc
from tokenmgr.core.vault import Vault

log = logging.getLogger("tokenmgr.oauth.refresh")

SIGN_IN_NEEDED = "sign_in_needed"
MAX_LEEWAY = timedelta(seconds=60)


def leeway(entry: Entry) -> timedelta:
    """min(60 s, a quarter of the token's lifetime); 60 s when the lifetime is unknown."""
    if entry.expires_at is None or entry.issued_at is None:
        return MAX_LEEWAY
    lifetime = entry.expires_at - entry.issued_at
    if lifetime <= timedelta(0):
        return timedelta(0)
    return min(MAX_LEEWAY, lifetime / 4)


def needs_refresh(entry: Entry, at: datetime | None = None) -> bool:
    """True when the access token has expired or is within the leeway of expiring."""
    if entry.expires_at is None:
        return False  # unknown expiry (e.g. GitHub OAuth apps): the token does not expire
    now = at or now_utc()
    return entry.expires_at - now <= leeway(entry)


def _sign_in_message(name: str) -> str:
    return (
        f"sign-in needed: the provider refused the refresh token of {name!r}; "
        f"sign in again with `tokenmgr login {name} ...`"
    )


def refresh_if_needed(vault: Vault, entry: Entry) -> str:
    """The `Vault.refresher` hook: the entry's access token, refreshed first if due."""
    if not needs_refresh(entry):
        return vault.get_secret(entry, "access")
    try:
        fresh, token = locked_refresh(vault, entry.name, force=False)
    except NetworkError as e:
        # Inside the leeway the current token still works: better late than nothing.
        current = vault.entry(entry.name)
        if current.expires_at is None or current.expires_at <= now_utc():
            raise
        log.warning(
            "could not refresh %r (%s); handing out the current token, valid until %s",
            entry.name,
            e,
            format_time(current.expires_at),
        )
        return vault.get_secret(current, "access")
    _sync(entry, fresh)
    return token


def _sync(entry: Entry, fresh: Entry) -> None:
    """Update the caller's entry object in place, so what it prints (e.g. `get --format
    json`'s expires_at) describes the token it is handed."""
    for attr in ("expires_at", "issued_at", "scheme", "state", "secrets", "updated_at", "oauth"):
        setattr(entry, attr, getattr(fresh, attr))


def refresh_now(vault: Vault, name: str) -> tuple[Entry, str]:
    """`tokenmgr refresh NAME`: refresh whether or not it is due."""
    entry = vault.entry(name)
    if entry.kind != "oauth2" or entry.oauth is None:
        raise UsageError(f"{name!r} is a static token: there is nothing to refresh")
    return locked_refresh(vault, name, force=True)


def locked_refresh(vault: Vault, name: str, *, force: bool) -> tuple[Entry, str]:
    with vault.entry_lock(name):
        # Re-read: another process may have refreshed while we waited for the lock.
        entry = vault.entry(name)
        if not force and not needs_refresh(entry):
            log.debug("refresh: %s was refreshed by another process", name)
            return entry, vault.get_secret(entry, "access")
        return entry, _refresh(vault, entry)


def _refresh(vault: Vault, entry: Entry) -> str:
    from tokenmgr.core.oauth import binding
    from tokenmgr.core.oauth.flows import client_credentials, extra_params, token_request
    from tokenmgr.core.oauth.http import Http, OAuthError

    cfg = entry.oauth
    if entry.kind != "oauth2" or cfg is None:
        raise UsageError(f"{entry.name!r} is a static token: there is nothing to refresh")
    store = vault.store
    # Before any secret is read: the index may have been edited to send them elsewhere.
    binding.check_store(store, entry)
    # Closed at the end: the app refreshes many times in one long run.
    with Http() as http:
        secret = (
            store.get(entry.name, "client_secret") if "client_secret" in entry.secrets else None
        )
        register_secret(secret)
        if cfg.flow == "client-credentials":
            tokens = client_credentials(http, cfg, secret)
        else:
            if entry.state == SIGN_IN_NEEDED:
                raise SignInRequired(_sign_in_message(entry.name))
            # Only what the index lists: an item left in the keyring by an earlier entry of
            # the same name is not this entry's refresh token.
            used = store.get(entry.name, "refresh") if "refresh" in entry.secrets else None
            if not used:
                raise SignInRequired(
                    f"sign-in needed: {entry.name!r} has no refresh token (the provider gave "
                    f"none); sign in again with `tokenmgr login {entry.name} ...`"
                )
            register_secret(used)
            data = {"grant_type": "refresh_token", "refresh_token": used}
            if cfg.resend_redirect_uri and cfg.redirect_uri:
                data["redirect_uri"] = cfg.redirect_uri
            data.update(extra_params(cfg))
            try:
                tokens = token_request(http, cfg, data, secret, what="the token endpoint (refresh)")
            except OAuthError as e:
                if e.error == "invalid_grant":
                    _mark_sign_in_needed(vault, entry, used)
                    raise SignInRequired(_sign_in_message(entry.name)) from None
                raise
            if tokens.refresh_token and tokens.refresh_token != used:
                # Rotated: save the new refresh token FIRST; the old one is dead at the server.
                vault.save_tokens(entry, TokenSet(refresh=tokens.refresh_token), must_exist=True)
                log.debug("refresh: %s: the server rotated the refresh token", entry.name)
    if tokens.id_token is not None and cfg.issuer:
        from tokenmgr.core.oauth.flows import check_id_token

        check_id_token(
            tokens.id_token,
            issuers=[cfg.issuer, *cfg.id_token_issuers],
            client_id=cfg.client_id,
            nonce=None,
        )
    entry.expires_at = tokens.expires_at()
    entry.issued_at = tokens.received_at
    entry.scheme = tokens.scheme()
    entry.state = None
    vault.save_tokens(
        entry, TokenSet(access=tokens.access_token, id=tokens.id_token), must_exist=True
    )
    return tokens.access_token


def _mark_sign_in_needed(vault: Vault, entry: Entry, used: str) -> None:
    """Flag the entry, unless its refresh token changed meanwhile (a new sign-in)."""
    current = vault.store.get(entry.name, "refresh")
    if current is not None and current != used:
        return
    vault.set_state(entry.name, SIGN_IN_NEEDED)
