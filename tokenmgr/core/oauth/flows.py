"""The grants: authorization code + PKCE (RFC 6749 §4.1, RFC 7636, RFC 8252), device
authorization (RFC 8628) and client credentials (RFC 6749 §4.4), plus the token
request they share with refresh.

No implicit or password grant exists here on purpose (RFC 9700). Client secrets
go in HTTP Basic with each part form-urlencoded first (RFC 6749 §2.3.1), or in
the body when the provider wants `client_secret_post`.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tokenmgr.core.entries import OAuthConfig
from tokenmgr.core.errors import AuthError, NetworkError, UsageError
from tokenmgr.core.oauth import pkce
from tokenmgr.core.oauth.discovery import TENANT_PLACEHOLDER as TENANT_PLACEHOLDER
from tokenmgr.core.oauth.discovery import ServerMetadata
from tokenmgr.core.oauth.discovery import issuer_matches as issuer_matches
from tokenmgr.core.oauth.http import Http, OAuthError, Response, check_url, describe, parse_body
from tokenmgr.core.oauth.loopback import LoopbackListener, ProviderRefused, SignInCancelled
from tokenmgr.core.oauth.refusal import refusal_sentence
from tokenmgr.core.redact import register_secret
from tokenmgr.core.rules import now_utc

log = logging.getLogger("tokenmgr.oauth.flows")

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5
DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 1.0
ID_TOKEN_SKEW = timedelta(minutes=5)
# Parameters tokenmgr sets itself; --param may not override them.
RESERVED_PARAMS = frozenset(
    {
        "response_type",
        "client_id",
        "client_secret",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code",
        "code_challenge",
        "code_challenge_method",
        "code_verifier",
        "grant_type",
        "refresh_token",
        "device_code",
        "resource",
        "audience",
    }
)

# The GUI plugs its embedded-browser dialog in here: called with (authorization URL,
# redirect URI); it must deliver the redirect to the loopback listener (e.g. by
# requesting the captured redirect URL itself) or let the user cancel.
EmbeddedBrowser = Callable[[str, str], None]
_embedded_browser: EmbeddedBrowser | None = None


def set_embedded_browser(handler: EmbeddedBrowser | None) -> None:
    global _embedded_browser
    _embedded_browser = handler


def embedded_browser() -> EmbeddedBrowser:
    if _embedded_browser is None:
        raise UsageError(
            "the embedded browser needs the desktop app (`tokenmgr gui`); "
            "use --browser system or --browser none here"
        )
    return _embedded_browser


class TokenResponse:
    """A successful token endpoint answer. `repr` shows no secret."""

    def __init__(
        self,
        access_token: str,
        token_type: str = "Bearer",
        expires_in: float | None = None,
        refresh_token: str | None = None,
        id_token: str | None = None,
        scope: str | None = None,
    ) -> None:
        self.access_token = access_token
        self.token_type = token_type
        self.expires_in = expires_in
        self.refresh_token = refresh_token
        self.id_token = id_token
        self.scope = scope
        self.received_at = now_utc()

    def expires_at(self) -> datetime | None:
        if self.expires_in is not None:
            return self.received_at + timedelta(seconds=self.expires_in)
        from tokenmgr.core.jwt_inspect import inspect  # exp read unverified: display only

        return inspect(self.access_token).expires_at

    def scheme(self) -> str:
        from tokenmgr.core.rules import SCHEME_RE

        t = self.token_type or "Bearer"
        if t.lower() == "bearer":
            return "Bearer"
        return t if SCHEME_RE.fullmatch(t) else "Bearer"

    def __repr__(self) -> str:
        return f"TokenResponse(token_type={self.token_type!r}, expires_in={self.expires_in!r})"


def parse_expires_in(value: Any) -> float | None:
    """`expires_in` as seconds; providers send ints, floats, strings, or nothing."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and 0 <= value < 10**9:
        return float(value)
    return None


def _single_line(value: Any, what: str, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value == "":
        raise NetworkError(f"{what} sent a malformed {field}: nothing was stored")
    register_secret(value)
    if any(c in value for c in "\r\n\x00"):
        raise NetworkError(f"{what} sent a {field} holding a line break: nothing was stored")
    return value


def parse_token_response(resp: Response, what: str = "the token endpoint") -> TokenResponse:
    body = parse_body(resp)
    if body is not None and isinstance(body.get("error"), str):
        desc = body.get("error_description")
        raise OAuthError(
            body["error"], desc if isinstance(desc, str) else "", status=resp.status, where=what
        )
    if resp.status >= 500:
        raise NetworkError(f"{what} failed ({describe(resp)}); try again later")
    if resp.status != 200 or body is None:
        raise NetworkError(
            f"{what} answered {describe(resp)}, not a token response: is the token URL right?"
        )
    access = _single_line(body.get("access_token"), what, "access_token")
    if access is None:
        raise NetworkError(f"{what} answered without an access_token: nothing was stored")
    token_type = body.get("token_type")
    scope = body.get("scope")
    return TokenResponse(
        access_token=access,
        token_type=token_type if isinstance(token_type, str) else "Bearer",
        expires_in=parse_expires_in(body.get("expires_in")),
        refresh_token=_single_line(body.get("refresh_token"), what, "refresh_token"),
        id_token=_single_line(body.get("id_token"), what, "id_token"),
        scope=scope if isinstance(scope, str) else None,
    )


def extra_params(cfg: OAuthConfig) -> dict[str, str]:
    """resource / audience / --param values, repeated on every request of the entry."""
    out: dict[str, str] = {}
    if cfg.resource:
        out["resource"] = cfg.resource
    if cfg.audience:
        out["audience"] = cfg.audience
    out.update(cfg.extra_params)
    return out


def client_auth(
    cfg: OAuthConfig, data: dict[str, str], client_secret: str | None
) -> tuple[str, str] | None:
    """Add client authentication to `data`; the Basic credentials, if any."""
    method = cfg.token_endpoint_auth or ("client_secret_basic" if client_secret else "none")
    if client_secret and method == "client_secret_basic":
        register_secret(client_secret)
        # RFC 6749 §2.3.1: form-urlencode id and secret BEFORE Basic encoding.
        return (
            urllib.parse.quote_plus(cfg.client_id),
            urllib.parse.quote_plus(client_secret),
        )
    data["client_id"] = cfg.client_id
    if client_secret and method == "client_secret_post":
        register_secret(client_secret)
        data["client_secret"] = client_secret
    return None


def token_request(
    http: Http,
    cfg: OAuthConfig,
    data: dict[str, str],
    client_secret: str | None,
    *,
    what: str = "the token endpoint",
) -> TokenResponse:
    if not cfg.token_url:
        raise UsageError("no token endpoint is known for this entry: sign in again")
    data = dict(data)
    auth = client_auth(cfg, data, client_secret)
    resp = http.request("POST", cfg.token_url, data=data, auth=auth, what=what)
    return parse_token_response(resp, what)


# ----------------------------------------------------------- ID token checks


def _jwt_claims(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise AuthError("the ID token is not a signed JWT: nothing was stored")
    try:
        seg = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(seg.encode("ascii")))
    except Exception:
        raise AuthError("the ID token does not decode: nothing was stored") from None
    if not isinstance(claims, dict):
        raise AuthError("the ID token's claims are not an object: nothing was stored")
    return claims


def check_id_token(
    id_token: str,
    *,
    issuers: list[str],
    client_id: str,
    nonce: str | None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """OIDC Core §3.1.3.7 checks on an ID token received over TLS from the token endpoint.

    The signature is not checked here (§3.1.3.7 item 6 allows TLS server validation
    instead, as the token came straight from the token endpoint); iss, aud, nonce and
    exp are.
    """
    claims = _jwt_claims(id_token)
    if issuers and not issuer_matches(claims.get("iss"), issuers):
        raise AuthError("the ID token was issued by another issuer: nothing was stored")
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if client_id not in auds:
        raise AuthError("the ID token is meant for another client (aud): nothing was stored")
    if nonce is not None and not pkce.same(
        claims.get("nonce") if isinstance(claims.get("nonce"), str) else None, nonce
    ):
        raise AuthError("the ID token's nonce does not match this sign-in: nothing was stored")
    exp = claims.get("exp")
    now = at or now_utc()
    if (
        isinstance(exp, int | float)
        and not isinstance(exp, bool)
        and now.timestamp() > exp + ID_TOKEN_SKEW.total_seconds()
    ):
        raise AuthError("the ID token has already expired: nothing was stored")
    return claims


# ------------------------------------------------------------- the grants


def authorization_url(base: str, params: dict[str, str]) -> str:
    sep = "&" if urllib.parse.urlsplit(base).query else "?"
    return base + sep + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def code_flow(
    http: Http,
    cfg: OAuthConfig,
    *,
    meta: ServerMetadata | None,
    client_secret: str | None,
    open_url: Callable[[str, str], None],
    timeout: float,
    id_token_issuers: list[str] | None = None,
    auth_params: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    offline_access_prompt: bool = True,
) -> TokenResponse:
    """Authorization code + PKCE S256 through the loopback listener.

    With `offline_access` among the scopes, `prompt=consent` is sent unless a
    `prompt` is already set (by the preset or the user) or the provider's preset
    says it needs none (`offline_access_prompt=False`).
    """
    if not cfg.authorize_url:
        raise UsageError("no authorization endpoint is known: give --authorize-url or --issuer")
    if (
        meta is not None
        and meta.code_challenge_methods
        and "S256" not in meta.code_challenge_methods
    ):
        raise AuthError("the server does not offer PKCE S256, which tokenmgr requires")
    issuer = (meta.issuer if meta else None) or cfg.issuer
    oidc = "openid" in cfg.scopes
    verifier = pkce.new_verifier()
    state = pkce.new_state()
    nonce = pkce.new_nonce() if oidc else None
    with LoopbackListener(
        state=state,
        # Without discovery, the provider's known authorization-response iss (GitHub):
        # an iss that is present but different is a mix-up (RFC 9207).
        issuer=issuer or cfg.authorization_response_iss,
        iss_required=bool(meta and meta.iss_parameter_supported),
        port=cfg.redirect_port,
    ) as listener:
        params = {
            "response_type": "code",
            "client_id": cfg.client_id,
            "redirect_uri": listener.redirect_uri,
            "state": state,
            "code_challenge": pkce.challenge(verifier),
            "code_challenge_method": "S256",
        }
        if cfg.scopes:
            params["scope"] = " ".join(cfg.scopes)
        if nonce:
            params["nonce"] = nonce
        params.update(auth_params or {})
        params.update(extra_params(cfg))
        if offline_access_prompt and "offline_access" in cfg.scopes and "prompt" not in params:
            # OIDC Core §11: offline_access is ignored (no refresh token) unless the
            # request also asks for consent.
            params["prompt"] = "consent"
        url = authorization_url(cfg.authorize_url, params)
        log.debug("code flow: listening on %s", listener.redirect_uri)
        open_url(url, listener.redirect_uri)
        try:
            callback = listener.wait(timeout, cancel)
        except ProviderRefused as e:
            text = refusal_sentence(
                e.error, e.description, client_id=cfg.client_id, scopes=cfg.scopes
            )
            raise ProviderRefused(text, e.error, e.description) from None
    cfg.redirect_uri = listener.redirect_uri
    data = {
        "grant_type": "authorization_code",
        "code": callback.code,
        "redirect_uri": listener.redirect_uri,
        "code_verifier": verifier,
    }
    if cfg.resource:
        data["resource"] = cfg.resource
    tokens = token_request(http, cfg, data, client_secret)
    if tokens.id_token is not None:
        check_id_token(
            tokens.id_token,
            issuers=[issuer, *(id_token_issuers or [])] if issuer else [],
            client_id=cfg.client_id,
            nonce=nonce,
        )
    elif oidc and meta is not None and meta.oidc:
        log.debug("code flow: openid was asked for but no ID token came back")
    return tokens


@dataclass
class DeviceAuthorization:
    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


def start_device(http: Http, cfg: OAuthConfig, client_secret: str | None) -> DeviceAuthorization:
    if not cfg.device_url:
        raise UsageError(
            "no device authorization endpoint is known: name it with "
            "--device-authorization-url URL, or use --flow code"
        )
    data: dict[str, str] = {}
    if cfg.scopes:
        data["scope"] = " ".join(cfg.scopes)
    data.update(extra_params(cfg))
    auth = client_auth(cfg, data, client_secret)
    what = "the device authorization endpoint"
    resp = http.request("POST", cfg.device_url, data=data, auth=auth, what=what)
    body = parse_body(resp)
    if body is not None and isinstance(body.get("error"), str):
        desc = body.get("error_description")
        raise OAuthError(body["error"], desc if isinstance(desc, str) else "", resp.status, what)
    if resp.status != 200 or body is None:
        raise NetworkError(f"{what} answered {describe(resp)}")
    device_code = body.get("device_code")
    user_code = body.get("user_code")
    # Google calls it verification_url.
    uri = body.get("verification_uri") or body.get("verification_url")
    if not all(isinstance(v, str) and v for v in (device_code, user_code, uri)):
        raise NetworkError(f"{what} answered without device_code, user_code or verification_uri")
    assert isinstance(device_code, str) and isinstance(user_code, str) and isinstance(uri, str)
    register_secret(device_code)
    try:
        check_url(uri, "the verification_uri")
    except UsageError as e:
        raise NetworkError(f"{what} sent a verification_uri tokenmgr refuses: {e}") from None
    complete = body.get("verification_uri_complete")
    if isinstance(complete, str):
        try:
            check_url(complete, "the verification_uri_complete")
        except UsageError:
            log.debug("device flow: verification_uri_complete refused, not used")
            complete = None
    interval = parse_expires_in(body.get("interval"))
    if interval is not None and interval < MIN_INTERVAL:
        # A server asking for sub-second polling is broken or hostile: RFC 8628's default.
        interval = DEFAULT_INTERVAL
    return DeviceAuthorization(
        device_code=device_code,
        user_code=user_code,
        verification_uri=uri,
        verification_uri_complete=complete if isinstance(complete, str) else None,
        expires_in=parse_expires_in(body.get("expires_in")) or 600.0,
        interval=interval if interval is not None else DEFAULT_INTERVAL,
    )


def poll_device(
    http: Http,
    cfg: OAuthConfig,
    auth: DeviceAuthorization,
    client_secret: str | None,
    *,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> TokenResponse:
    """Poll the token endpoint at `interval`, +5 s on each slow_down (RFC 8628 §3.5)."""
    interval = max(auth.interval, 0.0)
    deadline = clock() + min(auth.expires_in, timeout)
    data = {"grant_type": DEVICE_GRANT, "device_code": auth.device_code}
    data.update(extra_params(cfg))
    while True:
        if clock() + interval > deadline:
            raise AuthError(
                "the device sign-in was not completed in time (the code expired): "
                "nothing was stored"
            )
        sleep(interval)
        try:
            return token_request(http, cfg, data, client_secret)
        except OAuthError as e:
            if e.error == "authorization_pending":
                continue
            if e.error == "slow_down":
                interval += SLOW_DOWN_STEP
                log.debug("device flow: slow_down, polling every %g s now", interval)
                continue
            if e.error in ("access_denied", "authorization_declined"):
                raise AuthError(
                    "the sign-in was declined on the device page: nothing was stored"
                ) from None
            if e.error == "expired_token":
                raise AuthError(
                    "the device code expired before the sign-in: nothing was stored"
                ) from None
            raise


def device_flow(
    http: Http,
    cfg: OAuthConfig,
    *,
    client_secret: str | None,
    announce: Callable[[DeviceAuthorization], None],
    timeout: float,
    sleep: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> TokenResponse:
    auth = start_device(http, cfg, client_secret)
    announce(auth)
    if sleep is None:
        if cancel is None:
            sleep = time.sleep
        else:
            event = cancel

            def sleep(seconds: float) -> None:
                if event.wait(seconds):
                    raise SignInCancelled("the sign-in was cancelled: nothing was stored")

    return poll_device(http, cfg, auth, client_secret, timeout=timeout, sleep=sleep)


def client_credentials(http: Http, cfg: OAuthConfig, client_secret: str | None) -> TokenResponse:
    if not client_secret:
        raise UsageError(
            "client credentials need the client secret: pipe it to --client-secret-stdin"
        )
    data = {"grant_type": "client_credentials"}
    if cfg.scopes:
        data["scope"] = " ".join(cfg.scopes)
    data.update(extra_params(cfg))
    return token_request(http, cfg, data, client_secret)
