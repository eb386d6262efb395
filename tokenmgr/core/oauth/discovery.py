"""Authorization server metadata: OpenID Connect Discovery 1.0 and RFC 8414.

Both documents are read, for issuers with and without a path, and what each
lists is merged (a server may name its revocation, introspection or device
endpoint in only one of them): OIDC appends `/.well-known/openid-configuration`
to the issuer; RFC 8414 §3.1 inserts `/.well-known/oauth-authorization-server`
between host and path. The `issuer` in each document must equal the configured
issuer exactly (OIDC Discovery §4.3, RFC 8414 §3.3): a trailing-slash difference
is a mismatch. A preset's `accepted_issuers` may add other exact issuers, or a `{tenantid}`
template matching one tenant GUID (Entra).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tokenmgr.core.errors import AuthError, UsageError
from tokenmgr.core.oauth.http import Http, check_url, describe, shown
from tokenmgr.core.oauth.pkce import same

log = logging.getLogger("tokenmgr.oauth.discovery")

# Entra ID's multi-tenant metadata names its issuer with a literal `{tenantid}`; its
# single-tenant metadata (also for `consumers` and domain-named tenants) the tenant GUID.
TENANT_PLACEHOLDER = "{tenantid}"
_TENANT_ID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def issuer_matches(iss: object, allowed: list[str]) -> bool:
    """Exact match against `allowed`; `{tenantid}` in an entry matches one tenant GUID."""
    if not isinstance(iss, str):
        return False
    for candidate in allowed:
        if TENANT_PLACEHOLDER in candidate:
            head, _, tail = candidate.partition(TENANT_PLACEHOLDER)
            if re.fullmatch(re.escape(head) + _TENANT_ID + re.escape(tail), iss):
                return True
        elif same(iss, candidate):
            return True
    return False


class IssuerMismatch(AuthError):
    """The discovery document names another issuer (possible mix-up or misconfiguration)."""


@dataclass
class ServerMetadata:
    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    device_authorization_endpoint: str | None = None
    revocation_endpoint: str | None = None
    introspection_endpoint: str | None = None
    jwks_uri: str | None = None
    iss_parameter_supported: bool = False
    code_challenge_methods: list[str] = field(default_factory=list)
    scopes_supported: list[str] = field(default_factory=list)
    grant_types_supported: list[str] = field(default_factory=list)
    oidc: bool = False

    ENDPOINTS: ClassVar[tuple[str, ...]] = (
        "authorization_endpoint",
        "token_endpoint",
        "device_authorization_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
        "jwks_uri",
    )
    LISTS: ClassVar[tuple[str, ...]] = (
        "code_challenge_methods",
        "scopes_supported",
        "grant_types_supported",
    )

    @classmethod
    def from_document(cls, doc: dict[str, Any], *, oidc: bool) -> ServerMetadata:
        def url(key: str) -> str | None:
            v = doc.get(key)
            return v if isinstance(v, str) and v else None

        def strs(key: str) -> list[str]:
            v = doc.get(key)
            return [str(x) for x in v] if isinstance(v, list) else []

        return cls(
            issuer=url("issuer"),
            authorization_endpoint=url("authorization_endpoint"),
            token_endpoint=url("token_endpoint"),
            device_authorization_endpoint=url("device_authorization_endpoint"),
            revocation_endpoint=url("revocation_endpoint"),
            introspection_endpoint=url("introspection_endpoint"),
            jwks_uri=url("jwks_uri"),
            iss_parameter_supported=doc.get("authorization_response_iss_parameter_supported")
            is True,
            code_challenge_methods=strs("code_challenge_methods_supported"),
            scopes_supported=strs("scopes_supported"),
            grant_types_supported=strs("grant_types_supported"),
            oidc=oidc,
        )

    def merged(self, other: ServerMetadata) -> ServerMetadata:
        """What either document lists; where both name an endpoint, this one's (the
        OpenID document comes first)."""
        out = dataclasses.replace(self)
        for key in self.ENDPOINTS:
            if getattr(out, key) is None:
                setattr(out, key, getattr(other, key))
        for key in self.LISTS:
            mine: list[str] = getattr(out, key)
            setattr(out, key, mine + [v for v in getattr(other, key) if v not in mine])
        out.iss_parameter_supported = self.iss_parameter_supported or other.iss_parameter_supported
        out.oidc = self.oidc or other.oidc
        return out

    def offers_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types_supported


def well_known_urls(issuer: str) -> list[tuple[str, bool]]:
    """(url, is_oidc) pairs to try, in order."""
    parts = urllib.parse.urlsplit(issuer)
    path = parts.path.rstrip("/")
    oidc = issuer.rstrip("/") + "/.well-known/openid-configuration"
    base = f"{parts.scheme}://{parts.netloc}"
    out = [(oidc, True), (f"{base}/.well-known/oauth-authorization-server{path}", False)]
    if path:
        # RFC 8414 §5 compatibility form some servers use for OIDC with a path.
        out.append((f"{base}/.well-known/openid-configuration{path}", True))
    return out


def check_issuer(issuer: str) -> str:
    check_url(issuer, "issuer")
    parts = urllib.parse.urlsplit(issuer)
    if parts.query:
        raise UsageError(f"issuer {issuer!r} must not hold a ?query (RFC 8414 §2)")
    return issuer


def discover(http: Http, issuer: str, *, accepted_issuers: Iterable[str] = ()) -> ServerMetadata:
    """Fetch, check and merge the metadata of `issuer`: the OpenID document and the
    RFC 8414 metadata, each naming exactly this issuer. Either may be missing; some
    servers list their revocation, introspection or device endpoints in only one."""
    check_issuer(issuer)
    accepted = list(accepted_issuers)
    tried: list[str] = []
    found: list[ServerMetadata] = []
    for url, is_oidc in well_known_urls(issuer):
        if is_oidc and any(meta.oidc for meta in found):
            continue  # one OpenID document is enough (the RFC 8414 §5 form is a fallback)
        meta = _fetch(http, url, is_oidc, tried)
        if meta is None:
            continue
        # The configured issuer and accepted_issuers entries match exactly (Entra's
        # literal `{tenantid}` included); an entry holding `{tenantid}` also matches
        # that issuer with one tenant GUID (Entra's consumers and domain-named tenants).
        if (
            meta.issuer != issuer
            and meta.issuer not in accepted
            and not issuer_matches(meta.issuer, accepted)
        ):
            raise IssuerMismatch(
                f"the discovery document at {shown(url)} names the issuer "
                f"{shown(str(meta.issuer))}, not {shown(issuer)}; they must match exactly "
                "(check a trailing slash): nothing was stored"
            )
        found.append(meta)
    if not found:
        raise UsageError(
            f"no discovery document for issuer {issuer!r} ({'; '.join(tried)}): check the "
            "issuer URL, or give --authorize-url and --token-url"
        )
    merged = found[0]
    for meta in found[1:]:
        merged = merged.merged(meta)
    if merged.token_endpoint is None:
        raise AuthError(f"the discovery documents of {shown(issuer)} name no token_endpoint")
    for key in ServerMetadata.ENDPOINTS:
        value = getattr(merged, key)
        if value is not None:
            check_url(value, key)
    return merged


def _fetch(http: Http, url: str, is_oidc: bool, tried: list[str]) -> ServerMetadata | None:
    """One metadata document, or None (noted in `tried`) when there is none there."""
    from tokenmgr.core.oauth.http import parse_body

    resp = http.request("GET", url, what="the discovery endpoint")
    if resp.status in (404, 410):
        tried.append(f"{url}: HTTP {resp.status}")
        return None
    doc = parse_body(resp) if resp.content_type.endswith("json") else None
    if resp.status != 200 or doc is None:
        tried.append(f"{url}: {describe(resp)}")
        log.debug("discovery: no metadata at %s (%s)", url, describe(resp))
        return None
    return ServerMetadata.from_document(doc, oidc=is_oidc)
