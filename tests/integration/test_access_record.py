"""The access record on the real Secret Service: each CLI hand-out path writes one line
naming the program that asked (a script run by bash here; git, kubectl and docker in
their own tests, the app's copies in tests/gui), no token is ever in it (a canary over
every line), and a record that cannot be written (a full disk, an unwritable file)
still hands the token out and says so on stderr.

The full disk is a real one: a 1 MiB tmpfs mounted as TOKENMGR_HOME inside a private
user and mount namespace (`unshare`), filled to the last byte."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.canary import leaked_in_files, leaked_run
from tests.support.oauth import secret, tm
from tests.support.oidc_server import OIDCServer, scripted_login
from tokenmgr.core import record

pytestmark = pytest.mark.integration

TOKENS = {
    "alpha": "ghp_" + "Alph4Canary" * 4,
    "beta": "glpat-" + "B3taCanary" * 3,
}


def script(tmp_path: Path, env: dict[str, str], body: str) -> subprocess.CompletedProcess[str]:
    """Run `body` as the bash script deploy.sh (the program that asks), `tokenmgr` being
    this tree's CLI."""
    path = tmp_path / "deploy.sh"
    path.write_text(f'tokenmgr() {{ {sys.executable} -m tokenmgr "$@"; }}\n{body}\n')
    return subprocess.run(
        ["bash", str(path)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def lines(env: dict[str, str]) -> list[dict[str, object]]:
    return record.read(Path(env["TOKENMGR_HOME"]))


def test_each_cli_path_writes_one_line_naming_the_asking_program(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    for name, token in TOKENS.items():
        assert tm(cli_env, "add", name, stdin=token).returncode == 0
    r = script(
        tmp_path,
        cli_env,
        "tokenmgr get alpha >/dev/null\n"
        "tokenmgr get beta --format header >/dev/null\n"
        "tokenmgr export alpha beta >/dev/null\n"
        "tokenmgr exec beta -- true\n",
    )
    assert r.returncode == 0, r.stderr
    got = [(i["entry"], i["how"]) for i in lines(cli_env)]
    assert got == [
        ("alpha", "get"),
        ("beta", "get"),
        ("alpha", "export"),
        ("beta", "export"),
        ("beta", "exec"),
    ]
    for item in lines(cli_env):
        assert item["program"] == "bash"
        top, parent = record.requester(item["chain"])  # type: ignore[arg-type]
        assert top is not None and top["script"] == "deploy.sh" and top["cwd"] == str(tmp_path)
        assert parent is not None and parent["pid"] == os.getpid()
    shown = tm(cli_env, "log").stdout.splitlines()
    assert len(shown) == 5
    assert all("bash deploy.sh (pid " in line and "← python" in line for line in shown)
    assert leaked_in_files(TOKENS.values(), Path(cli_env["TOKENMGR_HOME"])) is None
    assert leaked_run(TOKENS.values(), tm(cli_env, "log", "--json").stdout) is None


@pytest.mark.usefixtures("fresh_server")
def test_an_oauth_refresh_is_on_the_record(
    cli_env: dict[str, str], oidc_server: OIDCServer
) -> None:
    r = scripted_login(oidc_server, cli_env, "corp", "--scope", "openid offline_access")
    assert r.returncode == 0, r.stderr
    assert tm(cli_env, "refresh", "corp").returncode == 0
    assert tm(cli_env, "get", "corp").returncode == 0
    assert [(i["entry"], i["how"]) for i in lines(cli_env)] == [
        ("corp", "refresh"),
        ("corp", "get"),
    ]
    stored = [secret(cli_env, "corp", f) for f in ("access", "refresh", "id")]
    assert leaked_in_files([s for s in stored if s], Path(cli_env["TOKENMGR_HOME"])) is None


def test_an_unwritable_record_still_hands_out(cli_env: dict[str, str]) -> None:
    assert tm(cli_env, "add", "alpha", stdin=TOKENS["alpha"]).returncode == 0
    log = Path(cli_env["TOKENMGR_HOME"]) / record.RECORD_NAME
    log.mkdir()  # what is there cannot be appended to (root may write any file)
    r = tm(cli_env, "get", "alpha")
    assert r.returncode == 0 and r.stdout == TOKENS["alpha"] + "\n"
    assert r.stderr.startswith("tokenmgr: warning: the access record ")
    assert "was not written" in r.stderr and r.stderr.count("\n") == 1
    assert TOKENS["alpha"][4:20] not in r.stderr


def test_a_full_disk_still_hands_out(cli_env: dict[str, str], tmp_path: Path) -> None:
    """TOKENMGR_HOME on a 1 MiB tmpfs: the entry is added, the disk filled, then `get`."""
    unshare = shutil.which("unshare")
    assert unshare, "util-linux's unshare is part of every Debian system"
    home = tmp_path / "small-home"
    home.mkdir(mode=0o700)
    out = tmp_path / "out"
    inner = (
        'set -e\n'
        'mount -t tmpfs -o size=1m,mode=0700 tmpfs "$H"\n'
        'printf %s "$TOKEN" | "$PY" -m tokenmgr add alpha\n'
        'dd if=/dev/zero of="$H/filler" bs=4k 2>/dev/null || true\n'
        'df -B1 --output=avail "$H" | tail -1 > "$OUT.avail"\n'
        'set +e\n'
        '"$PY" -m tokenmgr get alpha > "$OUT.stdout" 2> "$OUT.stderr"\n'
        'echo $? > "$OUT.status"\n'
        'ls -la "$H" > "$OUT.ls"\n'
    )
    env = dict(cli_env, H=str(home), TOKENMGR_HOME=str(home), TOKEN=TOKENS["alpha"],
               PY=sys.executable, OUT=str(out))
    r = subprocess.run([unshare, "--user", "--map-root-user", "--mount", "sh", "-c", inner],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert Path(f"{out}.avail").read_text().strip() == "0"
    assert Path(f"{out}.status").read_text().strip() == "0"
    assert Path(f"{out}.stdout").read_text() == TOKENS["alpha"] + "\n"
    said = Path(f"{out}.stderr").read_text()
    assert said.startswith("tokenmgr: warning: the access record ") and "was not written" in said
    assert "No space left on device" in said
    assert TOKENS["alpha"][4:20] not in said
    # The tmpfs went with the namespace; nothing of it is left mounted here.
    assert not (home / "filler").exists()


def test_the_record_is_private(cli_env: dict[str, str]) -> None:
    assert tm(cli_env, "add", "alpha", stdin=TOKENS["alpha"]).returncode == 0
    assert tm(cli_env, "get", "alpha").returncode == 0
    log = Path(cli_env["TOKENMGR_HOME"]) / record.RECORD_NAME
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    (item,) = lines(cli_env)
    assert json.loads(log.read_text())["entry"] == "alpha" and item["how"] == "get"
