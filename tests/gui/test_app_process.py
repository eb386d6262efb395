"""The app as a process: no display, --smoke-test, a CLI change showing in the open
window, and what each import loads. (The single instance: tests/gui/test_single_instance.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import demo
from tests.support.cli import run_cli
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TOKENMGR_") and k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                          "QT_QPA_PLATFORM")}
    env.update(
        TOKENMGR_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(extra)
    return env


def tokenmgr(args: list[str], env: dict[str, str], timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "tokenmgr", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args", [["gui"], [], ["gui", "--smoke-test"]])
def test_no_display_is_one_sentence_and_exit_1(tmp_path: Path, args: list[str]) -> None:
    r = tokenmgr(args, clean_env(tmp_path))
    assert r.returncode == 1, r
    assert r.stderr.startswith("tokenmgr: no display to open the window on")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and "qt." not in r.stderr
    assert r.stdout == ""


def test_an_unreachable_display_is_a_sentence_too(tmp_path: Path) -> None:
    r = tokenmgr(["gui"], clean_env(tmp_path, DISPLAY=":93"))
    assert r.returncode == 1, r
    assert r.stderr.startswith("tokenmgr: cannot open the display :93")
    assert "Aborted" not in r.stderr and "could not connect" not in r.stderr


def _demo_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    return home


def test_smoke_test_exits_0_and_reads_no_secret(tmp_path: Path) -> None:
    _demo_home(tmp_path)
    log = tmp_path / "keyring.log"
    env = clean_env(
        tmp_path,
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="tests.support.recording_keyring.RecordingKeyring",
        TOKENMGR_TEST_KEYRING_LOG=str(log),
    )
    r = tokenmgr(["gui", "--smoke-test"], env)
    assert r.returncode == 0, r
    assert "smoke test passed (5 entries)" in r.stderr
    assert not log.exists()  # the keyring was never asked for anything
    # The file store is not opened either, passphrase or not.
    vault_file = tmp_path / "home" / "secrets.vault"
    before = vault_file.stat().st_mtime_ns
    r = tokenmgr(["gui", "--smoke-test"],
                 {**env, "TOKENMGR_STORE": "file", "TOKENMGR_PASSPHRASE": "wrong"})
    assert r.returncode == 0, r
    assert vault_file.stat().st_mtime_ns == before


def test_gui_imports_load_no_webengine_and_cli_loads_no_pyside6(tmp_path: Path) -> None:
    code = (
        "import sys, tokenmgr.cli\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'cli loaded PySide6'\n"
        "import tokenmgr.gui, tokenmgr.gui.app, tokenmgr.gui.main_window, tokenmgr.gui.details\n"
        "import tokenmgr.gui.entry_dialog, tokenmgr.gui.decode_dialog, tokenmgr.gui.tasks\n"
        "import tokenmgr.gui.clipboard, tokenmgr.gui.tray, tokenmgr.gui.first_run\n"
        "print(sorted(m for m in sys.modules if 'WebEngine' in m))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], env=clean_env(tmp_path),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r
    assert r.stdout.strip() == "[]"


def test_a_cli_add_shows_in_the_open_window_within_2_s(make_window, qtbot, tmp_path) -> None:
    f = make_window()
    w = f.window
    env = clean_env(tmp_path, TOKENMGR_HOME=str(f.home), TOKENMGR_STORE="file",
                    TOKENMGR_PASSPHRASE="another-passphrase")
    r = run_cli(["add", "from-cli", "--service", "Shell"], env, stdin=demo.STRIPE + "\n")
    assert r.returncode == 0, r
    qtbot.waitUntil(lambda: "from-cli" in w.model.names(), timeout=2000)  # within 2 s
    # And a removal too.
    r = run_cli(["rm", "from-cli"], env)
    assert r.returncode == 0, r
    qtbot.waitUntil(lambda: "from-cli" not in w.model.names(), timeout=2000)
    assert f.store.calls == []  # the window re-read the index only
