"""Where a token may be asked about: its prefix, its entry's host, preset or check URL,
and nowhere else."""

from __future__ import annotations

import pytest

from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.errors import UsageError
from tokenmgr.core.probe.providers import NoTarget, target_for


def static(**kw: object) -> Entry:
    return Entry(name="t", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("token", "kind", "token_type", "pat"),
    [
        ("ghp_" + "a" * 36, "github", "classic personal access token", True),
        ("github_pat_" + "a" * 70, "github", "fine-grained personal access token", True),
        ("gho_" + "a" * 36, "github", "OAuth app token", False),
        ("ghu_" + "a" * 36, "github", "GitHub App user token", False),
        ("ghs_" + "a" * 36, "github", "GitHub App installation token", False),
        ("glpat-" + "a" * 20, "gitlab", "access token", True),
    ],
)
def test_prefixes_name_the_public_provider(
    token: str, kind: str, token_type: str, pat: bool
) -> None:
    t = target_for(static(), token)
    assert t.provider.kind == kind and t.token_type == token_type and t.pat == pat
    if kind == "github":
        assert t.url == "https://api.github.com/user" and t.label == "GitHub"
        assert t.page is not None and t.page.startswith("https://github.com/settings/")
    else:
        assert t.url == "https://gitlab.com/api/v4/personal_access_tokens/self"
        assert t.page == "https://gitlab.com/-/user_settings/personal_access_tokens"


def test_the_first_host_names_enterprise_and_self_managed_servers() -> None:
    t = target_for(static(hosts=["ghe.example.com/acme", "other.example"]), "ghp_x")
    assert t.url == "https://ghe.example.com/api/v3/user"
    assert t.label == "GitHub Enterprise at ghe.example.com"
    assert t.page == "https://ghe.example.com/settings/tokens"
    t = target_for(static(hosts=["octo.ghe.com"]), "github_pat_x")
    assert t.url == "https://api.octo.ghe.com/user"
    t = target_for(static(hosts=["git.example.com:8443"]), "glpat-x")
    assert t.url == "https://git.example.com:8443/api/v4/personal_access_tokens/self"
    assert t.label == "GitLab at git.example.com:8443"
    t = target_for(static(hosts=["github.com"]), "ghp_x")
    assert t.url == "https://api.github.com/user"


def test_a_public_host_names_the_provider_of_a_token_without_prefix() -> None:
    old_style = "0123456789abcdef0123456789abcdef01234567"
    assert target_for(static(hosts=["github.com"]), old_style).provider.kind == "github"
    assert target_for(static(hosts=["gitlab.com"]), "abc").provider.kind == "gitlab"
    with pytest.raises(NoTarget, match="check URL"):
        target_for(static(hosts=["git.example.com"]), old_style)
    with pytest.raises(NoTarget, match="tokenmgr edit t --check-url"):
        target_for(static(), "sk-proj-something")


def test_the_check_url_wins() -> None:
    t = target_for(static(check_url="https://api.example.com/v1/me"), "ghp_x")
    assert t.provider.kind == "check-url" and t.url == "https://api.example.com/v1/me"
    assert t.label == "api.example.com"


def test_http_only_on_loopback() -> None:
    t = target_for(static(check_url="http://127.0.0.1:8080/me"), "x")
    assert t.url == "http://127.0.0.1:8080/me"
    entry = static()
    entry.check_url = "http://api.example.com/me"  # as an edited index could hold it
    with pytest.raises(UsageError, match="must use https"):
        target_for(entry, "x")
    with pytest.raises(UsageError, match="must use https"):
        Entry.from_dict({"name": "t", "check_url": "http://api.example.com/me"})


def test_oauth_entries_introspection_or_their_preset() -> None:
    cfg = OAuthConfig(issuer="https://id.example.com", client_id="c")
    entry = Entry(name="o", kind="oauth2", oauth=cfg)
    with pytest.raises(NoTarget, match="introspection"):
        target_for(entry, "opaque")
    cfg.introspection_url = "https://id.example.com/introspect"
    t = target_for(entry, "opaque")
    assert t.provider.kind == "introspection" and t.url == "https://id.example.com/introspect"
    gh = Entry(name="g", kind="oauth2", oauth=OAuthConfig(preset="github", client_id="c"))
    assert target_for(gh, "gho_x").url == "https://api.github.com/user"
    gl = Entry(
        name="l",
        kind="oauth2",
        oauth=OAuthConfig(preset="gitlab", client_id="c", preset_params={"host": "git.example"}),
    )
    assert target_for(gl, "x").url == "https://git.example/oauth/token/info"
