"""`tokenmgr probe`, `add --check-url/--no-probe`, `edit --check-url` and `list` against
provider stand-ins served over HTTPS by a private CA the vault trusts through
REQUESTS_CA_BUNDLE (or SSL_CERT_FILE), as a user with a private CA would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.canary import leaked_in_files, leaked_run
from tests.support.cli import CliRunner
from tests.support.memkeyring import MemoryKeyring
from tests.support.providers import (
    CheckUrlStandIn,
    GitHubStandIn,
    GitHubToken,
    GitLabStandIn,
    GitLabToken,
    TestCA,
    TrapProxy,
    TrapServer,
)
from tokenmgr.core.entries import Entry
from tokenmgr.core.rules import format_time, now_utc
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault

CLASSIC = "ghp_c1assicT0kenForTheStandIn0123456789"
FINE = "github_pat_11AAAAfineGrainedT0kenForTheStandIn_0123456789abcdef"
GLPAT = "glpat-St4ndInT0kenForGitLab0123"
API_KEY = "sk-test-St4ndInApiKey0123456789"


@pytest.fixture
def api(ca: TestCA) -> Iterator[CheckUrlStandIn]:
    with CheckUrlStandIn(ca) as server:
        server.tokens.add(API_KEY)  # type: ignore[attr-defined]
        yield server  # type: ignore[misc]


@pytest.fixture
def trap(ca: TestCA) -> Iterator[TrapServer]:
    with TrapServer(ca) as server:
        yield server  # type: ignore[misc]


@pytest.fixture
def pvault(home: Path, memkeyring: MemoryKeyring, ca: TestCA) -> Vault:
    return Vault(
        home=home,
        store=KeyringStore(backend=memkeyring),
        # No desktop network state (a machine's own NetworkManager would decide whether
        # `add` asks): the network-state tests have their own stand-in.
        env={
            "REQUESTS_CA_BUNDLE": str(ca.bundle),
            "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={home}/no-system-bus",
        },
    )


@pytest.fixture
def pcli(pvault: Vault) -> CliRunner:
    return CliRunner(pvault)


def stored(pcli: CliRunner, name: str, token: str, host: str, *extra: str) -> None:
    """An entry whose provider is the stand-in at `host` (its host, bound to the token;
    not asked yet)."""
    r = pcli("add", name, "--host", host, "--no-probe", *extra, stdin=token)
    assert r.status == 0, r


def probe_json(pcli: CliRunner, *names: str) -> tuple[int, list[dict[str, object]]]:
    r = pcli("probe", *names, "--json")
    return r.status, json.loads(r.out)


# ------------------------------------------------------------------------ GitHub


def test_github_classic_token_expiry_scopes_and_where_the_expiry_came_from(
    pcli: CliRunner, github: GitHubStandIn
) -> None:
    github.tokens[CLASSIC] = GitHubToken(
        expires="2027-01-31 19:07:53 UTC", scopes="repo, read:org", login="octocat"
    )
    stored(pcli, "gh", CLASSIC, github.hostport, "--expires-at", "2030-01-01")
    r = pcli("probe", "gh")
    assert r.status == 0, r
    assert r.out.startswith(f"gh: GitHub Enterprise at {github.hostport} says: expires ")
    assert "2027-01-31 19:07 UTC" in r.out and "scopes repo, read:org · checked just now" in r.out
    (seen,) = github.requests
    assert (seen.method, seen.path) == ("GET", "/api/v3/user")
    assert seen.headers["Authorization"] == f"Bearer {CLASSIC}"
    # The provider's expiry replaced the typed one; the index says where it came from.
    entry = pcli.vault.entry("gh")
    assert entry.expires_at == datetime(2027, 1, 31, 19, 7, 53, tzinfo=UTC)
    assert entry.expiry_source() == "provider"
    check = entry.provider_check
    assert check is not None and check.verdict == "accepted"
    assert check.scopes == ["repo", "read:org"] and check.account == "octocat"
    assert check.token_type == "classic personal access token"
    (row,) = json.loads(pcli("list", "--json").out)
    assert (row["expires_at"], row["expiry_source"], row["verdict"]) == (
        "2027-01-31T19:07:53Z",
        "provider",
        "accepted",
    )
    assert "provider" in pcli("list").out.splitlines()[1].split()


def test_github_fine_grained_offset_form_no_scopes(pcli: CliRunner, github: GitHubStandIn) -> None:
    github.tokens[FINE] = GitHubToken(expires="2027-01-31 12:00:00 +0200")
    stored(pcli, "fine", FINE, github.hostport)
    status, (row,) = probe_json(pcli, "fine")
    assert status == 0
    assert row["provider_expires_at"] == row["expires_at"] == "2027-01-31T10:00:00Z"
    assert row["scopes"] is None and row["token_type"] == "fine-grained personal access token"
    assert row["answered"] is True and row["problem"] == ""


def test_no_expiry_set_keeps_a_typed_expiry(pcli: CliRunner, github: GitHubStandIn) -> None:
    github.tokens[CLASSIC] = GitHubToken(scopes="")
    stored(pcli, "gh", CLASSIC, github.hostport, "--expires-at", "2030-01-01")
    r = pcli("probe", "gh")
    assert "says: no expiry set · no scopes" in r.out
    entry = pcli.vault.entry("gh")
    assert entry.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert entry.expiry_source() == "typed"


def test_a_refused_token_is_refused_and_its_status_expired(
    pcli: CliRunner, github: GitHubStandIn
) -> None:
    github.tokens[CLASSIC] = GitHubToken(expires="2027-01-31 19:07:53 UTC")
    stored(pcli, "gh", CLASSIC, github.hostport)
    assert pcli("probe", "gh").status == 0
    del github.tokens[CLASSIC]  # revoked at GitHub
    r = pcli("probe", "gh")
    assert r.status == 6, r
    assert r.out == f"gh: refused by GitHub Enterprise at {github.hostport}: revoked or expired"\
        " · checked just now\n"
    (row,) = json.loads(pcli("list", "--json").out)
    assert (row["status"], row["verdict"]) == ("expired", "refused")
    # What GitHub said of its expiry before stays known; the expiry is still the provider's.
    assert row["expires_at"] == "2027-01-31T19:07:53Z" and row["expiry_source"] == "provider"
    # A new token is not refused because the old one was.
    github.tokens[CLASSIC + "2"] = GitHubToken()
    assert pcli("add", "gh", "--force", "--no-probe", stdin=CLASSIC + "2").status == 0
    (row,) = json.loads(pcli("list", "--json").out)
    assert row["status"] == "unknown" and row["verdict"] is None


@pytest.mark.parametrize("fault", ["rate-limit-403", "rate-limit-429", "secondary-rate-limit"])
def test_a_rate_limit_is_couldnt_check_and_the_last_known_state_stays(
    pcli: CliRunner, github: GitHubStandIn, fault: str
) -> None:
    github.tokens[CLASSIC] = GitHubToken(expires="2027-01-31 19:07:53 UTC", scopes="repo")
    stored(pcli, "gh", CLASSIC, github.hostport)
    assert pcli("probe", "gh").status == 0
    github.tokens[CLASSIC].fault = fault
    status, (row,) = probe_json(pcli, "gh")
    assert status == 5
    assert row["answered"] is False and row["verdict"] == "accepted"
    assert "rate-limiting" in str(row["problem"])
    assert row["retry_after"] is not None and str(row["retry_after"]) > str(row["checked_at"])
    assert row["expires_at"] == "2027-01-31T19:07:53Z" and row["scopes"] == ["repo"]
    assert json.loads(pcli("list", "--json").out)[0]["status"] == "valid"


def _age(vault: Vault, name: str, days: int) -> None:
    """Make the last answer `days` old (as if it had been given then)."""

    def older(e: Entry) -> None:
        assert e.provider_check is not None
        then = now_utc() - timedelta(days=days)
        e.provider_check = replace(e.provider_check, checked_at=then, attempted_at=then)

    vault.modify(name, older)


@pytest.mark.parametrize(("fault", "why"), [("fail", "failed (HTTP 502)"), ("slow", "took too")])
def test_failing_and_slow_providers_keep_the_last_known_state_with_its_age(
    pcli: CliRunner, github: GitHubStandIn, monkeypatch: pytest.MonkeyPatch, fault: str, why: str
) -> None:
    monkeypatch.setattr("tokenmgr.core.probe.http.TOTAL_TIMEOUT", 1.0)
    github.tokens[CLASSIC] = GitHubToken(expires="2027-01-31 19:07:53 UTC", scopes="repo")
    stored(pcli, "gh", CLASSIC, github.hostport)
    assert pcli("probe", "gh").status == 0
    _age(pcli.vault, "gh", 3)
    github.tokens[CLASSIC].fault = fault
    r = pcli("probe", "gh")
    assert r.status == 5, r
    assert "says: expires 2027-01-31 19:07 UTC" in r.out
    assert "checked 3 days ago; couldn't check again just now:" in r.out and why in r.out


def test_a_redirect_is_not_followed(
    pcli: CliRunner, github: GitHubStandIn, trap: TrapServer
) -> None:
    github.trap_url = trap.url + "/api/v3/user"
    github.tokens[CLASSIC] = GitHubToken(fault="redirect")
    stored(pcli, "gh", CLASSIC, github.hostport)
    status, (row,) = probe_json(pcli, "gh")
    assert status == 5 and "redirect" in str(row["problem"])
    assert trap.requests == []


def test_an_over_long_answer_is_cut_off(
    pcli: CliRunner, api: CheckUrlStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tokenmgr.core.probe.http.MAX_ANSWER_BYTES", 1000)
    from tests.support.providers import Answer

    api.respond = lambda seen: Answer(200, b"x" * 5000, {"Content-Type": "text/plain"})
    assert pcli("add", "k", "--check-url", api.url + "/me", "--no-probe", stdin=API_KEY).status == 0
    status, (row,) = probe_json(pcli, "k")
    assert status == 5 and "over-long" in str(row["problem"])


# ------------------------------------------------------------------------ GitLab


def test_gitlab_date_only_expiry_read_as_a_utc_date(pcli: CliRunner, gitlab: GitLabStandIn) -> None:
    gitlab.tokens[GLPAT] = GitLabToken(expires_at="2027-01-31", scopes=["api", "read_user"])
    stored(pcli, "gl", GLPAT, gitlab.hostport)
    r = pcli("probe", "gl")
    assert r.status == 0, r
    assert f"gl: GitLab at {gitlab.hostport} says: expires 2027-01-31 (" in r.out
    assert "scopes api, read_user" in r.out
    (seen,) = gitlab.requests
    assert seen.path == "/api/v4/personal_access_tokens/self"
    assert seen.headers["PRIVATE-TOKEN"] == GLPAT and "Authorization" not in seen.headers
    assert pcli.vault.entry("gl").expires_at == datetime(2027, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("token", "status", "said"),
    [
        (GitLabToken(expires_at=None), 0, "says: no expiry set"),
        (GitLabToken(revoked=True, active=False), 6, "refused by GitLab at {host}: revoked"),
        (
            GitLabToken(active=False, expires_at="2026-11-01"),
            6,
            "refused by GitLab at {host}: expired",
        ),
        (None, 6, "refused by GitLab at {host}: revoked or expired"),
        (GitLabToken(fault="rate-limit-429"), 5, "is rate-limiting requests (HTTP 429)"),
    ],
)
def test_gitlab_answers(
    pcli: CliRunner, gitlab: GitLabStandIn, token: GitLabToken | None, status: int, said: str
) -> None:
    if token is not None:
        gitlab.tokens[GLPAT] = token
    stored(pcli, "gl", GLPAT, gitlab.hostport)
    r = pcli("probe", "gl")
    assert r.status == status, r
    assert said.format(host=gitlab.hostport) in r.out


# -------------------------------------------------------------- any API (check URL)


def test_add_with_a_check_url_asks_once_and_no_probe_asks_nothing(
    pcli: CliRunner, api: CheckUrlStandIn
) -> None:
    r = pcli("add", "k", "--check-url", api.url + "/v1/me", "--scheme", "Bearer", stdin=API_KEY)
    assert r.status == 0, r
    assert f"{api.hostport} says: accepted (no expiry given) · checked just now" in r.err
    assert len(api.requests) == 1 and api.requests[0].path == "/v1/me"
    r = pcli("add", "k2", "--check-url", api.url + "/v1/me", "--no-probe", stdin=API_KEY)
    assert r.status == 0 and len(api.requests) == 1
    r = pcli("add", "bad", "--check-url", api.url + "/v1/me", stdin="sk-test-wrong0123456789")
    assert r.status == 0  # stored all the same, with a warning
    assert f"warning: refused by {api.hostport}: HTTP 401" in r.err


def test_http_check_urls_only_on_loopback(pcli: CliRunner) -> None:
    with CheckUrlStandIn(None) as plain:
        plain.tokens.add(API_KEY)  # type: ignore[attr-defined]
        r = pcli("add", "k", "--check-url", plain.url + "/me", stdin=API_KEY)
        assert r.status == 0 and "says: accepted" in r.err
    r = pcli("add", "x", "--check-url", "http://api.example.com/me", stdin=API_KEY)
    assert r.status == 2 and "must use https" in r.err
    assert "x" not in {e.name for e in pcli.vault.list_entries()}
    r = pcli("edit", "k", "--check-url", "http://api.example.com/me")
    assert r.status == 2 and "must use https" in r.err


def test_edit_sets_and_removes_the_check_url(pcli: CliRunner, api: CheckUrlStandIn) -> None:
    assert pcli("add", "k", "--no-probe", stdin=API_KEY).status == 0
    r = pcli("probe", "k")
    assert r.status == 1 and "--check-url" in r.err and api.requests == []
    r = pcli("edit", "k", "--check-url", api.url + "/me")
    assert r.status == 0, r
    assert pcli("probe", "k").status == 0 and len(api.requests) == 1
    assert pcli("edit", "k", "--check-url", "").status == 0
    assert pcli.vault.entry("k").check_url is None


def test_probe_all_and_names(
    pcli: CliRunner, api: CheckUrlStandIn, github: GitHubStandIn
) -> None:
    github.tokens[CLASSIC] = GitHubToken()
    stored(pcli, "gh", CLASSIC, github.hostport)
    assert pcli("add", "k", "--check-url", api.url, "--no-probe", stdin=API_KEY).status == 0
    assert pcli("add", "plain", "--no-probe", stdin="nothing-to-ask-about").status == 0
    r = pcli("probe", "--all")
    assert r.status == 0
    assert [line.split(":")[0] for line in r.out.splitlines()] == ["gh", "k"]
    assert "not checked (no provider to ask): plain" in r.err
    assert pcli("probe", "gh", "nosuch").status == 3 and len(github.requests) == 1
    assert pcli("probe").status == 2 and pcli("probe", "gh", "--all").status == 2


# ----------------------------------------------------------- trust, and where tokens go


def test_the_private_ca_is_trusted_only_when_named(
    pcli: CliRunner, github: GitHubStandIn, ca: TestCA
) -> None:
    github.tokens[CLASSIC] = GitHubToken()
    stored(pcli, "gh", CLASSIC, github.hostport)
    pcli.vault.env = {}
    status, (row,) = probe_json(pcli, "gh")
    assert status == 5 and "is not trusted" in str(row["problem"])
    assert github.requests == []  # the TLS handshake failed: nothing was sent
    pcli.vault.env = {"SSL_CERT_FILE": str(ca.bundle)}
    assert probe_json(pcli, "gh")[0] == 0


def test_a_prefixed_token_without_a_host_goes_to_its_public_provider_only(
    pcli: CliRunner, trap_proxy: TrapProxy
) -> None:
    before = len(trap_proxy.hosts())
    assert pcli("add", "gh", stdin=CLASSIC).status == 0
    assert pcli("add", "gl", stdin=GLPAT).status == 0
    assert trap_proxy.hosts()[before:] == ["api.github.com:443", "gitlab.com:443"]
    r = pcli("probe", "gh")
    assert r.status == 5
    assert "couldn't check at GitHub: could not connect to api.github.com" in r.out


def test_canary_no_token_text_in_the_index_or_the_output(
    pcli: CliRunner,
    github: GitHubStandIn,
    gitlab: GitLabStandIn,
    home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    github.tokens[CLASSIC] = GitHubToken(expires="2027-01-31 19:07:53 UTC", scopes="repo")
    gitlab.tokens[GLPAT] = GitLabToken(revoked=True, active=False)
    stored(pcli, "gh", CLASSIC, github.hostport)
    stored(pcli, "gl", GLPAT, gitlab.hostport)
    outputs = [pcli("--debug", "probe", "--all"), pcli("probe", "--all", "--json")]
    github.tokens[CLASSIC].fault = "fail"
    outputs.append(pcli("--debug", "probe", "gh", "gl"))
    outputs.append(pcli("list", "--json"))
    secrets = [CLASSIC, GLPAT]
    assert len(github.requests) == 3 and len(gitlab.requests) == 3
    for r in outputs:
        assert leaked_run(secrets, r.out + r.err) is None
    assert leaked_run(secrets, caplog.text) is None
    assert "GET https://" in caplog.text  # the requests were logged, redacted
    assert leaked_in_files(secrets, home) is None
    assert format_time(pcli.vault.entry("gl").provider_check.checked_at)  # type: ignore[union-attr]


def test_netrc_never_replaces_the_token(
    pcli: CliRunner, github: GitHubStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests would put ~/.netrc's password for the host in place of the token's header."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-password-value\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    github.tokens[CLASSIC] = GitHubToken()
    stored(pcli, "gh", CLASSIC, github.hostport)
    assert pcli("probe", "gh").status == 0
    assert github.requests[0].headers["Authorization"] == f"Bearer {CLASSIC}"


# ------------------------------------------------- bound settings: an edited index


def _edit_index(home: Path, name: str, **fields: object) -> None:
    """Change an entry in entries.json as another program of the user could."""
    path = home / "entries.json"
    doc = json.loads(path.read_text())
    for item in doc["entries"]:
        if item["name"] == name:
            item.update(fields)
    path.write_text(json.dumps(doc))


def test_an_edited_host_or_check_url_in_the_index_sends_nothing(
    pcli: CliRunner,
    github: GitHubStandIn,
    api: CheckUrlStandIn,
    trap: TrapServer,
    home: Path,
) -> None:
    github.tokens[CLASSIC] = GitHubToken()
    stored(pcli, "gh", CLASSIC, github.hostport)
    assert pcli("probe", "gh").status == 0 and len(github.requests) == 1
    # The host the token is bound to, changed to another server: nothing goes anywhere.
    _edit_index(home, "gh", hosts=[trap.hostport])
    r = pcli("probe", "gh")
    assert r.status == 1 and "index edited?), so nothing was sent" in r.err, r
    # A check URL added to an entry that had none (nothing bound yet for it).
    assert pcli("add", "k", "--no-probe", stdin=API_KEY).status == 0
    _edit_index(home, "k", check_url=trap.url + "/me")
    r = pcli("probe", "k")
    assert r.status == 1 and "so nothing was sent" in r.err, r
    # A bound check URL pointed elsewhere.
    r = pcli("add", "k2", "--check-url", api.url + "/me", "--no-probe", stdin=API_KEY)
    assert r.status == 0
    _edit_index(home, "k2", check_url=trap.url + "/me")
    assert pcli("probe", "k2").status == 1
    # Editing the altered entry does not adopt the edit (that would bind the trap).
    r = pcli("edit", "k2", "--check-url", trap.url + "/other")
    assert r.status == 1 and "so the check URL was not changed" in r.err, r
    assert pcli("probe", "--all").status == 1
    assert trap.requests == [] and api.requests == []
    assert len(github.requests) == 1


def test_edit_binds_a_new_check_url_and_add_force_keeps_it(
    pcli: CliRunner, api: CheckUrlStandIn, home: Path
) -> None:
    assert pcli("add", "k", "--no-probe", stdin=API_KEY).status == 0
    r = pcli("edit", "k", "--check-url", api.url + "/v1/me")
    assert r.status == 0 and f"checked at {api.url}/v1/me" in r.err, r
    assert pcli("probe", "k").status == 0 and len(api.requests) == 1
    # A new token keeps the check URL it was bound with.
    assert pcli("add", "k", "--force", "--no-probe", stdin=API_KEY).status == 0
    assert pcli.vault.entry("k").check_url == api.url + "/v1/me"
    assert pcli("probe", "k").status == 0 and len(api.requests) == 2
