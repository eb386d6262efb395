"""`tokenmgr credential git|docker|kubectl`, `edit`, `log` and `add --host`, in-process
against an in-memory keyring: the protocols' bytes and exit statuses, the hosts bound to
the secrets, the "refused" mark, and the record each hand-out path writes. The real
clients drive the same commands in tests/integration/test_credential_*.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.cli import CliRunner
from tokenmgr.cli.commands.log import parse_since
from tokenmgr.core import record
from tokenmgr.core.vault import Vault

TOKEN = "ghp_" + "T0k3n" * 8


def git(cli: CliRunner, action: str, **attrs: str) -> tuple[int, str, str]:
    text = "".join(f"{k}={v}\n" for k, v in attrs.items()) + "\n"
    r = cli("credential", "git", action, stdin=text)
    return r.status, r.out, r.err


def records(vault: Vault) -> list[dict[str, object]]:
    return record.read(vault.home)


@pytest.fixture
def served(cli: CliRunner) -> CliRunner:
    assert cli("add", "gh", "--service", "GitHub", "--host", "github.com", stdin=TOKEN).status == 0
    assert cli("add", "acme", "--host", "github.com/acme", stdin="acme-token").status == 0
    assert cli("add", "local", "--host", "127.0.0.1:8443", stdin="local-token").status == 0
    return cli


# ---------------------------------------------------------------------- git


def test_git_get_answers_for_a_served_https_host(served: CliRunner, vault: Vault) -> None:
    status, out, err = git(served, "get", protocol="https", host="github.com")
    assert (status, err) == (0, "")
    assert out == f"username=x-access-token\npassword={TOKEN}\n"
    (line,) = records(vault)
    assert line["entry"] == "gh" and line["how"] == "git" and line["host"] == "github.com"


def test_git_get_the_longest_prefix_wins(served: CliRunner) -> None:
    _, out, _ = git(served, "get", protocol="https", host="github.com", path="acme/app.git")
    assert "password=acme-token\n" in out
    _, out, _ = git(served, "get", protocol="https", host="github.com", path="other/app.git")
    assert f"password={TOKEN}\n" in out
    _, out, _ = git(served, "get", url="https://github.com/acme/x.git")
    assert "password=acme-token\n" in out


@pytest.mark.parametrize(
    "attrs",
    [
        {"protocol": "https", "host": "gitlab.com"},
        {"protocol": "http", "host": "github.com"},  # plain http: only to loopback
        {"protocol": "https", "host": "github.com:8443"},  # the port is part of the host
        {"protocol": "ssh", "host": "github.com"},
        {"protocol": "https"},
        {},
    ],
)
def test_git_get_prints_nothing_for_what_it_does_not_serve(
    served: CliRunner, vault: Vault, attrs: dict[str, str]
) -> None:
    status, out, err = git(served, "get", **attrs)
    assert (status, out, err) == (0, "", "")
    assert records(vault) == []


def test_git_get_plain_http_to_loopback(served: CliRunner) -> None:
    _, out, _ = git(served, "get", protocol="http", host="127.0.0.1:8443")
    assert "password=local-token\n" in out


def test_git_get_keeps_the_username_git_has_and_says_the_expiry(
    cli: CliRunner, vault: Vault
) -> None:
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    cli("add", "x", "--host", "git.example", "--expires-at", at.isoformat(), stdin="tok")
    _, out, _ = git(cli, "get", protocol="https", host="git.example", username="alice")
    assert out == f"password=tok\npassword_expiry_utc={int(at.timestamp())}\n"
    _, out, _ = git(cli, "get", protocol="https", host="git.example")
    assert out.startswith("username=tokenmgr\n")


def test_git_username_conventions_and_the_entrys_own(cli: CliRunner) -> None:
    cli("add", "lab", "--service", "GitLab", "--host", "gitlab.com", stdin="a")
    cli("add", "bb", "--host", "bitbucket.org", stdin="b")
    cli("add", "own", "--host", "git.example", "--username", "robot", stdin="c")
    cli("add", "gh", "--service", "GitHub", "--host", "github.com", stdin="d")
    cli("add", "ghe", "--host", "github.acme.example", stdin="e")  # named by its host
    cli("add", "plain", "--host", "registry.example", stdin="f")
    for host, user in (("gitlab.com", "oauth2"), ("bitbucket.org", "x-token-auth"),
                       ("git.example", "robot"), ("github.com", "x-access-token"),
                       ("github.acme.example", "x-access-token"),
                       ("registry.example", "tokenmgr")):
        _, out, _ = git(cli, "get", protocol="https", host=host)
        assert out.startswith(f"username={user}\n"), host


def test_git_unknown_actions_are_ignored(served: CliRunner) -> None:
    assert git(served, "capabilities", protocol="https", host="github.com") == (0, "", "")


def test_git_erase_marks_the_entry_and_deletes_nothing(served: CliRunner, vault: Vault) -> None:
    status, out, err = git(
        served, "erase", protocol="https", host="github.com", username="x", password=TOKEN
    )
    assert (status, out) == (0, "")
    assert "github.com refused the token of 'gh': nothing was deleted" in err
    assert "tokenmgr add gh --force" in err and TOKEN not in err
    entry = vault.entry("gh")
    assert entry.refused_by == "github.com" and entry.refused_at is not None
    assert served("get", "gh").out == TOKEN + "\n"  # still there
    row = next(r for r in json.loads(served("list", "--json").out) if r["name"] == "gh")
    assert row["refused_by"] == "github.com"
    # git says "accepted" (store) with this token: the mark goes.
    git(served, "store", protocol="https", host="github.com", username="x", password=TOKEN)
    assert vault.entry("gh").refused_by is None


def test_git_erase_of_someone_elses_password_marks_nothing(
    served: CliRunner, vault: Vault
) -> None:
    assert git(served, "erase", protocol="https", host="github.com", password="other")[2] == ""
    assert vault.entry("gh").refused_by is None


def test_a_new_token_clears_the_mark(served: CliRunner, vault: Vault) -> None:
    git(served, "erase", protocol="https", host="github.com", password=TOKEN)
    assert served("add", "gh", "--force", stdin="new-token").status == 0
    entry = vault.entry("gh")
    assert entry.refused_by is None and entry.hosts == ["github.com"]  # hosts kept


def test_git_store_stores_nothing(served: CliRunner, memkeyring: object) -> None:
    before = dict(memkeyring.items)  # type: ignore[attr-defined]
    git(served, "store", protocol="https", host="gitlab.com", username="u", password="p")
    assert memkeyring.items == before  # type: ignore[attr-defined]


# ------------------------------------------------------------ binding of hosts


def _edit_index(vault: Vault, name: str, hosts: list[str]) -> None:
    doc = json.loads(vault.index.path.read_text())
    for item in doc["entries"]:
        if item["name"] == name:
            item["hosts"] = hosts
    vault.index.path.write_text(json.dumps(doc))


def test_an_index_edited_to_add_a_host_hands_nothing_out(served: CliRunner, vault: Vault) -> None:
    _edit_index(vault, "acme", ["github.com/acme", "evil.example"])
    status, out, err = git(served, "get", protocol="https", host="evil.example")
    assert (status, out) == (1, "")
    assert "not the ones bound to its token" in err and "acme-token" not in err
    # Neither the host it did serve, nor an edit that would adopt the change.
    assert git(served, "get", protocol="https", host="github.com", path="acme/x")[1] == ""
    r = served("edit", "acme", "--host", "more.example")
    assert r.status == 1 and "were not changed" in r.err
    assert vault.entry("acme").hosts == ["github.com/acme", "evil.example"]
    # Storing the token again binds what it is given.
    assert served("add", "acme", "--force", "--host", "github.com/acme", stdin="t2").status == 0
    assert git(served, "get", protocol="https", host="evil.example")[1] == ""
    assert "password=t2" in git(served, "get", protocol="https", host="github.com", path="acme")[1]


def test_a_host_removed_from_the_index_is_refused_too(served: CliRunner, vault: Vault) -> None:
    # An index edit that drops a host changes the bound list as much as one that adds.
    _edit_index(vault, "gh", [])
    _edit_index(vault, "acme", ["github.com"])
    status, out, _ = git(served, "get", protocol="https", host="github.com")
    assert (status, out) == (1, "")


def test_two_entries_on_one_host_after_an_index_edit_answer_nothing(
    served: CliRunner, vault: Vault
) -> None:
    _edit_index(vault, "local", ["127.0.0.1:8443", "github.com"])
    status, out, err = git(served, "get", protocol="https", host="github.com")
    assert (status, out) == (1, "")
    assert "both serve github.com" in err


# --------------------------------------------------------------------- edit


def test_edit_changes_metadata_and_hosts(served: CliRunner, vault: Vault) -> None:
    r = served(
        "edit", "gh", "--service", "GH", "--note", "n", "--tag", "a", "--tag", "b",
        "--host", "ghcr.io", "--no-host", "github.com", "--username", "me", "--env-var", "GH",
        "--expires-at", "2031-01-01",
    )
    assert r.status == 0, r
    entry = vault.entry("gh")
    assert (entry.service, entry.note, entry.tags, entry.env_var) == ("GH", "n", ["a", "b"], "GH")
    assert entry.hosts == ["ghcr.io"] and entry.username == "me"
    assert entry.expires_at == datetime(2031, 1, 1, tzinfo=UTC)
    assert served("edit", "gh", "--no-tag", "a", "--expires-at", "none").status == 0
    assert vault.entry("gh").tags == ["b"] and vault.entry("gh").expires_at is None
    assert git(served, "get", protocol="https", host="ghcr.io")[1].startswith("username=me\n")
    assert git(served, "get", protocol="https", host="github.com")[1] == ""


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["gh"], 2, "nothing to change"),
        (["gh", "--host", "github.com/acme"], 2, "'acme' already serves github.com/acme"),
        (["gh", "--no-host", "gitlab.com"], 2, "does not serve gitlab.com"),
        (["gh", "--host", "https://x"], 2, "without a scheme"),
        (["gh", "--host", "a.example", "--no-host", "a.example"], 2, "both given"),
        (["nope", "--note", "x"], 3, "no entry named 'nope'"),
        (["gh", "--env-var", "1X"], 2, "invalid environment variable"),
        (["gh", "--username", "a:b"], 2, "without a colon"),
    ],
)
def test_edit_refusals_change_nothing(
    served: CliRunner, vault: Vault, args: list[str], status: int, says: str
) -> None:
    before = vault.index.path.read_bytes()
    r = served("edit", *args)
    assert r.status == status and says in r.err, r
    assert "Traceback" not in r.err and r.out == ""
    assert vault.index.path.read_bytes() == before


def test_add_refuses_a_host_another_entry_serves(served: CliRunner, vault: Vault) -> None:
    r = served("add", "dup", "--host", "GITHUB.com", stdin="x")
    assert r.status == 2 and "'gh' already serves github.com" in r.err
    assert "dup" not in {e.name for e in vault.list_entries()}


# ------------------------------------------------------------------- docker


def docker(cli: CliRunner, action: str, stdin: str = "") -> tuple[int, str, str]:
    r = cli("credential", "docker", action, stdin=stdin)
    return r.status, r.out, r.err


def test_docker_get_list_store_erase(cli: CliRunner, vault: Vault) -> None:
    cli("add", "reg", "--host", "registry.example:5000", "--username", "bot", stdin="regtok")
    cli("add", "hub", "--host", "index.docker.io", "--username", "me", stdin="hubtok")
    cli("add", "gitonly", "--host", "git.example/team", stdin="x")
    status, out, _ = docker(cli, "get", "registry.example:5000")
    assert status == 0
    assert json.loads(out) == {
        "ServerURL": "registry.example:5000",
        "Username": "bot",
        "Secret": "regtok",
    }
    status, out, _ = docker(cli, "get", "https://index.docker.io/v1/")
    assert json.loads(out)["Secret"] == "hubtok"
    assert json.loads(out)["ServerURL"] == "https://index.docker.io/v1/"
    for url in ("other.example", "http://registry.example:5000", "git.example"):
        assert docker(cli, "get", url)[:2] == (1, "credentials not found in native keychain\n")
    assert docker(cli, "get", "")[:2] == (1, "no credentials server URL\n")
    assert json.loads(docker(cli, "list")[1]) == {
        "registry.example:5000": "bot",
        "index.docker.io": "me",
    }
    assert docker(cli, "store", json.dumps({"ServerURL": "x", "Username": "u", "Secret": "s"}))[
        0
    ] == 0
    assert docker(cli, "erase", "registry.example:5000")[0] == 0
    assert cli("get", "reg").out == "regtok\n"
    assert docker(cli, "version")[1].startswith("docker-credential-tokenmgr (tokenmgr) ")
    assert docker(cli, "bogus")[:2] == (1, "Unknown credential action `bogus`\n")
    assert [(i["how"], i["host"]) for i in records(vault)] == [
        ("docker", "registry.example:5000"),
        ("docker", "index.docker.io"),
        ("get", None),
    ]


def test_docker_errors_go_to_stdout(cli: CliRunner, memkeyring: object) -> None:
    cli("add", "reg", "--host", "registry.example", stdin="regtok")
    memkeyring.locked = True  # type: ignore[attr-defined]
    status, out, err = docker(cli, "get", "registry.example")
    assert status == 1 and out.count("\n") == 1 and "regtok" not in out + err
    assert "locked" in out.lower() or "keyring" in out.lower()


# ------------------------------------------------------------------ kubectl


def kubectl(cli: CliRunner, name: str, info: dict[str, object] | None, *extra: str) -> tuple[
    int, str, str
]:
    env = {"KUBERNETES_EXEC_INFO": json.dumps(info)} if info is not None else {}
    r = cli("credential", "kubectl", name, *extra, env=env)
    return r.status, r.out, r.err


def exec_info(version: str, server: str | None) -> dict[str, object]:
    spec: dict[str, object] = {"interactive": False}
    if server is not None:
        spec["cluster"] = {"server": server}
    return {
        "apiVersion": f"client.authentication.k8s.io/{version}",
        "kind": "ExecCredential",
        "spec": spec,
    }


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_kubectl_exec_credential(cli: CliRunner, vault: Vault, version: str) -> None:
    at = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)
    cli("add", "corp", "--host", "k8s.example:6443", "--expires-at", at.isoformat(), stdin="kt")
    status, out, err = kubectl(cli, "corp", exec_info(version, "https://k8s.example:6443"))
    assert (status, err) == (0, "")
    assert json.loads(out) == {
        "apiVersion": f"client.authentication.k8s.io/{version}",
        "kind": "ExecCredential",
        "spec": {},
        "status": {"token": "kt", "expirationTimestamp": "2030-05-06T07:08:09Z"},
    }
    (line,) = records(vault)
    assert (line["how"], line["host"]) == ("kubectl", "k8s.example:6443")


@pytest.mark.parametrize(
    ("server", "says"),
    [
        (None, "provideClusterInfo: true"),
        ("https://other.example:6443", "does not serve the cluster other.example:6443"),
        ("http://k8s.example:6443", "not reached over https"),
    ],
)
def test_kubectl_refuses_a_cluster_the_entry_does_not_serve(
    cli: CliRunner, vault: Vault, server: str | None, says: str
) -> None:
    cli("add", "corp", "--host", "k8s.example:6443", stdin="kt")
    status, out, err = kubectl(cli, "corp", exec_info("v1", server))
    assert status == 1 and out == "" and says in err and "kt" not in err
    assert err.count("\n") == 1
    assert records(vault) == []


def test_kubectl_unknown_api_version(cli: CliRunner) -> None:
    cli("add", "corp", "--host", "k8s.example", stdin="kt")
    info = exec_info("v1", "https://k8s.example")
    info["apiVersion"] = "client.authentication.k8s.io/v2"
    status, _, err = kubectl(cli, "corp", info)
    assert status == 2 and "speaks" in err


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_kubectl_print_config(cli: CliRunner, version: str) -> None:
    cli("add", "corp", "--host", "k8s.example", stdin="kt")
    status, out, _ = kubectl(cli, "corp", None, "--print-config", "--api-version", version)
    assert status == 0
    assert f"apiVersion: client.authentication.k8s.io/{version}\n" in out
    assert "provideClusterInfo: true" in out
    assert ("interactiveMode: Never" in out) == (version == "v1")
    assert '        - "kubectl"\n        - "corp"\n' in out


# ---------------------------------------------------------------- the record


def test_each_cli_hand_out_path_writes_one_line(served: CliRunner, vault: Vault) -> None:
    served("get", "gh")
    served("export", "gh", "acme")
    hows = [(i["entry"], i["how"]) for i in records(vault)]
    assert hows[:3] == [("gh", "get"), ("gh", "export"), ("acme", "export")]
    text = (vault.home / record.RECORD_NAME).read_text()
    assert TOKEN[:12] not in text and "acme-token" not in text


def test_log_lists_what_was_handed_out(served: CliRunner, vault: Vault) -> None:
    served("get", "gh")
    git(served, "get", protocol="https", host="github.com", path="acme/app.git")
    r = served("log")
    assert r.status == 0
    lines = r.out.splitlines()
    assert len(lines) == 2
    assert "  gh  get  -  " in lines[0]
    assert "  acme  git credential  github.com/acme/app.git  " in lines[1]
    assert "(pid " in lines[1]
    only = served("log", "acme").out.splitlines()
    assert len(only) == 1 and "  git credential  " in only[0] and "  acme  " not in only[0]
    doc = json.loads(served("log", "--json", "--since", "1h").out)
    assert [d["entry"] for d in doc] == ["gh", "acme"]
    assert json.loads(served("log", "--json", "--since", "2999-01-01").out) == []
    empty = served("log", "local")
    assert empty.out == "" and "holds no hand-out of 'local'" in empty.err
    assert served("log", "--since", "yesterday-ish").status == 2


def test_since_parses_ages_and_times() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2w", now) == now - timedelta(weeks=2)
    assert parse_since("2026-12-01T00:00Z") == datetime(2026, 12, 1, tzinfo=UTC)
    local = parse_since("2026-12-01T00:00")
    assert local == datetime(2026, 12, 1).astimezone().astimezone(UTC)


def test_a_record_that_cannot_be_written_still_hands_out(
    served: CliRunner, vault: Vault, tmp_path: Path
) -> None:
    (vault.home / record.RECORD_NAME).mkdir()
    r = served("get", "gh")
    assert r.status == 0 and r.out == TOKEN + "\n"
    assert "access record" in r.err and "was not written" in r.err
    status, out, err = git(served, "get", protocol="https", host="github.com")
    assert status == 0 and f"password={TOKEN}" in out and "was not written" in err


# ------------------------------------------------------------ the fast path


@pytest.mark.parametrize(
    "argv",
    [
        ["credential", "git", "get"],
        ["credential", "git", "erase"],
        ["credential", "git", "capabilities"],
        ["credential", "docker", "list"],
        ["credential", "kubectl", "corp"],
    ],
)
def test_the_helpers_command_lines_parse_as_the_parser_parses_them(argv: list[str]) -> None:
    from tokenmgr.cli import _helper_args
    from tokenmgr.cli.parser import parse

    fast = _helper_args(argv)
    full = {k: v for k, v in vars(parse(argv)).items() if k not in ("minimized", "smoke_test")}
    assert fast is not None and vars(fast) == full  # (those two are the app's defaults)


@pytest.mark.parametrize(
    "argv",
    [
        ["credential", "git", "--install"],
        ["credential", "git", "get", "--debug"],
        ["credential", "kubectl", "corp", "--print-config"],
        ["credential", "podman", "get"],
        ["get", "git", "x"],
    ],
)
def test_anything_else_goes_through_the_parser(argv: list[str]) -> None:
    from tokenmgr.cli import _helper_args

    assert _helper_args(argv) is None


def test_git_get_builds_no_parser() -> None:
    """git runs the helper on every fetch: no argparse, no OAuth, JWT or network code."""
    import subprocess
    import sys

    code = (
        "import io, sys\n"
        "from tokenmgr.cli import main\n"
        "from tokenmgr.cli.context import Environment\n"
        "env = Environment(stdin=io.BytesIO(b'protocol=https\\nhost=x.example\\n\\n'),"
        " env={'TOKENMGR_HOME': sys.argv[1]})\n"
        "assert main(['credential', 'git', 'get'], env) == 0\n"
        "heavy = {'argparse', 'requests', 'tokenmgr.core.oauth.flows', 'tokenmgr.core.jwt_inspect',"
        " 'tokenmgr.cli.parser', 'PySide6', 'keyring'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, "/nonexistent-home"], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "[]\n"


@pytest.mark.parametrize(
    ("minor", "version"), [("20", "v1beta1"), ("21+", "v1beta1"), ("22", "v1"), ("29+", "v1")]
)
def test_the_local_kubectl_chooses_the_exec_api_version(
    tmp_path: Path, minor: str, version: str
) -> None:
    """What `kubectl version --client -o json` says (GKE's kubectl adds a `+`)."""
    from tokenmgr.core.helpers.kubectl import local_api_version

    fake = tmp_path / "kubectl"
    doc = {"clientVersion": {"major": "1", "minor": minor, "gitVersion": f"v1.{minor}"}}
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(doc)}'\n")
    fake.chmod(0o755)
    assert local_api_version(str(fake)) == version


def test_print_config_without_a_kubectl_says_what_it_chose(cli: CliRunner) -> None:
    cli("add", "corp", "--host", "k8s.example", stdin="kt")
    r = cli("credential", "kubectl", "corp", "--print-config", env={"PATH": "/nonexistent"})
    assert r.status == 0 and "client.authentication.k8s.io/v1\n" in r.out
    assert "no kubectl answered" in r.err and "--api-version v1beta1" in r.err


def test_the_helper_command_runs_our_tokenmgr_from_any_folder(tmp_path: Path) -> None:
    """git and kubectl start the helper in the repository's folder: a `tokenmgr/` package
    a cloned repository holds must not run in our place (`python -m` alone would put the
    folder first on the import path)."""
    import os
    import subprocess
    import sys

    from tokenmgr.core.helpers import git, own_command

    fake = tmp_path / "tokenmgr"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("print('the repository ran its own code')\n")
    command = own_command(argv0="-c", executable=sys.executable, frozen=False)
    assert git.is_ours(git.helper_value(command))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "TOKENMGR_HOME": str(tmp_path / "home")}
    r = subprocess.run([*command, "--version"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.startswith("tokenmgr "), (r.stdout, r.stderr)


def test_the_record_holds_what_went_out_not_what_was_tried(cli: CliRunner) -> None:
    """A token that cannot be rendered (a `%` for cmd.exe) or a command that is not found:
    nothing left, so nothing is on the record; what did leave is, once."""
    cli("add", "pct", stdin="abc%PATH%def")
    assert cli("get", "pct", "--format", "env", "--shell", "cmd").status == 1
    assert cli("export", "pct", "--shell", "cmd").status == 1
    assert cli("exec", "pct", "--", "/nonexistent/program").status == 127
    assert cli("log", "pct").out == ""
    assert cli("get", "pct").status == 0
    assert cli("export", "pct").status == 0
    lines = cli("log", "pct").out.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["get", "export"], lines
