"""How the app's process ends: with `app.exec()`'s status, after an orderly teardown.

A QMimeData made in Python and still on the clipboard when the interpreter
ends crashes the process on platforms whose clipboard is a process-wide
static (offscreen, minimal): Qt deletes it after Python is gone, and its
Python wrapper calls into the dead interpreter. The first test shows that
crash with bare PySide6. The app puts a token on the clipboard exactly that
way (gui/clipboard.py), so it clears the clipboard when it quits, while Qt
and Python are both there; the other tests run the real `tokenmgr gui`
through a copy and a quit and check it ends with the status `app.exec()`
returned.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import demo
from tests.support.xvfb import XServer
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

# `tokenmgr gui` as the console script runs it; once started, the app copies a token
# (COPY=1), optionally forgets to clear the clipboard at quit (KEEP_CLIPBOARD=1, the
# fault the crash needs), then leaves its event loop with EXIT_STATUS.
CHILD = r"""
import os, sys
import tokenmgr.gui.app as app

start = app.start


def started(**kwargs):
    running = start(**kwargs)
    from PySide6.QtCore import QTimer

    def act():
        if os.environ.get("COPY"):
            running.clipboard.copy("ghp_s3cretTok3nValue9x", "header of github-ci")
        if os.environ.get("KEEP_CLIPBOARD"):
            running.app.aboutToQuit.disconnect(running.clipboard._on_app_about_to_quit)
        status = int(os.environ.get("EXIT_STATUS", "0"))
        QTimer.singleShot(0, lambda: running.app.exit(status))

    QTimer.singleShot(0, act)
    return running


app.start = started
sys.argv = ["tokenmgr", "gui"]
from tokenmgr.cli import main

sys.exit(main())
"""


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    return home


def _env(tmp_path: Path, base: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in base.items()
           if not k.startswith("TOKENMGR_") and k not in ("WAYLAND_DISPLAY",)}
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(TOKENMGR_HOME=str(_home(tmp_path)), TOKENMGR_STORE="file",
               TOKENMGR_PASSPHRASE=demo.PASSPHRASE, XDG_RUNTIME_DIR=str(tmp_path / "run"),
               PYTHONPATH=str(ROOT), **extra)
    return env


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_python_made_mime_data_left_on_the_clipboard_crashes_at_exit() -> None:
    """The crash itself, with bare PySide6 (no tokenmgr): offscreen, a QMimeData made in
    Python left on the clipboard ends the process with SIGSEGV after a clean exec()."""
    code = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QMimeData, QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        mime = QMimeData()
        mime.setText("left behind")
        app.clipboard().setMimeData(mime)
        QTimer.singleShot(0, app.quit)
        print("exec", app.exec(), flush=True)
        """
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.stdout.strip() == "exec 0"
    assert r.returncode == -signal.SIGSEGV, (r.returncode, r.stderr)


@pytest.mark.parametrize("status", [0, 3])
def test_the_process_ends_with_the_event_loops_status(tmp_path: Path, status: int) -> None:
    env = _env(tmp_path, dict(os.environ), QT_QPA_PLATFORM="offscreen",
               EXIT_STATUS=str(status))
    r = _run(env)
    assert r.returncode == status, r.stderr


def test_a_copied_token_is_cleared_and_the_process_ends_cleanly(tmp_path: Path) -> None:
    env = _env(tmp_path, dict(os.environ), QT_QPA_PLATFORM="offscreen", COPY="1")
    r = _run(env)
    assert r.returncode == 0, r.stderr
    # The fault the quit hook prevents: the token's mime data outlives Python.
    r = _run({**env, "KEEP_CLIPBOARD": "1"})
    assert r.returncode == -signal.SIGSEGV, (r.returncode, r.stderr)


def test_the_full_start_ends_cleanly_on_a_desktop(tmp_path: Path, xserver: XServer) -> None:
    """On X11 with a tray: tray icon, single instance, keeper, a copy; then the quit, the
    teardown, the exit status, and no single-instance socket left behind."""
    from tokenmgr.gui.single_instance import socket_path

    env = _env(tmp_path, xserver.env, COPY="1")
    socket_file = socket_path(Path(env["TOKENMGR_HOME"]), env)
    r = _run(env)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert socket_file.parent.is_dir()  # it was there
    assert not socket_file.exists()
