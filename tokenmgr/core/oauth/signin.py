"""One sign-in, start to finish: configuration, discovery, the grant, and storing the result.

The CLI (`tokenmgr login`) and the GUI's sign-in dialog both call `sign_in`;
they differ only in how they show the URL or user code (`open_url`, `announce`).
Nothing is stored unless the whole sign-in succeeded; the secrets are written
under the entry's refresh lock so a concurrent refresh cannot interleave.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet
from tokenmgr.core.errors import AlreadyExists, NotFound, UsageError
from tokenmgr.core.oauth import binding, presets
from tokenmgr.core.oauth.discovery import ServerMetadata, check_issuer, discover
from tokenmgr.core.oauth.flows import (
    DEVICE_GRANT,
    RESERVED_PARAMS,
    DeviceAuthorization,
    TokenResponse,
    client_credentials,
    code_flow,
    device_flow,
    embedded_browser,
)
from tokenmgr.core.oauth.http import Http, check_url
from tokenmgr.core.redact import register_secret
from tokenmgr.core.rules import validate_name
from tokenmgr.core.vault import Vault

FLOWS = ("code", "device", "client-credentials")
BROWSERS = ("embedded", "system", "none")


@dataclass
class SignInRequest:
    name: str
    client_id: str
    issuer: str | None = None
    preset: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    # Endpoints named by the person; they win over the discovery documents and presets.
    device_url: str | None = None
    revocation_url: str | None = None
    introspection_url: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scopes: list[str] | None = None  # None: the preset's or server's default
    audience: str | None = None
    resource: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    flow: str = "code"
    browser: str = "system"
    port: int = 0
    timeout: float = 300.0
    # "Sign in again": the stored entry whose bound settings are repeated as they are
    # (the fields above then only describe it); its binding is checked first.
    again: Entry | None = field(default=None, repr=False)
    # What it serves to credential helpers (None: what the entry served before, if any).
    hosts: list[str] | None = None
    username: str | None = None


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """`K=V` strings → dict; a malformed one is a usage error (reserved keys are refused
    by `build_config`, which knows the flow's own parameters)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param {item!r}: use --param NAME=VALUE")
        if any(c in key + value for c in "\r\n\x00"):
            raise UsageError(f"--param {key}: line breaks are not allowed")
        out[key] = value
    return out


def build_config(
    req: SignInRequest, http: Http
) -> tuple[OAuthConfig, ServerMetadata | None, presets.Preset | None]:
    if req.again is not None:
        return _bound_config(req.again, http)
    if req.flow not in FLOWS:
        raise UsageError(f"unknown flow {req.flow!r}; use one of {', '.join(FLOWS)}")
    if req.browser not in BROWSERS:
        raise UsageError(f"unknown browser mode {req.browser!r}")
    if not req.client_id:
        raise UsageError("give --client-id (the client registered at the provider)")
    if not 0 <= req.port <= 65535:
        raise UsageError(f"--port {req.port} is not a TCP port (0-65535)")
    if not req.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    params = dict(req.params)
    preset = None
    if req.preset:
        preset, params = presets.resolve(req.preset, params, req.client_id)
    preset_params = {k: v for k, v in req.params.items() if k not in params}
    for key in params:
        if key in RESERVED_PARAMS:
            raise UsageError(
                f"--param {key}=... is set by tokenmgr itself "
                "(use --scope, --resource or --audience where they apply)"
            )
    issuer = req.issuer or (preset.issuer if preset else None)
    if req.issuer:
        check_issuer(req.issuer)
    for url, what in (
        (req.authorize_url, "--authorize-url"),
        (req.token_url, "--token-url"),
        (req.device_url, "--device-authorization-url"),
        (req.revocation_url, "--revocation-url"),
        (req.introspection_url, "--introspection-url"),
    ):
        if url:
            check_url(url, what)
    if not issuer and not req.token_url and not (preset and preset.token_url):
        raise UsageError("give --issuer URL, --preset NAME, or --authorize-url and --token-url")
    cfg = OAuthConfig(
        issuer=issuer,
        client_id=req.client_id,
        audience=req.audience,
        resource=req.resource,
        extra_params=params,
        flow=req.flow,
        browser=req.browser,
        redirect_port=req.port,
        preset=preset.name if preset else None,
        preset_params=preset_params,
    )
    if preset is not None:
        cfg.token_endpoint_auth = preset.token_endpoint_auth if req.client_secret else ""
        cfg.revocation_style = preset.revocation_style
        cfg.id_token_issuers = [*preset.id_token_issuers, *preset.accepted_issuers]
        cfg.resend_redirect_uri = preset.resend_redirect_uri
    meta = None
    if issuer:
        accepted = preset.accepted_issuers if preset else []
        meta = discover(http, issuer, accepted_issuers=accepted)
        cfg.authorize_url = meta.authorization_endpoint
        cfg.token_url = meta.token_endpoint
        cfg.device_url = meta.device_authorization_endpoint
        cfg.revocation_url = meta.revocation_endpoint
        cfg.introspection_url = meta.introspection_endpoint
    if preset is not None:
        cfg.authorize_url = cfg.authorize_url or preset.authorize_url
        cfg.token_url = cfg.token_url or preset.token_url
        cfg.device_url = cfg.device_url or preset.device_url
        cfg.revocation_url = cfg.revocation_url or preset.revocation_url
    cfg.authorize_url = req.authorize_url or cfg.authorize_url
    cfg.token_url = req.token_url or cfg.token_url
    cfg.device_url = req.device_url or cfg.device_url
    cfg.revocation_url = req.revocation_url or cfg.revocation_url
    cfg.introspection_url = req.introspection_url or cfg.introspection_url
    if preset is not None and cfg.authorize_url == preset.authorize_url:
        # Only for the preset's own authorization endpoint (not, e.g., GitHub Enterprise).
        cfg.authorization_response_iss = preset.authorization_response_iss
    if not cfg.token_url:
        raise UsageError("no token endpoint: give --token-url")
    if req.flow == "code" and not cfg.authorize_url:
        raise UsageError("no authorization endpoint: give --authorize-url (or use --flow device)")
    if req.flow == "device" and not cfg.device_url:
        raise UsageError(no_device_endpoint(meta))
    if req.scopes is not None:
        cfg.scopes = list(req.scopes)
    elif preset is not None:
        cfg.scopes = list(preset.scopes)
    elif meta is not None and meta.oidc and req.flow != "client-credentials":
        cfg.scopes = ["openid"]
        if "offline_access" in meta.scopes_supported:
            # A refresh token where the provider offers one: an entry that renews itself.
            cfg.scopes.append("offline_access")
    return cfg, meta, preset


def no_device_endpoint(meta: ServerMetadata | None) -> str:
    """Why a device sign-in cannot start, and how to name the endpoint."""
    if meta is not None and meta.offers_grant(DEVICE_GRANT):
        return (
            "the provider's metadata lists the device grant but names no device "
            "authorization endpoint (in neither discovery document): name it with "
            "--device-authorization-url URL (see the provider's documentation)"
        )
    return (
        "no device authorization endpoint is known for this provider: name it with "
        "--device-authorization-url URL if it offers the device grant, or use --flow code"
    )


def _bound_config(
    entry: Entry, http: Http
) -> tuple[OAuthConfig, ServerMetadata | None, presets.Preset | None]:
    """The configuration "Sign in again" repeats: the entry's bound settings as they are
    (nothing re-derived from a preset or a discovery document), plus what the code, not
    the index, knows of its preset; the issuer's metadata only to check it still names
    that issuer and for its PKCE and RFC 9207 flags."""
    if entry.kind != "oauth2" or entry.oauth is None:
        raise UsageError(f"{entry.name!r} is a static token: there is no sign-in to repeat")
    cfg = dataclasses.replace(
        entry.oauth,
        scopes=list(entry.oauth.scopes),
        extra_params=dict(entry.oauth.extra_params),
        preset_params=dict(entry.oauth.preset_params),
        id_token_issuers=list(entry.oauth.id_token_issuers),
    )
    preset = None
    if cfg.preset:
        preset, _ = presets.resolve(cfg.preset, dict(cfg.preset_params), cfg.client_id)
    meta = None
    if cfg.issuer:
        accepted = preset.accepted_issuers if preset else []
        meta = discover(http, cfg.issuer, accepted_issuers=accepted)
    if not cfg.token_url:
        raise UsageError(f"{entry.name!r} has no token endpoint: sign in to it anew")
    if cfg.flow == "code" and not cfg.authorize_url:
        raise UsageError(f"{entry.name!r} has no authorization endpoint: sign in to it anew")
    if cfg.flow == "device" and not cfg.device_url:
        raise UsageError(no_device_endpoint(meta))
    return cfg, meta, preset


def sign_in(
    vault: Vault,
    req: SignInRequest,
    *,
    open_url: Callable[[str, str], None],
    announce: Callable[[DeviceAuthorization], None],
    http: Http | None = None,
    cancel: threading.Event | None = None,
) -> Entry:
    """Run the sign-in `req` describes and store the entry. Nothing is stored on failure.

    `open_url(url, redirect_uri)` shows the authorization page (code flow);
    `announce(device_authorization)` shows the user code (device flow); setting
    `cancel` ends a waiting sign-in with `SignInCancelled`. The GUI passes its own
    `open_url` (the embedded dialog) and registers it with
    `flows.set_embedded_browser` so `browser="embedded"` is accepted. A client `http`
    given stays open; one made here is closed at the end.
    """
    if http is None:
        with Http() as own:
            return sign_in(vault, req, open_url=open_url, announce=announce, http=own,
                           cancel=cancel)
    validate_name(req.name)
    if req.again is not None:
        # Before anything is opened or sent: the settings repeated must be the bound ones.
        binding.check_store(vault.store, req.again)
        if req.again.name != req.name:
            raise UsageError("a sign-in again keeps the entry's name")
    register_secret(req.client_secret)
    flow, browser = (
        (req.again.oauth.flow, req.again.oauth.browser)
        if req.again is not None and req.again.oauth is not None
        else (req.flow, req.browser)
    )
    if flow == "client-credentials" and not req.client_secret:
        raise UsageError("--flow client-credentials needs the client secret: --client-secret-stdin")
    if flow == "code" and browser == "embedded":
        embedded_browser()  # fail before any network call when no GUI is plugged in
    try:
        existing: Entry | None = vault.entry(req.name)
    except NotFound:
        existing = None
    if existing is not None and existing.kind != "oauth2":
        raise AlreadyExists(
            f"{req.name!r} holds a static token; remove it first (`tokenmgr rm {req.name}`) "
            "or pick another name: nothing was changed"
        )
    vault.store.check()  # a locked or missing keyring fails now, not after the sign-in
    if req.hosts is not None:
        from tokenmgr.core.hosts import check_unique, normalize

        req.hosts = normalize(req.hosts)
        check_unique(req.name, req.hosts, ((e.name, e.hosts) for e in vault.list_entries()))
    cfg, meta, preset = build_config(req, http)
    if preset is not None:
        if cfg.browser == "embedded" and not preset.embedded_ok:
            raise UsageError(
                f"{preset.service} refuses embedded browsers (disallowed_useragent): "
                "use --browser system"
            )
        if preset.client_secret_required and cfg.flow == "code" and not req.client_secret:
            raise UsageError(
                f"{preset.service} needs the client secret for this flow: --client-secret-stdin"
            )
    tokens: TokenResponse
    if cfg.flow == "client-credentials":
        tokens = client_credentials(http, cfg, req.client_secret)
    elif cfg.flow == "device":
        tokens = device_flow(
            http,
            cfg,
            client_secret=req.client_secret,
            announce=announce,
            timeout=req.timeout,
            cancel=cancel,
        )
    else:
        tokens = code_flow(
            http,
            cfg,
            meta=meta,
            client_secret=req.client_secret,
            open_url=open_url,
            timeout=req.timeout,
            id_token_issuers=cfg.id_token_issuers,
            auth_params=preset.auth_params if preset else None,
            cancel=cancel,
            offline_access_prompt=preset.offline_access_prompt if preset else True,
        )
    service = (preset.service if preset else "") or _host(cfg.issuer or cfg.token_url or "")
    entry = Entry(
        name=req.name,
        kind="oauth2",
        service=service,
        scheme=tokens.scheme(),
        expires_at=tokens.expires_at(),
        issued_at=tokens.received_at,
        oauth=cfg,
    )
    if existing is not None:
        entry.env_var = existing.env_var
        entry.note = existing.note
        entry.tags = list(existing.tags)
        entry.service = existing.service or entry.service
        entry.username = existing.username
    entry.hosts = list(req.hosts) if req.hosts is not None else _hosts_kept(vault, existing)
    if req.username is not None:
        entry.username = req.username
    secrets = TokenSet(
        access=tokens.access_token,
        refresh=tokens.refresh_token,
        id=tokens.id_token,
        client_secret=req.client_secret,
        binding=binding.digest(entry),
    )
    with vault.entry_lock(req.name):
        return vault.save_tokens(entry, secrets, replace=True)


def _hosts_kept(vault: Vault, existing: Entry | None) -> list[str]:
    """The hosts a signed-in-again entry keeps: those it served, if they are still the ones
    bound to its secrets (an edited index is not adopted by signing in)."""
    if existing is None or not existing.hosts:
        return []
    return list(existing.hosts) if vault.binding_holds(existing) else []


def request_again(entry: Entry) -> SignInRequest:
    """The sign-in that made `entry`, to run again ("Sign in again"): its bound settings,
    repeated as they are (`SignInRequest.again`); `sign_in` checks them against the
    binding stored with its secrets before anything is opened or sent. The client secret
    is not in here: `request_again_checked` reads it (in a worker) if the entry has one."""
    cfg = entry.oauth
    if entry.kind != "oauth2" or cfg is None:
        raise UsageError(f"{entry.name!r} is a static token: there is no sign-in to repeat")
    return SignInRequest(
        name=entry.name,
        client_id=cfg.client_id,
        issuer=cfg.issuer,
        preset=cfg.preset,
        authorize_url=cfg.authorize_url,
        token_url=cfg.token_url,
        device_url=cfg.device_url,
        revocation_url=cfg.revocation_url,
        introspection_url=cfg.introspection_url,
        scopes=list(cfg.scopes),
        audience=cfg.audience,
        resource=cfg.resource,
        params={**cfg.preset_params, **cfg.extra_params},
        flow=cfg.flow,
        browser=cfg.browser,
        port=cfg.redirect_port,
        again=entry,
    )


def request_again_checked(vault: Vault, name: str) -> SignInRequest:
    """`request_again` for the stored entry `name`, once its settings are known to match
    the binding stored with its secrets (oauth/binding.py), with its client secret read
    from the store. Otherwise IndexAltered (or BindingOutdated for an entry bound by an
    older release), and nothing is read or sent: an edited index must not choose where
    the client secret, or the person, is sent."""
    from tokenmgr.core.errors import IndexAltered

    entry = vault.entry(name)
    if entry.kind != "oauth2" or entry.oauth is None:
        raise UsageError(f"{name!r} is a static token: there is no sign-in to repeat")
    store = vault.store
    try:
        binding.check_store(store, entry)
    except IndexAltered:
        raise IndexAltered(
            f"the settings of {name!r} no longer match the ones it signed in with (was the "
            "index edited?), so they are not used to sign in again and nothing was sent. "
            "Delete the entry and sign in to the provider anew"
        ) from None
    req = request_again(entry)
    if "client_secret" in entry.secrets:
        req.client_secret = store.get(name, "client_secret")
        register_secret(req.client_secret)
    return req


def missing_refresh_token(entry: Entry) -> str | None:
    """A sentence for the person when a sign-in that asked for offline access (the
    `offline_access` scope, or the preset's `access_type=offline`) came back without a
    refresh token; None otherwise."""
    cfg = entry.oauth
    if cfg is None or cfg.flow == "client-credentials" or "refresh" in entry.secrets:
        return None
    preset_params = presets.auth_params(cfg.preset) if cfg.preset else {}
    asked = "offline_access" in cfg.scopes or (
        {**preset_params, **cfg.extra_params}.get("access_type") == "offline"
    )
    if not asked:
        return None
    return (
        f"the provider sent no refresh token for {entry.name!r} although offline access was "
        "asked for: the access token cannot be renewed, so sign in again when it expires. "
        "Check that the client is allowed the refresh_token grant at the provider."
    )


def _host(url: str) -> str:
    import urllib.parse

    try:
        return urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return ""
