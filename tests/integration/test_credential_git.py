"""git (Debian's) asks tokenmgr for its credentials: clone and push over smart HTTP from a
local `git http-backend` server that demands the token, on the real Secret Service.

- the helper set up by `tokenmgr credential git --install` (and removed by
  `--uninstall`), other helpers left alone;
- a host tokenmgr does not serve falls through to the next helper;
- the longest path prefix chooses between two tokens for one host (git sends the path
  because `--install` set useHttpPath where a prefix needs it);
- a refused token (401) makes git call `erase`: the entry is marked, nothing is deleted,
  and an accepted one (`store`) clears the mark;
- an expired OAuth entry is refreshed once, at the real oidc-provider, for four
  concurrent clones, and the server takes only the fresh token;
- each hand-out is on the record, naming git.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import tls
from tests.support.git_server import GitServer, git_env, make_repo, running
from tests.support.oauth import expire, secret, tm, vault_of
from tests.support.oidc_server import OIDCServer, scripted_login
from tokenmgr.core import record

pytestmark = pytest.mark.integration

TOKEN = "ghp_" + "G1tT0k3n" * 5
OTHER = "glpat-" + "0th3rH3lp3r" * 2


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tls.Certificates:
    return tls.make(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path, certs: tls.Certificates) -> dict[str, str]:
    """git's and tokenmgr's environment: the real keyring, a fresh TOKENMGR_HOME, git's
    own HOME and global config (which trusts the test CA, as http.sslCAInfo says)."""
    out = git_env(tmp_path / "githome")
    for key in ("TOKENMGR_HOME", "DBUS_SESSION_BUS_ADDRESS", "PYTHONPATH"):
        out[key] = cli_env[key]
    subprocess.run(
        ["git", "config", "--global", "http.sslCAInfo", str(certs.ca_file)], env=out, check=True
    )
    return out


@pytest.fixture
def repos(tmp_path: Path, env: dict[str, str]) -> Path:
    root = tmp_path / "srv"
    root.mkdir()
    make_repo(root, "app.git", env)
    make_repo(root, "team/infra.git", env)
    return root


@pytest.fixture
def server(repos: Path, certs: tls.Certificates) -> Iterator[GitServer]:
    with running(repos, lambda user, password, path: password == TOKEN, certs) as srv:
        yield srv


def git(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def config_lines(env: dict[str, str]) -> list[str]:
    r = git(env, "config", "--global", "--get-regexp", r"^credential\.")
    return r.stdout.splitlines()


def test_clone_and_push_with_the_installed_helper(
    env: dict[str, str], server: GitServer, tmp_path: Path
) -> None:
    r = tm(env, "add", "srv", "--host", server.hostport, stdin=TOKEN)
    assert r.returncode == 0, r.stderr
    r = tm(env, "credential", "git", "--install")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    lines = config_lines(env)
    # A loopback host may be reached over plain http too.
    assert [line.split(" ")[0] for line in lines] == [
        f"credential.https://{server.hostport}.helper",
        f"credential.http://{server.hostport}.helper",
    ]
    assert all(line.endswith(" -m tokenmgr credential git") for line in lines)
    # Installing again adds nothing.
    again = tm(env, "credential", "git", "--install")
    assert "already in git's global config" in again.stderr
    assert config_lines(env) == lines

    clone = tmp_path / "app"
    r = git(env, "clone", server.url("app.git"), str(clone))
    assert r.returncode == 0, r.stderr
    assert (clone / "README").read_text() == "app.git\n"
    (clone / "NEW").write_text("pushed\n")
    assert git(env, "add", "NEW", cwd=clone).returncode == 0
    assert git(env, "commit", "-q", "-m", "push it", cwd=clone).returncode == 0
    r = git(env, "push", "origin", "main", cwd=clone)
    assert r.returncode == 0, r.stderr
    shown = git(env, "--git-dir", str(server.server.root / "app.git"), "show", "main:NEW")
    assert shown.stdout == "pushed\n"
    assert any(s.method == "POST" and s.path.endswith("git-receive-pack") and s.passed
               for s in server.seen)
    assert {s.username for s in server.seen if s.passed} == {"tokenmgr"}

    # One line per hand-out (git asks once per command), each naming git, none the token.
    items = record.read(Path(env["TOKENMGR_HOME"]))
    assert len(items) == 2
    for item in items:
        assert (item["entry"], item["how"], item["host"]) == ("srv", "git", server.hostport)
        assert item["program"] == "git"
        top, _ = record.requester(item["chain"])
        assert top is not None and top["name"] == "git"
    # Between them, git's shell and its https transport: wrappers, not the requester.
    names = [p["name"] for p in items[1]["chain"]]
    assert any(n.startswith("git-remote-http") for n in names), names
    assert all(p.get("wrapper") for p in items[1]["chain"][: names.index("git")]), names
    text = (Path(env["TOKENMGR_HOME"]) / record.RECORD_NAME).read_text()
    assert TOKEN[4:20] not in text
    log = tm(env, "log", "srv")
    assert log.returncode == 0 and log.stdout.count(" git credential ") == 2
    assert f"  {server.hostport}  git (pid " in log.stdout


def test_a_host_it_does_not_serve_falls_through_to_the_next_helper(
    env: dict[str, str], server: GitServer, tmp_path: Path
) -> None:
    # The same server under another name: localhost:PORT is not 127.0.0.1:PORT.
    server.set_check(lambda user, password, path: password in (TOKEN, OTHER))
    assert tm(env, "add", "srv", "--host", server.hostport, stdin=TOKEN).returncode == 0
    assert tm(env, "credential", "git", "--install").returncode == 0
    second = tmp_path / "second-helper"
    second.write_text(
        f"#!/bin/sh\n[ \"$1\" = get ] && printf 'username=other\\npassword={OTHER}\\n'\n"
    )
    second.chmod(0o755)
    scope = f"credential.https://localhost:{server.port}.helper"
    assert git(env, "config", "--global", "--add", "credential.helper", "").returncode == 0
    assert git(env, "config", "--global", "--add", scope, str(second)).returncode == 0
    # tokenmgr is asked for localhost too (a catch-all line), and says nothing.
    ours = config_lines(env)[0].split(" ", 1)[1]
    assert git(env, "config", "--global", "--add", "credential.helper", ours).returncode == 0

    r = git(env, "clone", server.url("app.git", host="localhost"), str(tmp_path / "c1"))
    assert r.returncode == 0, r.stderr
    assert {s.username for s in server.seen if s.passed} == {"other"}
    assert record.read(Path(env["TOKENMGR_HOME"])) == []
    # tokenmgr's own answer for the host it serves.
    r = git(env, "clone", server.url("app.git"), str(tmp_path / "c2"))
    assert r.returncode == 0, r.stderr
    assert [i["host"] for i in record.read(Path(env["TOKENMGR_HOME"]))] == [server.hostport]


def test_the_longest_path_prefix_chooses_the_token(
    env: dict[str, str], server: GitServer, tmp_path: Path
) -> None:
    team = "team-" + "t0k3n" * 6
    server.set_check(
        lambda user, password, path: password == (team if path.startswith("/team/") else TOKEN)
    )
    assert tm(env, "add", "all", "--host", server.hostport, stdin=TOKEN).returncode == 0
    r = tm(env, "add", "team", "--host", f"{server.hostport}/team", stdin=team)
    assert r.returncode == 0, r.stderr
    assert tm(env, "credential", "git", "--install").returncode == 0
    assert f"credential.https://{server.hostport}/team.usehttppath true" in config_lines(env)
    r = git(env, "clone", server.url("team/infra.git"), str(tmp_path / "infra"))
    assert r.returncode == 0, r.stderr
    r = git(env, "clone", server.url("app.git"), str(tmp_path / "app"))
    assert r.returncode == 0, r.stderr
    assert [(i["entry"], i["host"]) for i in record.read(Path(env["TOKENMGR_HOME"]))] == [
        ("team", f"{server.hostport}/team/infra.git"),
        ("all", server.hostport),
    ]


def test_a_refused_token_is_marked_and_kept(
    env: dict[str, str], server: GitServer, tmp_path: Path
) -> None:
    stale = "ghp_" + "St4l3" * 8
    assert tm(env, "add", "srv", "--host", server.hostport, stdin=stale).returncode == 0
    assert tm(env, "credential", "git", "--install").returncode == 0
    r = git(env, "clone", server.url("app.git"), str(tmp_path / "c1"))
    assert r.returncode != 0
    assert f"{server.hostport} refused the token of 'srv': nothing was deleted" in r.stderr
    assert stale[4:20] not in r.stderr
    rows = json.loads(tm(env, "list", "--json").stdout)
    assert [(row["name"], row["refused_by"]) for row in rows] == [("srv", server.hostport)]
    assert secret(env, "srv", "access") == stale  # nothing deleted
    # The server takes it again: git's `store` (the token was accepted) clears the mark.
    server.set_check(lambda user, password, path: password == stale)
    r = git(env, "clone", server.url("app.git"), str(tmp_path / "c2"))
    assert r.returncode == 0, r.stderr
    assert vault_of(env).entry("srv").refused_by is None


def test_install_and_uninstall_leave_other_helpers_alone(
    env: dict[str, str], server: GitServer
) -> None:
    theirs = [
        ("credential.helper", "cache --timeout=900"),
        (f"credential.https://{server.hostport}.helper", "store"),
        ("credential.https://example.com.username", "me"),
        ("credential.https://example.com.useHttpPath", "true"),
    ]
    for key, value in theirs:
        assert git(env, "config", "--global", "--add", key, value).returncode == 0
    before = config_lines(env)
    assert tm(env, "add", "a", "--host", server.hostport, stdin=TOKEN).returncode == 0
    assert tm(env, "add", "b", "--host", "git.example/team", stdin="b").returncode == 0
    assert tm(env, "credential", "git", "--install").returncode == 0
    after = config_lines(env)
    added = [line for line in after if line not in before]
    assert [line.split(" ")[0] for line in added] == [
        f"credential.https://{server.hostport}.helper",
        f"credential.http://{server.hostport}.helper",  # loopback: plain http too
        "credential.https://git.example.helper",
        "credential.https://git.example/team.usehttppath",
    ]
    assert all(line in after for line in before)
    r = tm(env, "credential", "git", "--uninstall")
    assert r.returncode == 0, r.stderr
    assert config_lines(env) == before
    r = tm(env, "credential", "git", "--uninstall")
    assert "no tokenmgr helper line" in r.stderr


def test_plain_http_is_answered_for_loopback(
    env: dict[str, str], repos: Path, tmp_path: Path
) -> None:
    with running(repos, lambda user, password, path: password == TOKEN, None) as plain:
        assert tm(env, "add", "srv", "--host", plain.hostport, stdin=TOKEN).returncode == 0
        assert tm(env, "credential", "git", "--install").returncode == 0
        r = git(env, "clone", plain.url("app.git"), str(tmp_path / "c"))
        assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------- OAuth


@pytest.mark.usefixtures("fresh_server")
def test_an_expired_oauth_entry_is_refreshed_once_for_four_concurrent_clones(
    env: dict[str, str],
    oidc_server: OIDCServer,
    repos: Path,
    certs: tls.Certificates,
    tmp_path: Path,
) -> None:
    """The git server asks the provider whether a token is good (its userinfo endpoint),
    and notes which one each clone brought: all four bring the one fresh token."""
    r = scripted_login(oidc_server, env, "corp", "--scope", "openid offline_access")
    assert r.returncode == 0, r.stderr
    userinfo = oidc_server.discovery()["userinfo_endpoint"]
    lock = threading.Lock()
    brought: list[str] = []

    def live(user: str, password: str, path: str) -> bool:
        got = requests.get(userinfo, headers={"Authorization": f"Bearer {password}"}, timeout=10)
        with lock:
            brought.append(password)
        return got.status_code == 200

    with running(repos, live, certs) as server:
        assert tm(env, "edit", "corp", "--host", server.hostport).returncode == 0
        assert tm(env, "credential", "git", "--install").returncode == 0
        old = secret(env, "corp", "access")
        expire(env, "corp")
        before = oidc_server.stats()["refresh_by_client"].get("tokenmgr-native", 0)
        procs = [
            subprocess.Popen(
                ["git", "clone", "-q", server.url("app.git"), str(tmp_path / f"c{i}")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(4)
        ]
        results = [(p.wait(120), p.communicate()[1]) for p in procs]
        assert all(code == 0 for code, _ in results), results
    assert oidc_server.stats()["refresh_by_client"]["tokenmgr-native"] == before + 1
    fresh = secret(env, "corp", "access")
    assert fresh and fresh != old
    assert set(brought) == {fresh}
    items = record.read(Path(env["TOKENMGR_HOME"]))
    assert [i["how"] for i in items] == ["git"] * 4


@pytest.mark.usefixtures("fresh_server")
def test_a_refused_oauth_token_is_refreshed_at_the_next_get(
    env: dict[str, str],
    oidc_server: OIDCServer,
    repos: Path,
    certs: tls.Certificates,
    tmp_path: Path,
) -> None:
    """The server stops taking the access token the entry holds (say, a policy revoked it
    there): git's `erase` marks the entry, and the next clones, four at once, get a new
    token, refreshed once at the provider."""
    r = scripted_login(oidc_server, env, "corp", "--scope", "openid offline_access")
    assert r.returncode == 0, r.stderr
    userinfo = oidc_server.discovery()["userinfo_endpoint"]
    old = secret(env, "corp", "access")
    assert old is not None

    def live(user: str, password: str, path: str) -> bool:
        if password == old:
            return False
        got = requests.get(userinfo, headers={"Authorization": f"Bearer {password}"}, timeout=10)
        return got.status_code == 200

    with running(repos, live, certs) as server:
        assert tm(env, "edit", "corp", "--host", server.hostport).returncode == 0
        assert tm(env, "credential", "git", "--install").returncode == 0
        r = git(env, "clone", server.url("app.git"), str(tmp_path / "c1"))
        assert r.returncode != 0
        assert "refused the token of 'corp': nothing was deleted" in r.stderr
        assert "refreshed at the next use" in r.stderr
        assert vault_of(env).entry("corp").refused_by == server.hostport
        before = oidc_server.stats()["refresh_by_client"].get("tokenmgr-native", 0)
        procs = [
            subprocess.Popen(
                ["git", "clone", "-q", server.url("app.git"), str(tmp_path / f"c{i}")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(2, 6)
        ]
        results = [(p.wait(120), p.communicate()[1]) for p in procs]
        assert all(code == 0 for code, _ in results), results
    # Four clones asked at once: one refresh; the three that waited found the mark gone.
    assert oidc_server.stats()["refresh_by_client"]["tokenmgr-native"] == before + 1
    entry = vault_of(env).entry("corp")
    assert entry.refused_by is None and secret(env, "corp", "access") != old
