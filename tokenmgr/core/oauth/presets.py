"""Provider presets, as data (gathered from each provider's own documentation).

A preset fills in what a person would otherwise look up: issuer or endpoints,
how the client authenticates, default scopes, and known quirks. Placeholders
in braces (`{tenant}`, `{realm}`, `{domain}`, `{host}`, `{issuer}`) are filled
from `--param NAME=VALUE`; those parameters are consumed, not sent. Nothing
here is a code path: the flows read these fields like any other configuration.

Fields: `service` (label), `issuer` (discovery is used when set), `authorize_url`,
`token_url`, `device_url`, `revocation_url`, `revocation_style` (`rfc7009` or
`github`), `token_endpoint_auth` (`client_secret_basic` or `client_secret_post`),
`scopes` (default), `embedded_ok` (False: the provider refuses embedded browsers,
`disallowed_useragent`), `client_secret_required`, `accepted_issuers` (other
`issuer` strings its discovery document may name, e.g. Entra's literal
`{tenantid}` for multi-tenant), `id_token_issuers` (other `iss` values its ID
tokens carry), `auth_params` (always added to the authorization request),
`resend_redirect_uri` (refresh repeats the sign-in's redirect_uri, GitLab),
`authorization_response_iss` (the `iss` its authorization responses carry when
no discovery document names the issuer, checked when present: RFC 9207),
`offline_access_prompt` (default True: `prompt=consent` goes with `offline_access`,
as OpenID Connect Core §11 requires; False where the provider needs none),
`hosts` (where its tokens are used from git and docker, suggested for `--host`),
`quirks` (notes shown by `--help` and the GUI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tokenmgr.core.errors import UsageError

PRESETS: dict[str, dict[str, Any]] = {
    "github": {
        "service": "GitHub",
        "authorize_url": "https://github.com/login/oauth/authorize",
        "token_url": "https://github.com/login/oauth/access_token",
        "device_url": "https://github.com/login/device/code",
        "revocation_url": "https://api.github.com/applications/{client_id}/token",
        "revocation_style": "github",
        "token_endpoint_auth": "client_secret_post",
        "scopes": [],
        "hosts": ["github.com"],
        "embedded_ok": True,
        "client_secret_required": True,
        # Sent without being advertised; checked when present (RFC 9207).
        "authorization_response_iss": "https://github.com/login/oauth",
        "id_token_issuers": [],
        "quirks": [
            "answers form-encoded unless asked for JSON (tokenmgr asks, and parses both)",
            "errors come as HTTP 200 with an `error` field",
            "OAuth-app tokens have no expires_in; GitHub-App tokens last 8 h with rotation",
            "the code flow needs the client secret even with PKCE",
        ],
    },
    "gitlab": {
        "service": "GitLab",
        "issuer": "https://{host}",
        "defaults": {"host": "gitlab.com"},
        "device_url": "https://{host}/oauth/authorize_device",
        "token_endpoint_auth": "client_secret_basic",
        "resend_redirect_uri": True,
        "scopes": ["openid", "read_user"],
        "hosts": ["{host}"],
        "embedded_ok": True,
        "quirks": [
            "device endpoint is not in discovery",
            "2 h access tokens; refresh tokens rotate (old ones die)",
            "refresh requests must repeat the sign-in's redirect_uri",
        ],
    },
    "google": {
        "service": "Google",
        "issuer": "https://accounts.google.com",
        "token_endpoint_auth": "client_secret_post",
        "scopes": ["openid", "email"],
        "embedded_ok": False,
        "client_secret_required": True,
        "id_token_issuers": ["accounts.google.com"],
        # No offline_access scope at Google: a refresh token needs access_type=offline,
        # and prompt=consent makes Google send one again on every later sign-in.
        "auth_params": {"access_type": "offline", "prompt": "consent"},
        "quirks": [
            "refresh tokens need access_type=offline (and prompt=consent after the first "
            "sign-in): tokenmgr sends both",
            "refuses embedded browsers (disallowed_useragent): use --browser system",
            "desktop clients still need their client secret",
            "100 refresh tokens per account and client; 7-day refresh tokens in Testing",
        ],
    },
    "entra": {
        "service": "Microsoft Entra ID",
        "issuer": "https://login.microsoftonline.com/{tenant}/v2.0",
        "defaults": {"tenant": "organizations"},
        "accepted_issuers": ["https://login.microsoftonline.com/{{tenantid}}/v2.0"],
        "token_endpoint_auth": "client_secret_post",
        "scopes": ["openid", "offline_access"],
        # Entra honours offline_access without prompt=consent, and prompt=consent can
        # demand admin approval in tenants where users may not consent.
        "offline_access_prompt": False,
        "embedded_ok": True,
        "quirks": [
            "needs offline_access for a refresh token (no prompt=consent: it can require "
            "admin approval)",
            "common/organizations discovery names the issuer with a literal {tenantid}",
            "loopback redirects register as http://localhost; no revocation endpoint",
        ],
    },
    "auth0": {
        "service": "Auth0",
        # Auth0's issuer ends with a slash; the exact match needs it.
        "issuer": "https://{domain}/",
        "token_endpoint_auth": "client_secret_post",
        "scopes": ["openid", "offline_access"],
        "embedded_ok": True,
        "quirks": [
            "without --audience the access token is opaque",
            "refresh tokens need offline_access and the API's Allow Offline Access",
        ],
    },
    "okta": {
        "service": "Okta",
        "issuer": "https://{domain}/oauth2/{server}",
        "defaults": {"server": "default"},
        "scopes": ["openid", "offline_access"],
        "embedded_ok": True,
        "quirks": [
            "org authorization server: --param server= is not supported, use --issuer",
            "refresh token rotation is off by default",
        ],
    },
    "keycloak": {
        "service": "Keycloak",
        "issuer": "https://{host}/realms/{realm}",
        "scopes": ["openid"],
        "embedded_ok": True,
        "quirks": [
            "Keycloak before 17 serves under /auth: use --issuer https://HOST/auth/realms/REALM",
            "register the loopback redirect without a port",
        ],
    },
    "oidc": {
        "service": "",
        "issuer": "{issuer}",
        "scopes": ["openid"],
        "embedded_ok": True,
        "quirks": ["any OpenID Connect provider with discovery"],
    },
}

_FIELD = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")
# Fields whose text may hold placeholders (quirks are prose and may show braces).
_TEMPLATED = (
    "issuer",
    "authorize_url",
    "token_url",
    "device_url",
    "revocation_url",
    "accepted_issuers",
    "authorization_response_iss",
    "hosts",
)


@dataclass
class Preset:
    name: str
    service: str = ""
    issuer: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    device_url: str | None = None
    revocation_url: str | None = None
    revocation_style: str = "rfc7009"
    token_endpoint_auth: str = "client_secret_basic"
    scopes: list[str] = field(default_factory=list)
    embedded_ok: bool = True
    client_secret_required: bool = False
    accepted_issuers: list[str] = field(default_factory=list)
    id_token_issuers: list[str] = field(default_factory=list)
    auth_params: dict[str, str] = field(default_factory=dict)
    resend_redirect_uri: bool = False
    authorization_response_iss: str | None = None
    offline_access_prompt: bool = True
    # Where its tokens are used from git and docker: suggested for `--host`, never set.
    hosts: list[str] = field(default_factory=list)
    quirks: list[str] = field(default_factory=list)


def placeholders(name: str) -> list[str]:
    """The placeholder names a preset needs (without `client_id`, filled automatically)."""
    data = _data(name)
    found: list[str] = []
    for key in _TEMPLATED:
        v = data.get(key)
        for text in v if isinstance(v, list) else [v]:
            if isinstance(text, str):
                for m in _FIELD.finditer(text):
                    if m.group(1) not in found and m.group(1) != "client_id":
                        found.append(m.group(1))
    return found


def suggested_hosts(name: str, values: dict[str, str]) -> list[str]:
    """The hosts a preset suggests serving (`--host`), filled in; [] if none or unknown."""
    if name.lower() not in PRESETS:
        return []
    data = PRESETS[name.lower()]
    merged = {**data.get("defaults", {}), **values}
    out = []
    for text in data.get("hosts", []):
        try:
            out.append(str(text).format_map(merged))
        except (KeyError, ValueError):
            continue
    return out


def auth_params(name: str) -> dict[str, str]:
    """The parameters a preset always adds to its authorization requests ({} if unknown)."""
    data = PRESETS.get(name.lower(), {})
    return dict(data.get("auth_params", {}))


def _data(name: str) -> dict[str, Any]:
    key = name.lower()
    if key not in PRESETS:
        raise UsageError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}")
    return PRESETS[key]


def resolve(name: str, values: dict[str, str], client_id: str) -> tuple[Preset, dict[str, str]]:
    """The preset with its placeholders filled; returns it and the values NOT consumed."""
    data = _data(name)
    needed = placeholders(name)
    merged = {**data.get("defaults", {}), **values}
    missing = [p for p in needed if not merged.get(p)]
    if missing:
        hint = " ".join(f"--param {p}=..." for p in missing)
        raise UsageError(f"preset {name!r} needs {', '.join(missing)}: add {hint}")
    subst = {p: merged[p] for p in needed}
    subst["client_id"] = client_id

    def fill(text: Any) -> Any:
        if isinstance(text, str):
            return text.format_map(subst)
        if isinstance(text, list):
            return [fill(t) for t in text]
        return text

    kwargs = {
        k: fill(v) if k in _TEMPLATED else v
        for k, v in data.items()
        if k in Preset.__dataclass_fields__
    }
    rest = {k: v for k, v in values.items() if k not in needed}
    return Preset(name=name.lower(), **kwargs), rest
