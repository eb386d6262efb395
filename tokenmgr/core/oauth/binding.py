"""The binding: an entry's secrets, and its person, go only where they went at sign-in.

The index (`entries.json`) is plain text that any process of the user can edit;
if it alone decided where a refresh token or client secret is sent, or which page
"Sign in again" opens, an edited URL would hand them to someone else. So sign-in
stores, beside the secrets in the store, a digest of every setting of the entry
that decides where and how its secrets are sent or where its person is sent: the
*bound settings*, listed once, in `SETTINGS` below. Everything that sends a secret
or opens a page for the entry (refresh, the client-credentials re-fetch,
revocation, "Sign in again") first compares the entry with that digest and sends
nothing when they differ; an issuer pins keys only for an entry whose binding
matches.

Adding a setting (a later feature's hosts or check URL) is one `Setting` line.
A setting at its default value is left out of the digest, so adding one keeps
every existing binding valid until the setting is used; an entry that uses it
must be (re)bound by whatever sets it. A static entry has nothing bound today
(every setting is at its default), so it needs no binding; the first setting that
applies to static entries makes them need one, with no other change here.

Versions: `v2` covers `SETTINGS`. `v1` (older releases) covered only the token,
device and revocation endpoints, the revocation style, the client authentication,
the client id and the issuer. An entry still bound with `v1` sends nothing either:
it must be signed in to once more, which binds it again with `v2`.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.errors import BindingOutdated, IndexAltered

if TYPE_CHECKING:
    from tokenmgr.core.stores import SecretStore

FIELD = "binding"
VERSION = "v2"
_DEFAULT_OAUTH = OAuthConfig()


@dataclass(frozen=True)
class Setting:
    """One bound setting: its name in the digest, how it is read from an entry, and the
    value it has when unused (left out of the digest)."""

    name: str
    read: Callable[[Entry], Any]
    default: Any = None


def _oauth(attr: str) -> Setting:
    """An `OAuthConfig` field, bound under its own name."""

    def read(entry: Entry) -> Any:
        cfg = entry.oauth
        return getattr(cfg if cfg is not None else _DEFAULT_OAUTH, attr)

    return Setting(attr, read, getattr(_DEFAULT_OAUTH, attr))


# Every setting that decides where an entry's secrets or its person go. The whole of
# OAuthConfig is here: each field shapes the authorization request or a request that
# carries a secret (a test keeps it that way as fields are added).
SETTINGS: tuple[Setting, ...] = (
    # Which requests exist at all: a static entry made into an OAuth one is not bound.
    Setting("kind", lambda e: e.kind, "static"),
    # Where credential helpers hand the token out (any kind of entry): an index edited
    # to add a host serves nothing there.
    Setting("hosts", lambda e: sorted(e.hosts), []),
    # Where the token is sent to be checked (core/probe; any kind of entry): an index
    # edited to point it elsewhere sends nothing.
    Setting("check_url", lambda e: e.check_url, None),
    # Where the person is sent, and what the authorization request says.
    _oauth("issuer"),
    _oauth("preset"),
    _oauth("preset_params"),
    _oauth("authorize_url"),
    _oauth("client_id"),
    _oauth("scopes"),
    _oauth("audience"),
    _oauth("resource"),
    _oauth("extra_params"),
    _oauth("flow"),
    _oauth("browser"),
    _oauth("redirect_port"),
    _oauth("authorization_response_iss"),
    _oauth("id_token_issuers"),
    # Where secrets are sent, and how the client authenticates there.
    _oauth("token_url"),
    _oauth("device_url"),
    _oauth("revocation_url"),
    _oauth("revocation_style"),
    _oauth("introspection_url"),
    _oauth("token_endpoint_auth"),
    _oauth("redirect_uri"),
    _oauth("resend_redirect_uri"),
)

# What the older digest covered (see the module docstring).
_V1 = (
    "issuer",
    "token_url",
    "device_url",
    "revocation_url",
    "revocation_style",
    "token_endpoint_auth",
    "client_id",
)


class State(enum.Enum):
    """How an entry relates to the binding stored with its secrets."""

    MATCHES = "matches"  # bound with the current version, and nothing changed
    OUTDATED = "outdated"  # bound with an older version that still matches what it covered
    ALTERED = "altered"  # the entry's bound settings differ from the stored digest
    MISSING = "missing"  # the entry has bound settings but no binding is stored
    NOT_NEEDED = "not_needed"  # nothing of the entry is bound (and none is stored)


def bound_values(entry: Entry) -> dict[str, Any]:
    """The entry's bound settings that are not at their default, by name."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.read(entry)
        if value != setting.default:
            values[setting.name] = value
    return values


def _hash(version: str, data: dict[str, Any]) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return f"{version}:{hashlib.sha256(blob).hexdigest()}"


def digest(entry: Entry) -> str:
    """The binding to store with `entry`'s secrets."""
    return _hash(VERSION, bound_values(entry))


def _digest_v1(cfg: OAuthConfig) -> str:
    return _hash("v1", {name: getattr(cfg, name) for name in _V1})


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def state(stored: str | None, entry: Entry) -> State:
    """Compare the binding `stored` with the entry's settings now."""
    if stored is None:
        return State.NOT_NEEDED if not bound_values(entry) else State.MISSING
    if stored.startswith(VERSION + ":"):
        return State.MATCHES if _same(stored, digest(entry)) else State.ALTERED
    if stored.startswith("v1:") and entry.kind == "oauth2" and entry.oauth is not None:
        return State.OUTDATED if _same(stored, _digest_v1(entry.oauth)) else State.ALTERED
    return State.ALTERED


def read(store: SecretStore, entry: Entry) -> str | None:
    """The binding stored with the entry's secrets (whether or not the index lists it:
    an index that lost track of it must not make the entry look unbound)."""
    return store.get(entry.name, FIELD)


def check(stored: str | None, entry: Entry) -> None:
    """Raise unless `stored` (the store's binding) matches the entry now: IndexAltered
    when the entry changed, BindingOutdated when it must be signed in to once more."""
    verdict = state(stored, entry)
    name = entry.name
    if verdict in (State.MATCHES, State.NOT_NEEDED):
        return
    if verdict is State.ALTERED:
        raise IndexAltered(
            f"the index was altered: the settings of {name!r} no longer match the ones it "
            "signed in with, so its tokens and client secret were not sent anywhere. "
            f"Restore the index, or sign in again with `tokenmgr login {name} ...`"
        )
    if verdict is State.MISSING:
        raise BindingOutdated(
            f"{name!r} has no endpoint binding in the secret store (signed in with an older "
            "release, or the index was edited), so nothing was sent: sign in once more to "
            f"re-bind it with `tokenmgr login {name} ...`"
        )
    raise BindingOutdated(
        f"{name!r} was signed in with an older release, whose binding does not cover all "
        "of the settings that decide where its tokens and its sign-in go, so nothing was "
        f"sent: sign in once more to re-bind it with `{login_command(entry)}`"
    )


def check_store(store: SecretStore, entry: Entry) -> None:
    """`check` against the binding in `store` (reads no other secret)."""
    check(read(store, entry), entry)


# ------------------------------------------------------------ signing in once more


def login_command(entry: Entry) -> str:
    """The `tokenmgr login` line that signs `entry` in once more with its settings.

    Meant for an entry whose older binding still matches: the issuer, the token
    endpoint and the client id were covered by it; the rest comes from the index and
    is taken only where it cannot send the person elsewhere (a preset only when it
    names the bound issuer or token endpoint; an authorization endpoint only on the
    bound token endpoint's host, otherwise left for the person to fill in).
    """
    from tokenmgr.core.redact import printable

    cfg = entry.oauth
    if cfg is None:
        return f"tokenmgr login {entry.name} ..."
    args = ["tokenmgr", "login", entry.name]
    if _preset_matches(cfg):
        args += ["--preset", str(cfg.preset)]
        for k, v in sorted(cfg.preset_params.items()):
            args += ["--param", f"{k}={v}"]
    elif cfg.issuer:
        args += ["--issuer", cfg.issuer]
    else:
        authorize = cfg.authorize_url
        if not (authorize and cfg.token_url and _same_origin(authorize, cfg.token_url)):
            authorize = "AUTHORIZE_URL"
        args += ["--authorize-url", authorize, "--token-url", cfg.token_url or "TOKEN_URL"]
    args += ["--client-id", cfg.client_id]
    if "client_secret" in entry.secrets:
        args.append("--client-secret-stdin")
    if cfg.scopes:
        args += ["--scope", " ".join(cfg.scopes)]
    for option, value in (("--audience", cfg.audience), ("--resource", cfg.resource)):
        if value:
            args += [option, value]
    for k, v in sorted(cfg.extra_params.items()):
        args += ["--param", f"{k}={v}"]
    if cfg.flow != "code":
        args += ["--flow", cfg.flow]
    if cfg.flow == "code" and cfg.browser == "none":
        args += ["--browser", "none"]
    if cfg.redirect_port:
        args += ["--port", str(cfg.redirect_port)]
    return printable(shlex.join(args), 2000)


def _preset_matches(cfg: OAuthConfig) -> bool:
    """The entry's preset, filled with its values, leads where the entry is bound to."""
    if not cfg.preset:
        return False
    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.oauth import presets

    try:
        preset, _ = presets.resolve(cfg.preset, dict(cfg.preset_params), cfg.client_id)
    except UsageError:
        return False
    if preset.issuer is not None:
        return preset.issuer == cfg.issuer
    return cfg.issuer is None and preset.token_url == cfg.token_url


def _same_origin(a: str, b: str) -> bool:
    import urllib.parse

    pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return (pa.scheme, pa.netloc.lower()) == (pb.scheme, pb.netloc.lower())
