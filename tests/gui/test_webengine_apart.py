"""QtWebEngine (Chromium: a large library and its helper processes) is loaded only in
the sign-in window's own process, by the sign-in dialog's modules: importing every
other module of the desktop app loads none of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
# The sign-in window's process: the dialog, its page and view, the window on the pipe.
WINDOW_PROCESS = {"login_dialog", "login_page", "piped_window"}


def test_only_the_sign_in_window_s_modules_load_qtwebengine() -> None:
    gui = ROOT / "tokenmgr" / "gui"
    app_modules = sorted(p.stem for p in gui.glob("*.py")
                         if p.stem not in WINDOW_PROCESS and p.stem != "__init__")
    code = (
        "import importlib, sys\n"
        f"for name in {app_modules!r}:\n"
        "    importlib.import_module('tokenmgr.gui.' + name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6.QtWebEngine')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
    # And the dialog's module does load it (the check above can see it).
    code = "import sys, tokenmgr.gui.login_dialog\nprint('PySide6.QtWebEngineCore' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.stdout.strip() == "True", r.stderr
