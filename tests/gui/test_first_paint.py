"""No PySide6 `Qt` namespace before the list's first paint (gui/props.py).

PySide6 builds `PySide6.QtCore.Qt` (94 Python enums, ≈11 ms) the first time
Python touches it; until then `"Qt" not in vars(PySide6.QtCore)`. pytest has
built it long ago, so each check runs in a fresh process: the app started as
`--smoke-test` starts it (`app.start(smoke_test=True)`), with an event filter
on what the user waits for (the table's viewport, or the empty state's label)
that looks at the first Paint event.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.gui import demo
from tests.gui.test_app_process import clean_env
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.index import Index
from tokenmgr.core.secrets import KeyringStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui

CHILD = r"""
import json, os, sys
import PySide6.QtCore
from PySide6.QtCore import QEvent, QObject, QTimer

import tokenmgr.gui.app as app

result = {"at_import": "Qt" in vars(PySide6.QtCore)}
running = app.start(smoke_test=True, env=os.environ)
window = running.window
target = window.table.viewport() if window.model.rowCount() else window.empty_label
seen = []


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if not seen and event.type() == QEvent.Type.Paint:
            seen.append("Qt" in vars(PySide6.QtCore))
            QTimer.singleShot(0, running.app.exit)
        return False


watcher = FirstPaint()
target.installEventFilter(watcher)
QTimer.singleShot(20_000, lambda: running.app.exit(3))  # never painted: fail, do not hang
window.show()
result["exec"] = running.app.exec()
target.removeEventFilter(watcher)
result["painted"] = bool(seen)
result["qt_at_first_paint"] = seen[0] if seen else None
result["target"] = "table" if target is window.table.viewport() else "empty_label"
# After the measurement: what was on screen (this may build Qt; it is over by now).
from tokenmgr.gui.entry_model import StatusRole

model = window.model
result["rows"] = model.rowCount()
result["first_row"] = model.index(0, 0).data() if model.rowCount() else None
result["statuses"] = sorted({model.index(r, 0).data(StatusRole) for r in range(model.rowCount())})
result["kinds"] = sorted({e.kind for e in model.entries})
result["reports"] = sum(1 for e in model.entries if e.report)
PySide6.QtCore.Qt.AlignmentFlag  # the detector's sanity check: touching it builds it
result["qt_after_touching"] = "Qt" in vars(PySide6.QtCore)
print(json.dumps(result))
sys.stdout.flush()
sys.exit(0)
"""


def _copy(entry: Entry, name: str) -> Entry:
    return Entry.from_dict({**entry.to_dict(), "name": name, "env_var": ""})


def _index_of_every_status(home: Path, first: str | None) -> int:
    """demo's five entries (one with a JWT report, an oauth2 one, every status), then two
    more of each status; `first` is copied to a name that sorts first (so its details are
    what the window shows at start). Returns the number of entries."""
    now = datetime.now(UTC)
    demo.build(Vault(home=home, store=KeyringStore(backend=MemoryKeyring())), now)
    index = Index(home)
    entries = index.load()
    for i in range(2):
        extra = [
            Entry(f"valid-{i}", service="V", expires_at=now + timedelta(days=20 + i),
                  issued_at=now - timedelta(days=30), tags=["v"], secrets=["access"]),
            Entry(f"soon-{i}", service="S", expires_at=now + timedelta(hours=2 + i),
                  issued_at=now - timedelta(days=10), secrets=["access"]),
            Entry(f"gone-{i}", service="G", expires_at=now - timedelta(days=1 + i),
                  secrets=["access"]),
            Entry(f"unknown-{i}", service="U", secrets=["access"]),
            Entry(f"oauth-{i}", kind="oauth2", service="O",
                  expires_at=now + timedelta(minutes=30 + i), issued_at=now,
                  secrets=["access", "refresh"], state="sign_in_needed" if i else None,
                  oauth=OAuthConfig(issuer="https://login.example", client_id="c")),
            _copy(entries["api-prod"], f"jwt-{i}"),
        ]
        entries.update({e.name: e for e in extra})
    if first is not None:
        entries["0-first"] = _copy(entries[first], "0-first")
    index.save(entries)
    return len(entries)


def _child(tmp_path: Path) -> dict:
    env = clean_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["exec"] == 0 and result["painted"], result
    # The detector works: nothing had built Qt at import, and touching it does.
    assert result["at_import"] is False, result
    assert result["qt_after_touching"] is True, result
    return result


@pytest.mark.parametrize("first", [None, "api-prod", "staging", "old-key", "sandbox",
                                   "github-ci"])
def test_no_qt_namespace_before_the_lists_first_paint(tmp_path: Path, first: str | None) -> None:
    count = _index_of_every_status(tmp_path / "home", first)
    result = _child(tmp_path)
    assert result["target"] == "table" and result["rows"] == count, result
    # The painted list held every status and kind, and JWT reports.
    assert result["statuses"] == ["expired", "expiring", "unknown", "valid"], result
    assert result["kinds"] == ["oauth2", "static"] and result["reports"] >= 3, result
    if first is not None:
        assert result["first_row"] == "0-first", result
    assert result["qt_at_first_paint"] is False, "the Qt namespace was built before the paint"


def test_no_qt_namespace_before_the_empty_states_first_paint(tmp_path: Path) -> None:
    result = _child(tmp_path)  # a fresh home: no index at all
    assert result["target"] == "empty_label" and result["rows"] == 0, result
    assert result["qt_at_first_paint"] is False, "the Qt namespace was built before the paint"
