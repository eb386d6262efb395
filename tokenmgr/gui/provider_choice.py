"""What choosing a provider means for the sign-in form, without Qt: which presets the
picker offers and how it names them, the value fields a preset needs, whether the
issuer is typed or derived, the scopes and the hint beside them, what the provider
warns of, and whether it allows the embedded browser. `PresetChoice.of(name)` is read
from the presets' data (core/oauth/presets.py); the page (gui/oauth_profile.py)
applies it to its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.oauth import presets

FLOWS = (
    ("code", "Sign in with a browser (authorization code)"),
    ("device", "Sign in on another device (device code)"),
    ("client-credentials", "Service account (client credentials)"),
)
BROWSERS = (("embedded", "In Token Manager"), ("system", "In my web browser"))
GENERIC = "oidc"
# Presets first in the order people look for them; the generic one first of all.
ORDER = ("oidc", "github", "gitlab", "google", "entra", "auth0", "okta", "keycloak")
LABELS = {"oidc": "Generic OpenID Connect"}
# The values presets need, as labelled fields: (label with its mnemonic, placeholder).
VALUE_FIELDS = {
    "host": ("Hos&t", "e.g. keycloak.example.com"),
    "realm": ("Rea&lm", "e.g. myrealm"),
    "tenant": ("T&enant", "organizations, common, consumers, or your tenant id"),
    "domain": ("&Domain", "e.g. your-tenant.eu.auth0.com"),
    "server": ("Authori&zation server", "default"),
}


def preset_label(name: str) -> str:
    return LABELS.get(name) or str(presets.PRESETS[name].get("service") or name)


def offered() -> list[tuple[str, str]]:
    """(label, name) of each preset the picker offers, in `ORDER`."""
    return [(preset_label(name), name) for name in ORDER if name in presets.PRESETS]


@dataclass(frozen=True)
class PresetChoice:
    name: str
    issuer_typed: bool  # only the generic provider takes a typed issuer
    fixed_issuer: str  # a preset's issuer that needs no value ("" otherwise)
    needed: frozenset[str]  # the value fields shown
    defaults: Mapping[str, str]
    scopes: str
    scope_hint: str
    quirks: str  # what the provider warns of, shown under the picker ("" for nothing)
    embedded_ok: bool  # whether it allows signing in in the embedded browser
    suggested_name: str

    @classmethod
    def of(cls, name: str) -> PresetChoice:
        data = presets.PRESETS[name]
        generic = name == GENERIC
        needed = frozenset(() if generic else presets.placeholders(name))
        fixed = "" if generic or needed or "issuer" not in data else str(data["issuer"])
        scopes = ["openid", "offline_access"] if generic else list(data.get("scopes", []))
        quirks = [] if generic else [str(q) for q in data.get("quirks", [])]
        return cls(
            name=name,
            issuer_typed=generic,
            fixed_issuer=fixed,
            needed=needed,
            defaults={k: str(v) for k, v in data.get("defaults", {}).items()},
            scopes=" ".join(scopes),
            scope_hint=_scope_hint(name),
            quirks="; ".join(quirks[:3]),
            embedded_ok=bool(data.get("embedded_ok", True)),
            suggested_name="" if generic else name,
        )

    def issuer(self, typed: str, values: Mapping[str, str]) -> str:
        """The issuer a sign-in asks: the typed one (generic), or the preset's with its
        values filled in ("" while they are missing or the preset has none)."""
        if self.issuer_typed:
            return typed.strip()
        if "issuer" not in presets.PRESETS[self.name]:
            return ""
        try:
            preset, _ = presets.resolve(self.name, dict(values), "client")
        except TokenMgrError:
            return ""
        return preset.issuer or ""

    def suggested_hosts(self, values: Mapping[str, str]) -> list[str]:
        """Where its tokens are used from git and docker (GitHub: github.com)."""
        return [] if self.issuer_typed else presets.suggested_hosts(self.name, dict(values))


def _scope_hint(name: str) -> str:
    if name == "google":
        return "Google renews sign-ins with access_type=offline (sent for you)."
    if name == "github":
        return "Empty means GitHub's default (public information only)."
    return "offline_access keeps the entry signed in (a refresh token)."
