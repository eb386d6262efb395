"""`tokenmgr sign-in-window` as a process, spoken to over its pipe like the app does:
what it refuses, what it logs, what it leaves on stdout (only the pipe); and the
sentence an embedded sign-in gets when Chromium's sandbox cannot run (as root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pages import Site
from tests.support.terminal import OnTerminal

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def env_of(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class Window:
    """`tokenmgr [--debug] sign-in-window` with its stdin and stdout as the pipe."""

    def __init__(self, env: dict[str, str], *, debug: bool = False) -> None:
        args = [sys.executable, "-P", "-m", "tokenmgr", *(["--debug"] if debug else []),
                "sign-in-window"]
        self.proc = subprocess.Popen(
            args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stderr: list[bytes] = []
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._err.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def send(self, kind: str, **fields: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"type": kind, **fields}).encode() + b"\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the window process closed its pipe"
        message = json.loads(line)  # only the pipe's messages: any other line fails here
        assert isinstance(message, dict)
        return message

    def finish(self, timeout: float = 30) -> tuple[int, bytes, str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        status = self.proc.wait(timeout)
        self._err.join(10)
        return status, rest, b"".join(self.stderr).decode(errors="replace")


@pytest.fixture
def windows() -> Iterator[list[Window]]:
    made: list[Window] = []
    yield made
    for w in made:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


@pytest.mark.usefixtures("as_root")
def test_as_root_with_the_sandbox_on_the_app_says_why_the_window_ended(qtbot: Any) -> None:
    """Chromium ends the window's process (the sandbox stays on: the app never turns it
    off); the app reads why from its last words and says it in a sentence."""
    from tokenmgr.gui.signin_process import AS_ROOT, WindowProcess

    env = env_of()
    env.pop("QTWEBENGINE_DISABLE_SANDBOX", None)
    w = WindowProcess(env)
    with qtbot.waitSignal(w.failed, timeout=60_000) as failed:
        w.start()
        w.open("http://127.0.0.1:9/auth", "http://127.0.0.1:9/callback", "Example", 0)
    assert failed.args[0] == AS_ROOT
    qtbot.waitUntil(lambda: not w.running(), timeout=30_000)


@pytest.mark.usefixtures("as_root")
def test_as_root_with_the_sandbox_on_a_sign_in_ends_with_the_sentence(
    qtbot: Any, tmp_path: Path
) -> None:
    from tokenmgr.core.oauth.signin import SignInRequest
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.signin import SignInController
    from tokenmgr.gui.tasks import Tasks

    env = env_of()
    env.pop("QTWEBENGINE_DISABLE_SANDBOX", None)
    site = Site({"/.well-known/openid-configuration": (404, "")})
    try:
        c = SignInController(Vault(home=tmp_path / "home", env=env), Tasks(), env=env)
        req = SignInRequest(name="web", client_id="c", browser="embedded",
                            authorize_url=site.base + "/auth", token_url=site.base + "/token")
        with qtbot.waitSignal(c.failed, timeout=60_000) as failed:
            c.start(req)
        assert failed.args[0].startswith("The sign-in window cannot open while Token Manager")
        assert failed.args[0].endswith(".")
        qtbot.waitUntil(lambda: not c.running(), timeout=30_000)
    finally:
        site.close()


def test_on_a_terminal_it_says_who_starts_it() -> None:
    with OnTerminal(["sign-in-window"], env_of(), stdin_is_terminal=True) as t:
        r = t.finish()
    assert r.returncode == 2
    assert "started by the desktop app" in r.stderr and "Traceback" not in r.stderr


def test_sign_in_window_is_not_listed_in_the_help() -> None:
    r = subprocess.run([sys.executable, "-m", "tokenmgr", "--help"], env=env_of(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "sign-in-window" not in r.stdout


CONSOLE_PAGE = """<!doctype html><title>console</title><script>
console.error('back to http://127.0.0.1:9/callback?code=c0de-SECRET-123&state=s');
console.log('access_token=tok-SECRET-456');
alert('hello'); prompt('Your vault passphrase is needed');
fetch('/logged');
</script>"""


def test_only_the_pipe_on_stdout_and_page_console_through_the_redaction_filter(
    windows: list[Window],
) -> None:
    """Run at --debug (the most it ever says): the page's console lines are logged, each
    redacted; no Chromium "js:" line; stdout carries only the pipe's messages."""
    site = Site({"/auth": (200, CONSOLE_PAGE)})
    try:
        w = Window(env_of(), debug=True)
        windows.append(w)
        assert w.receive() == {"type": "ready"}
        w.send("open", url=site.base + "/auth", redirect_uri="http://127.0.0.1:9/callback",
               provider="Example", transient_for=0)
        assert w.receive()["type"] == "shown"
        deadline = time.monotonic() + 30
        while "/logged" not in site.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "/logged" in site.requests  # the page's script ran to its end
        w.send("close")
        status, rest, err = w.finish()
    finally:
        site.close()
    assert status == 0 and rest == b""
    assert "SECRET" not in err and "Traceback" not in err
    console = [line for line in err.splitlines() if "tokenmgr.signin.page" in line]
    assert any("code=***" in line for line in console), err[-3000:]
    assert all(line.startswith("DEBUG ") for line in console)
    assert not any(line.startswith("js:") for line in err.splitlines())
    assert "an alert(), refused" in err and "a prompt(), refused" in err


def test_qt_messages_go_through_the_redaction_filter() -> None:
    code = (
        "import logging\n"
        "from tokenmgr.core import redact\n"
        "redact.install(logging.WARNING)\n"
        "from tokenmgr.gui import qtlog\n"
        "qtlog.install()\n"
        "from PySide6.QtCore import qWarning\n"
        "qWarning('a url http://127.0.0.1:9/callback?code=c0de-SECRET-789')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env_of(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "SECRET" not in r.stderr
    assert "WARNING tokenmgr.qt: a url http://127.0.0.1:9/callback?code=***" in r.stderr


def test_the_packages_smoke_check_of_the_window_passes_here(tmp_path: Path) -> None:
    """packaging/signin_window_smoke.py, which the .deb's smoke test runs against the
    installed binary, against this checkout: what it checks holds here too."""
    launcher = tmp_path / "tokenmgr"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -P -m tokenmgr "$@"\n')
    launcher.chmod(0o755)
    r = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "signin_window_smoke.py"), str(launcher)],
        env=env_of(), capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "delivered its redirect" in r.stderr
