"""The real app (not the smoke test) paints its list.

`tokenmgr gui` on Xvfb with trayer as the tray host, over gnome-keyring's
Secret Service on a private bus: the tray, the single-instance server and the
keyring probe all start as for a user. A child script wraps `gui.app.start` to
put an event filter on the list's viewport and reports, at its first Paint,
how many rows there are and whether the tray is up, then ends the app.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.secret_service import SecretServiceSession
from tests.support.xvfb import XServer

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, os, sys
import tokenmgr.gui.app as app

report = {}
start = app.start


def wrapped(**kwargs):
    running = start(**kwargs)
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if "rows" not in report and event.type() == QEvent.Type.Paint:
                report["tray"] = running.tray is not None
                report["rows"] = running.window.model.rowCount()
                QTimer.singleShot(0, running.window.quit_app)
            return False

    running.first_paint = FirstPaint()
    running.window.table.viewport().installEventFilter(running.first_paint)
    QTimer.singleShot(30_000, lambda: running.app.exit(3))  # never painted: fail, not hang
    return running


app.start = wrapped
sys.argv = ["tokenmgr", "gui"]
from tokenmgr.cli import main

status = main()
print(json.dumps(report), flush=True)
sys.exit(status)
"""


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretServiceSession]:
    with SecretServiceSession() as ss:
        yield ss


def test_the_real_app_paints_its_list(
    secret_service: SecretServiceSession, tmp_path: Path
) -> None:
    with XServer(1024, 700) as x:
        x.start(tray=True)
        env = {k: v for k, v in x.env.items() if not k.startswith("TOKENMGR_")}
        env.update(secret_service.env, TOKENMGR_HOME=str(tmp_path / "home"))
        env.pop("QT_QPA_PLATFORM", None)
        for name in ("alpha", "beta", "gamma"):
            r = run_cli(["add", name, "--service", "Demo"], env, stdin=f"ghp_{name}Tok3nValue9x")
            assert r.returncode == 0, r.stderr
        r = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads(r.stdout.strip().splitlines()[-1])
    assert report == {"tray": True, "rows": 3}, report
