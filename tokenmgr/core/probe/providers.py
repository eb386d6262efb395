"""The providers, as data, and where an entry's token may be asked about.

A token is asked about only at its own provider. Where that is comes from:
- the token's well-known prefix (`ghp_`, `github_pat_`, `gho_`, `ghu_`, `ghs_` →
  GitHub; `glpat-` → GitLab), which the token itself carries;
- the entry's first host (`host[:port]`), for GitHub Enterprise Server
  (`https://HOST/api/v3`), GitHub Enterprise Cloud with data residency
  (`https://api.SUB.ghe.com`) and self-managed GitLab (`https://HOST/api/v4`); a host
  of `github.com` or `gitlab.com` also names the provider of a token without a prefix
  (GitHub's older 40-character tokens);
- an OAuth entry's introspection endpoint (RFC 7662), or its `github` / `gitlab`
  preset;
- the entry's check URL, when it has one (it wins: the person chose it).
Every one of these is either in the token or a bound setting of the entry (stored
beside its secrets), so editing the index cannot send a token elsewhere. Targets are
https; only a check URL on a loopback address may be plain http.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry


@dataclass(frozen=True)
class Provider:
    """How to ask one kind of provider: the request and how to read its answer."""

    kind: str
    method: str
    path: str  # appended to the target's base URL
    # How the token travels: "bearer" (Authorization: Bearer), "private-token" (GitLab's
    # header), "scheme" (the entry's own scheme), "introspection" (in the form body, the
    # client authenticated as its sign-in does).
    credential: str
    reader: str  # a function of answers.py


PROVIDERS: dict[str, Provider] = {
    p.kind: p
    for p in (
        Provider("github", "GET", "/user", "bearer", "read_github"),
        Provider("gitlab", "GET", "/personal_access_tokens/self", "private-token", "read_gitlab"),
        Provider("gitlab-oauth", "GET", "/oauth/token/info", "bearer", "read_gitlab_oauth"),
        Provider("introspection", "POST", "", "introspection", "read_introspection"),
        Provider("check-url", "GET", "", "scheme", "read_status"),
    )
}


@dataclass(frozen=True)
class Prefix:
    prefix: str
    provider: str  # "github" or "gitlab"
    token_type: str
    pat: bool  # a personal access token: no expiry header means no expiry
    page: str  # where such tokens are made, under the provider's web address


PREFIXES: tuple[Prefix, ...] = (
    Prefix(
        "github_pat_",
        "github",
        "fine-grained personal access token",
        True,
        "/settings/personal-access-tokens",
    ),
    Prefix("ghp_", "github", "classic personal access token", True, "/settings/tokens"),
    Prefix("gho_", "github", "OAuth app token", False, "/settings/applications"),
    Prefix("ghu_", "github", "GitHub App user token", False, "/settings/apps/authorizations"),
    Prefix("ghs_", "github", "GitHub App installation token", False, "/settings/installations"),
    Prefix(
        "glpat-",
        "gitlab",
        "access token",
        True,
        "/-/user_settings/personal_access_tokens",
    ),
)
# A host that names the provider of a token with no known prefix.
PUBLIC_HOSTS = {
    "github.com": "github",
    "api.github.com": "github",
    "www.github.com": "github",
    "gitlab.com": "gitlab",
}
_NO_PREFIX = {
    "github": Prefix("", "github", "token", False, "/settings/tokens"),
    "gitlab": Prefix("", "gitlab", "token", False, "/-/user_settings/personal_access_tokens"),
}


@dataclass(frozen=True)
class Target:
    """Where and how one entry's token is asked about."""

    provider: Provider
    url: str
    label: str  # who answers, for people: "GitHub", "GitLab at git.example.com"
    token_type: str = ""
    pat: bool = False
    page: str | None = None  # the provider's page to make a new token, when known


class NoTarget(Exception):
    """The entry has no provider to ask; `str()` says why and what would give it one."""


def token_prefix(token: str) -> Prefix | None:
    for p in PREFIXES:
        if token.startswith(p.prefix):
            return p
    return None


def host_name(host: str) -> str:
    """`host[:port]` of a `host[:port][/path-prefix]` setting, lower-cased."""
    return host.split("/", 1)[0].strip().lower()


def _hostname(hostport: str) -> str:
    try:
        return urllib.parse.urlsplit(f"//{hostport}").hostname or hostport
    except ValueError:
        return hostport


def github_target(hostport: str | None, prefix: Prefix) -> Target:
    name = _hostname(hostport) if hostport else "github.com"
    if hostport is None or PUBLIC_HOSTS.get(name) == "github":
        api, web, label = "https://api.github.com", "https://github.com", "GitHub"
    elif name.endswith(".ghe.com"):
        # Enterprise Cloud with data residency: the API is a sibling host.
        api, web, label = f"https://api.{hostport}", f"https://{hostport}", f"GitHub ({hostport})"
    else:
        api = f"https://{hostport}/api/v3"
        web, label = f"https://{hostport}", f"GitHub Enterprise at {hostport}"
    return Target(
        PROVIDERS["github"],
        api + PROVIDERS["github"].path,
        label,
        prefix.token_type,
        prefix.pat,
        web + prefix.page,
    )


def gitlab_target(hostport: str | None, prefix: Prefix, *, oauth: bool = False) -> Target:
    host = hostport or "gitlab.com"
    public = PUBLIC_HOSTS.get(_hostname(host)) == "gitlab"
    label = "GitLab" if public else f"GitLab at {host}"
    web = f"https://{host}"
    if oauth:
        provider = PROVIDERS["gitlab-oauth"]
        return Target(provider, web + provider.path, label, "OAuth access token")
    provider = PROVIDERS["gitlab"]
    return Target(
        provider,
        f"{web}/api/v4{provider.path}",
        label,
        prefix.token_type,
        prefix.pat,
        web + prefix.page,
    )


def entry_hosts(entry: Entry) -> list[str]:
    """The hosts an entry serves (`host[:port][/path-prefix]`), first one first."""
    return list(entry.hosts)


def target_for(entry: Entry, token: str) -> Target:
    """Where `entry`'s token (`token`) may be asked about; NoTarget when nowhere.

    Reads only the token and the entry's bound settings (see the module docstring).
    """
    from tokenmgr.core.oauth.http import check_url, shown

    if entry.check_url:
        url = check_url(entry.check_url, "the check URL")
        host = urllib.parse.urlsplit(url).netloc
        return Target(PROVIDERS["check-url"], url, host)
    hosts = entry_hosts(entry)
    first = host_name(hosts[0]) if hosts else None
    if entry.kind == "oauth2" and entry.oauth is not None:
        cfg = entry.oauth
        introspection = cfg.introspection_url
        if introspection:
            url = check_url(introspection, "the introspection endpoint")
            host = urllib.parse.urlsplit(url).netloc
            return Target(PROVIDERS["introspection"], url, f"the OAuth server at {host}")
        if cfg.preset == "github":
            return github_target(None, token_prefix(token) or _NO_PREFIX["github"])
        if cfg.preset == "gitlab":
            gitlab_host = cfg.preset_params.get("host") or "gitlab.com"
            return gitlab_target(host_name(gitlab_host), _NO_PREFIX["gitlab"], oauth=True)
        raise NoTarget(
            f"the OAuth entry {entry.name!r} has no introspection endpoint to ask (its "
            "provider offers none in its metadata, or none was given with "
            "`tokenmgr login --introspection-url`)"
        )
    prefix = token_prefix(token)
    provider = prefix.provider if prefix else PUBLIC_HOSTS.get(_hostname(first or ""))
    if provider is None:
        where = f" (its host {shown(first)} does not say which)" if first else ""
        raise NoTarget(
            f"tokenmgr does not know where to ask about {entry.name!r}{where}: give it a "
            f"check URL with `tokenmgr edit {entry.name} --check-url URL`, any API address "
            "that answers 401 to a bad token"
        )
    prefix = prefix or _NO_PREFIX[provider]
    if provider == "github":
        return github_target(first, prefix)
    return gitlab_target(first, prefix)
