"""docker's credential helper, driven the way the docker CLI drives it, on the real
Secret Service: the program `docker-credential-tokenmgr` (the console script
pyproject.toml declares, made here as pip makes it) run with the action as its one
argument, the request written to its stdin and stdin closed, the answer read from
stdout, and the exit status and stdout read as docker-credential-helpers' client reads
them (`credentials not found in native keychain` on stdout with exit 1 is "ask
elsewhere", anything else with a non-zero exit is an error whose text is stdout).
`tokenmgr credential docker --install` edits the docker config and keeps every other
key."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.oauth import tm
from tokenmgr.core import record

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dckr_pat_" + "R3g1stry" * 4
NOT_FOUND = "credentials not found in native keychain"


class CredentialsNotFound(Exception):
    pass


@pytest.fixture
def helper(tmp_path: Path) -> Path:
    """The console script, written as pip writes one, from pyproject's declaration."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["docker-credential-tokenmgr"].partition(":")
    path = tmp_path / "bin" / "docker-credential-tokenmgr"
    path.parent.mkdir()
    path.write_text(
        f"#!{sys.executable}\nimport sys\nfrom {module} import {function}\n"
        f"sys.exit({function}())\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def run(helper: Path, env: dict[str, str], action: str, data: str) -> tuple[int, str]:
    """docker-credential-helpers' client: `cmd.Stdin = strings.NewReader(payload)`,
    `out, err := cmd.Output()`."""
    p = subprocess.run(
        [str(helper), action], input=data.encode(), env=env, capture_output=True, timeout=60
    )
    return p.returncode, p.stdout.decode()


def get(helper: Path, env: dict[str, str], server_url: str) -> dict[str, str]:
    code, out = run(helper, env, "get", server_url)
    if code != 0:
        if out.strip() == NOT_FOUND:
            raise CredentialsNotFound(server_url)
        raise RuntimeError(f"error getting credentials - err: exit {code}, out: `{out.strip()}`")
    creds = json.loads(out)
    return {"ServerURL": server_url, "Username": creds["Username"], "Secret": creds["Secret"]}


def test_get_list_store_erase_as_docker_runs_them(
    cli_env: dict[str, str], helper: Path
) -> None:
    env = dict(cli_env)
    r = tm(env, "add", "reg", "--host", "registry.example.test:5000", "--username", "ci-bot",
           stdin=TOKEN)
    assert r.returncode == 0, r.stderr
    assert tm(env, "add", "hub", "--host", "index.docker.io", "--username", "me",
              stdin="hub-" + TOKEN).returncode == 0

    assert get(helper, env, "registry.example.test:5000") == {
        "ServerURL": "registry.example.test:5000",
        "Username": "ci-bot",
        "Secret": TOKEN,
    }
    # Docker Hub is asked for by its old index URL.
    assert get(helper, env, "https://index.docker.io/v1/")["Secret"] == "hub-" + TOKEN
    for unserved in ("registry.example.test", "ghcr.io", "http://registry.example.test:5000"):
        with pytest.raises(CredentialsNotFound):
            get(helper, env, unserved)

    code, out = run(helper, env, "list", "")
    assert code == 0
    assert json.loads(out) == {"registry.example.test:5000": "ci-bot", "index.docker.io": "me"}
    # docker login / logout: nothing stored, nothing deleted, both succeed.
    creds = {"ServerURL": "registry.example.test:5000", "Username": "x", "Secret": "typed"}
    assert run(helper, env, "store", json.dumps(creds)) == (0, "")
    assert run(helper, env, "erase", "registry.example.test:5000") == (0, "")
    assert get(helper, env, "registry.example.test:5000")["Secret"] == TOKEN

    items = record.read(Path(env["TOKENMGR_HOME"]))
    assert [(i["entry"], i["how"], i["host"]) for i in items] == [
        ("reg", "docker", "registry.example.test:5000"),
        ("hub", "docker", "index.docker.io"),
        ("reg", "docker", "registry.example.test:5000"),
    ]
    assert all(i["program"] == os.path.basename(os.path.realpath(sys.executable))
               for i in items)  # who ran the helper: this test, a Python program
    text = (Path(env["TOKENMGR_HOME"]) / record.RECORD_NAME).read_text()
    assert TOKEN[9:25] not in text


def test_a_failure_is_an_error_docker_shows(
    cli_env: dict[str, str], helper: Path, tmp_path: Path
) -> None:
    assert tm(cli_env, "add", "reg", "--host", "registry.example.test", stdin=TOKEN).returncode == 0
    # No Secret Service answers there: the keyring cannot be read.
    env = dict(cli_env, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus")
    with pytest.raises(RuntimeError, match="error getting credentials") as info:
        get(helper, env, "registry.example.test")
    message = str(info.value)
    assert "Secret Service" in message or "keyring" in message, message
    assert TOKEN not in message and message.count("\n") == 0
    code, out = run(helper, env, "frobnicate", "")
    assert (code, out) == (1, "Unknown credential action `frobnicate`\n")


def test_install_edits_only_cred_helpers(cli_env: dict[str, str], tmp_path: Path) -> None:
    config_dir = tmp_path / "docker"
    config_dir.mkdir()
    config = config_dir / "config.json"
    theirs = {
        "auths": {"https://index.docker.io/v1/": {}, "old.example": {"auth": "dTpw"}},
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud", "registry.example.test": "pass"},
        "experimental": "enabled",
        "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
    }
    config.write_text(json.dumps(theirs, indent="\t"))
    config.chmod(0o600)
    env = dict(cli_env, DOCKER_CONFIG=str(config_dir))
    assert tm(env, "add", "reg", "--host", "registry.example.test", stdin=TOKEN).returncode == 0
    assert tm(env, "add", "hub", "--host", "index.docker.io", stdin="h").returncode == 0
    assert tm(env, "add", "team", "--host", "git.example.test/team", stdin="t").returncode == 0
    r = tm(env, "credential", "docker", "--install")
    assert r.returncode == 0, r.stderr
    assert "credHelpers 'registry.example.test' = 'tokenmgr' (was 'pass')" in r.stderr
    doc = json.loads(config.read_text())
    assert doc == {
        **theirs,
        "credHelpers": {
            "gcr.io": "gcloud",
            "registry.example.test": "tokenmgr",
            "index.docker.io": "tokenmgr",
        },
    }
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "already in" in tm(env, "credential", "docker", "--install").stderr
    r = tm(env, "credential", "docker", "--uninstall")
    assert r.returncode == 0, r.stderr
    assert json.loads(config.read_text()) == {**theirs, "credHelpers": {"gcr.io": "gcloud"}}


def test_install_refuses_a_config_it_cannot_read(cli_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"auths": {')
    env = dict(cli_env, DOCKER_CONFIG=str(tmp_path))
    assert tm(env, "add", "reg", "--host", "registry.example.test", stdin=TOKEN).returncode == 0
    r = tm(env, "credential", "docker", "--install")
    assert r.returncode == 1 and "is not valid JSON" in r.stderr and "left as it is" in r.stderr
    assert config.read_text() == '{"auths": {'


def test_install_makes_a_private_config_where_there_is_none(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(cli_env, HOME=str(tmp_path / "home"))
    env.pop("DOCKER_CONFIG", None)
    assert tm(env, "add", "reg", "--host", "registry.example.test", stdin=TOKEN).returncode == 0
    assert tm(env, "credential", "docker", "--install").returncode == 0
    config = tmp_path / "home" / ".docker" / "config.json"
    assert json.loads(config.read_text()) == {"credHelpers": {"registry.example.test": "tokenmgr"}}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
