"""The smoke-test start paints the list whatever its first row is, and the empty state.

`tokenmgr gui --smoke-test` builds the whole window over the index, shows it
and exits 0 only once the list (or, with no entries, the window with the empty
state) has been painted; the first row's details are drawn with it. Each
kind of first row gets its own process: a JWT with claims tables, an
expiring, an expired and an OAuth entry, and one without expiry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support import demo
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.index import Index
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def _copy(entry: Entry, name: str) -> Entry:
    return Entry.from_dict({**entry.to_dict(), "name": name, "env_var": ""})


def _index_of_every_status(home: Path, first: str | None) -> int:
    """demo's five entries (one with a JWT report, an oauth2 one, every status), then two
    more of each status; `first` is copied to a name that sorts first (so its details are
    what the window shows at start). Returns the number of entries."""
    now = datetime.now(UTC)
    demo.build(Vault(home=home, store=KeyringStore(home, backend=MemoryKeyring())), now)
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


def _smoke(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TOKENMGR_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(QT_QPA_PLATFORM="offscreen", TOKENMGR_HOME=str(tmp_path / "home"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "tokenmgr", "gui", "--smoke-test"], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("first", [None, "api-prod", "staging", "old-key", "sandbox",
                                   "github-ci"])
def test_the_list_paints_whatever_its_first_row(tmp_path: Path, first: str | None) -> None:
    count = _index_of_every_status(tmp_path / "home", first)
    r = _smoke(tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"smoke test passed ({count} entries)" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_empty_state_paints(tmp_path: Path) -> None:
    r = _smoke(tmp_path)  # a fresh home: no index at all
    assert r.returncode == 0, r.stderr
    assert "smoke test passed (0 entries)" in r.stderr
