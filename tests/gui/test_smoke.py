"""`tokenmgr gui --smoke-test` fails, with a sentence and exit 1, when the start read from
the secret store or loaded QtWebEngine (each fault put in by the child script)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import os, sys
import tokenmgr.gui.app as app

start = app.start


def started(**kwargs):
    running = start(**kwargs)
    fault = os.environ["FAULT"]
    if fault == "store":
        try:
            running.window.vault.store.get("tokenmgr", "github-ci")
        except Exception:
            pass  # refused; the smoke test must still say it was asked
    elif fault == "webengine":
        import PySide6.QtWebEngineCore  # noqa: F401
    return running


app.start = started
sys.argv = ["tokenmgr", "gui", "--smoke-test"]
from tokenmgr.cli import main

sys.exit(main())
"""


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("none", "smoke test passed (0 entries)"),
        ("store", "the window called the secret store (get)"),
        ("webengine", "PySide6.QtWebEngineCore was loaded"),
    ],
)
def test_the_smoke_test_fails_on_a_store_call_or_webengine(
    tmp_path: Path, fault: str, said: str
) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TOKENMGR_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    (tmp_path / "run").mkdir(mode=0o700)
    env.update(QT_QPA_PLATFORM="offscreen", TOKENMGR_HOME=str(tmp_path / "home"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"), PYTHONPATH=str(ROOT), FAULT=fault)
    r = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                       timeout=120)
    assert said in r.stderr, r.stderr
    assert r.returncode == (0 if fault == "none" else 1), r.stderr
    assert "Traceback" not in r.stderr
