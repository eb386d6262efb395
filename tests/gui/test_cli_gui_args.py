"""`tokenmgr gui` and its options, through the parser like every other command: --help,
typos, and the global options before or after `gui`. With no display (DISPLAY,
WAYLAND_DISPLAY and QT_QPA_PLATFORM unset) a GUI start is one sentence and exit 1, so
a parser answer (exit 0 or 2) proves the GUI was not started, and the no-display
sentence proves it was.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.support.cli import gui_env, run_cli

pytestmark = pytest.mark.gui

NO_DISPLAY = "tokenmgr: no display to open the window on"


@pytest.mark.parametrize(
    "args", [["gui", "--help"], ["gui", "-h"], ["gui", "--minimized", "--help"]]
)
def test_gui_help_is_the_parsers_usage(tmp_path: Path, args: list[str]) -> None:
    r = run_cli(args, gui_env(tmp_path))
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: tokenmgr gui")
    assert "--minimized" in r.stdout and "--smoke-test" not in r.stdout  # a hidden option
    assert "--debug" in r.stdout  # the global option, taken here too
    assert NO_DISPLAY not in r.stderr and r.stderr == ""


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["gui", "--bogus"], "--bogus"),
        (["gui", "--minimized", "--bogus"], "--bogus"),
        (["gui", "--smoke-test", "--bogus"], "--bogus"),
        (["gui", "--debug", "--bogus=secret-value"], "--bogus"),
    ],
)
def test_gui_with_an_unknown_option_is_a_usage_error(
    tmp_path: Path, args: list[str], option: str
) -> None:
    r = run_cli(args, gui_env(tmp_path))
    assert r.returncode == 2, r
    assert r.stderr == f"tokenmgr: unknown option {option} (see `tokenmgr --help`)\n"
    assert r.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["gui"],
        ["gui", "--minimized"],
        ["--debug", "gui"],
        ["gui", "--debug"],  # a global option after the command
        ["gui", "--minimized", "--debug"],
        ["--debug", "gui", "--minimized"],
        ["gui", "--minimized", "--smoke-test"],
    ],
)
def test_every_way_to_start_the_gui_says_no_display(tmp_path: Path, args: list[str]) -> None:
    r = run_cli(args, gui_env(tmp_path))
    assert r.returncode == 1, r
    assert NO_DISPLAY in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args", [["--debug", "gui", "--smoke-test"], ["gui", "--smoke-test"]])
def test_the_smoke_test_exits_0(tmp_path: Path, args: list[str]) -> None:
    r = run_cli(args, gui_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r
    assert "tokenmgr: smoke test passed (0 entries)\n" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(
    ("args", "debug"),
    [([], False), (["gui"], False), (["--debug", "gui"], True), (["gui", "--debug"], True)],
)
def test_a_gui_start_takes_the_passphrase_and_sets_up_logging(
    monkeypatch: pytest.MonkeyPatch, args: list[str], debug: bool
) -> None:
    """Whichever spelling, the GUI start takes the passphrase out of the environment
    before anything else and logs at DEBUG exactly when asked."""
    from tokenmgr.cli import main

    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "TOKENMGR_DEBUG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TOKENMGR_PASSPHRASE", "correct horse battery staple")
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.WARNING)
        assert main(args) == 1  # no display: the GUI says so and returns 1
        assert "TOKENMGR_PASSPHRASE" not in os.environ
        expected = logging.DEBUG if debug else logging.WARNING
        assert logging.getLogger("tokenmgr").getEffectiveLevel() == expected
    finally:
        root.setLevel(level)
