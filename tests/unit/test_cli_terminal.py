"""The vault file's passphrase and tokens typed at the terminal, on a real pty.

`python -m tokenmgr` runs with a pseudo-terminal as its controlling terminal, as in a
terminal window, and TOKENMGR_STORE=file without TOKENMGR_PASSPHRASE: the passphrase is
asked there with echo off (twice for a new vault file), even while the token comes on
stdin. Without any terminal the command says how to give the passphrase (exit 4).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.terminal import OnTerminal

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse 🐎 battery"
ASK = "tokenmgr vault passphrase: "
REPEAT = "repeat the passphrase: "

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal is POSIX")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    e.update(TOKENMGR_HOME=str(tmp_path / "home"), TOKENMGR_STORE="file", PYTHONPATH=str(ROOT))
    return e


def vault_file(env: dict[str, str]) -> Path:
    return Path(env["TOKENMGR_HOME"]) / "secrets.vault"


def add_on_terminal(env: dict[str, str], name: str, token: bytes) -> None:
    """`tokenmgr add NAME` with the token piped; the new vault's passphrase typed twice."""
    with OnTerminal(["add", name], env, stdin=token) as t:
        t.expect(ASK)
        t.type(PASSPHRASE + "\r")
        t.expect(REPEAT)
        t.type(PASSPHRASE + "\r")
        r = t.finish()
        assert r.returncode == 0, (r, t.screen)
        assert PASSPHRASE.encode() not in t.screen  # echo was off
        assert token not in t.screen


def test_the_passphrase_is_asked_on_the_terminal_while_the_token_is_piped(
    env: dict[str, str],
) -> None:
    add_on_terminal(env, "ci", b"tok-from-stdin\n")
    assert vault_file(env).exists()
    with OnTerminal(["get", "ci"], env) as t:
        t.expect(ASK)
        t.type(PASSPHRASE + "\r")
        r = t.finish()
    assert r.returncode == 0, r
    assert r.stdout == "tok-from-stdin\n"  # stdout carries only the token
    assert t.screen.count(ASK.encode()) == 1 and REPEAT.encode() not in t.screen
    assert PASSPHRASE.encode() not in t.screen and b"tok-from-stdin" not in t.screen


def test_passphrases_that_differ_create_nothing(env: dict[str, str]) -> None:
    with OnTerminal(["add", "ci"], env, stdin=b"tok") as t:
        t.expect(ASK)
        t.type(PASSPHRASE + "\r")
        t.expect(REPEAT)
        t.type(PASSPHRASE + "x\r")
        r = t.finish()
    assert r.returncode == 4, r
    assert "the passphrases differ" in r.stderr and "Traceback" not in r.stderr
    assert not vault_file(env).exists()
    assert json.loads(run_cli(["list", "--json"], env).stdout) == []


def test_a_wrong_passphrase_is_4_and_changes_nothing(env: dict[str, str]) -> None:
    add_on_terminal(env, "ci", b"ghp_first-token")
    before = vault_file(env).read_bytes()
    with OnTerminal(["add", "other"], env, stdin=b"ghp_second-token") as t:
        t.expect(ASK)
        t.type("not the passphrase\r")
        r = t.finish()
    assert r.returncode == 4, r
    assert "wrong passphrase" in r.stderr
    assert vault_file(env).read_bytes() == before


def test_a_long_token_typed_at_the_prompt_arrives_whole(env: dict[str, str]) -> None:
    """stdin is the terminal too: the token, then the passphrase, both without echo. The
    token is longer than a terminal line (4095 bytes), and typing corrections work."""
    token = "eyJhbGciOiJIUzI1NiJ9." + "A" * 6000 + ".sig"
    with OnTerminal(["add", "long"], env, stdin_is_terminal=True) as t:
        t.expect("Token for long: ")
        t.type("typo\x15")  # Ctrl+U: the line so far is dropped
        t.type(token + "Xé\x7f\x7f\r")  # two backspaces take back "é" and "X"
        t.expect(ASK)
        t.type(PASSPHRASE + "\r")
        t.expect(REPEAT)
        t.type(PASSPHRASE + "\r")
        r = t.finish()
    assert r.returncode == 0, (r, t.screen[-300:])
    assert token.encode()[:100] not in t.screen
    with OnTerminal(["get", "long"], env) as t:
        t.expect(ASK)
        t.type(PASSPHRASE + "\r")
        r = t.finish()
    assert r.stdout == token + "\n"


def test_without_a_terminal_the_message_names_the_fix(env: dict[str, str]) -> None:
    """No controlling terminal (a new session, as under cron or a CI runner) and no
    TOKENMGR_PASSPHRASE: exit 4, a sentence naming TOKENMGR_PASSPHRASE, nothing stored."""
    r = subprocess.run(
        [sys.executable, "-m", "tokenmgr", "add", "ci"],
        input=b"tok",
        env=env,
        capture_output=True,
        timeout=60,
        start_new_session=True,
    )
    err = r.stderr.decode()
    assert r.returncode == 4, err
    assert "TOKENMGR_PASSPHRASE" in err and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("tokenmgr: ")
    assert not vault_file(env).exists()


def test_a_paste_s_second_line_is_not_left_for_the_shell(env: dict[str, str]) -> None:
    """A paste of the passphrase and, after its Enter, a command: the command is dropped
    with the prompt, never run by the shell that reads the terminal next."""
    add_on_terminal(env, "ci", b"s3cret-value")
    with OnTerminal(["get", "ci"], env) as t:
        t.expect(ASK)
        t.type(PASSPHRASE + "\rrm -rf ~\r")
        r = t.finish()
        assert r.returncode == 0, r
        assert t.left_for_the_shell() == b""
