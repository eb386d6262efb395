"""Settings beside the index (0600, atomic, tolerant) and the XDG autostart entry."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tokenmgr.gui.settings import Settings, SettingsFile, autostart_path, set_autostart

pytestmark = pytest.mark.gui


def test_settings_file_is_0600_beside_the_index_and_round_trips(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sf = SettingsFile(home)
    assert sf.path == home / "settings.json"
    assert sf.load() == Settings()  # defaults: 30 s clear, 10 min lead
    assert Settings().clear_timeout_s == 30 and Settings().notify_lead_min == 10
    s = Settings(clear_timeout_s=45, default_shell="fish", store="file", start_minimized=True)
    sf.save(s)
    assert stat.S_IMODE(os.stat(sf.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert sf.load() == s
    assert not list(home.glob(".settings.json.*"))  # no temp file left behind


def test_unknown_keys_are_kept_and_bad_values_fall_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    (home / "settings.json").write_text(json.dumps({
        "clear_timeout_s": "soon", "store": "plaintext", "default_shell": "fish",
        "from_a_newer_version": {"x": 1}, "start_minimized": 1,
    }))
    s = SettingsFile(home).load()
    assert s.clear_timeout_s == 30 and s.store == "" and s.default_shell == "fish"
    assert s.start_minimized is False
    SettingsFile(home).save(s)
    assert json.loads((home / "settings.json").read_text())["from_a_newer_version"] == {"x": 1}
    (home / "settings.json").write_text("{not json")
    assert SettingsFile(home).load() == Settings()


def test_autostart_entry_written_and_removed(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    path = autostart_path(env)
    assert path == tmp_path / "cfg" / "autostart" / "tokenmgr.desktop"
    set_autostart(True, env)
    text = path.read_text()
    assert text.startswith("[Desktop Entry]\n") and "Type=Application" in text
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" gui --minimized")
    set_autostart(False, env)
    assert not path.exists()
    set_autostart(False, env)  # idempotent
    assert autostart_path({}) == Path.home() / ".config" / "autostart" / "tokenmgr.desktop"
    assert autostart_path({"XDG_CONFIG_HOME": "relative"}).is_relative_to(Path.home())


def test_preferences_apply_and_toggle_start_at_login(make_window, qtbot, tmp_path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "SHELL": "/bin/zsh"}
    f = make_window(entries=False, env=env)
    w = f.window
    assert w.settings.shell(w.env) == "zsh"
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["preferences"].trigger()
    d = opened.args[0]
    d.at_login.setChecked(True)
    d.clear_timeout.setValue(12)
    d.shell.setCurrentIndex(d.shell.findData("fish"))
    with qtbot.waitSignal(d.applied) as applied:
        d.accept()
    assert applied.args == [""]
    assert (tmp_path / "cfg" / "autostart" / "tokenmgr.desktop").exists()
    saved = SettingsFile(f.home).load()
    assert saved.start_at_login and saved.clear_timeout_s == 12 and saved.default_shell == "fish"
    assert w.clipboard.timeout_s == 12 and w.settings.shell(w.env) == "fish"
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.show_preferences()
    opened.args[0].at_login.setChecked(False)
    opened.args[0].accept()
    assert not (tmp_path / "cfg" / "autostart" / "tokenmgr.desktop").exists()


def test_a_shell_env_line_follows_the_preference(make_window, qtbot) -> None:
    from tests.support.demo import GITHUB
    from tests.support.gui_window import clipboard_text

    w = make_window(env={"SHELL": "/usr/bin/fish"}).window
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        w.copy_selected("env")
    assert clipboard_text() == f"set -gx GITHUB_CI_TOKEN {GITHUB}"
    w.settings.default_shell = "bash"
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        w.copy_selected("env")
    assert clipboard_text() == f"export GITHUB_CI_TOKEN={GITHUB}"


def test_the_autostart_entry_starts_tokenmgr_from_an_awkward_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GLib (`gio launch`, what GNOME's session uses) reads the entry and starts the
    program at a path with a space, quotes, `$`, parentheses and a backslash. (A `%` is
    written as `%%` too, but GLib refuses any program whose path holds one.)"""
    import shutil
    import subprocess
    import time

    from tokenmgr.gui import settings

    if shutil.which("gio") is None:
        pytest.fail("gio (libglib2.0-bin) is missing: run `make deps`")
    folder = tmp_path / 'My Apps' / 'a"b $c (x) back\\slash'
    folder.mkdir(parents=True)
    ran = tmp_path / "ran.txt"
    program = folder / "tokenmgr"
    program.write_text(f'#!/bin/sh\necho "$@" > "{ran}"\n')
    program.chmod(0o755)
    monkeypatch.setattr(settings, "_exec_line", lambda: (
        f"{settings.exec_argument(str(program))} gui --minimized"))
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    path = set_autostart(True, env)
    assert subprocess.run(["desktop-file-validate", str(path)], capture_output=True,
                          text=True).stdout == ""
    r = subprocess.run(["gio", "launch", str(path)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 30  # the program runs detached from gio
    while not (ran.exists() and ran.read_text().endswith("\n")):
        assert time.monotonic() < deadline, "the program never ran"
        time.sleep(0.05)
    assert ran.read_text() == "gui --minimized\n"
    assert settings.exec_argument("/opt/50%/tokenmgr") == "/opt/50%%/tokenmgr"
