"""The system browser gets the user's environment, not the frozen bundle's: a stand-in
xdg-open on PATH records what it was started with."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tokenmgr.core import childenv

pytestmark = pytest.mark.gui


@pytest.fixture
def bundle_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The environment as the bundle's bootloader and hooks leave it, with an xdg-open
    that writes its arguments and environment to `opened.json`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"open({str(tmp_path / 'opened.json')!r}, 'w').write("
        "json.dumps({'argv': sys.argv[1:], 'env': dict(os.environ)}))\n"
    )
    opener.chmod(opener.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/home/me/lib")
    monkeypatch.delenv("QT_PLUGIN_PATH", raising=False)
    childenv.remember_start({**os.environ, "LD_LIBRARY_PATH": "/opt/tokenmgr/_internal",
                             "LD_LIBRARY_PATH_ORIG": "/home/me/lib", "_PYI_ARCHIVE_FILE": "x"})
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/tokenmgr/_internal")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/home/me/lib")
    monkeypatch.setenv("_PYI_ARCHIVE_FILE", "x")
    monkeypatch.setenv("QT_PLUGIN_PATH", "/opt/tokenmgr/_internal/PySide6/Qt/plugins")
    childenv.remember_bundle()
    yield tmp_path / "opened.json"
    childenv.reset()


def test_the_browser_is_opened_with_the_users_environment(qtbot: Any, bundle_env: Path) -> None:
    from tokenmgr.gui.browser import open_url

    assert open_url("https://github.com/settings/tokens")
    qtbot.waitUntil(bundle_env.exists, timeout=20_000)
    qtbot.waitUntil(lambda: bundle_env.read_text().endswith("}"), timeout=5_000)
    seen = json.loads(bundle_env.read_text())
    assert seen["argv"] == ["https://github.com/settings/tokens"]
    assert seen["env"]["LD_LIBRARY_PATH"] == "/home/me/lib"
    assert "QT_PLUGIN_PATH" not in seen["env"]
    assert not [k for k in seen["env"] if k.startswith("_PYI_")]
