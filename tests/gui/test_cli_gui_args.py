"""`tokenmgr gui` and its options: the plain starts take cli.main's fast path (no
argparse), everything else (--help, typos, --debug in the wrong place, combinations)
still goes through the parser. With no display (DISPLAY, WAYLAND_DISPLAY and
QT_QPA_PLATFORM unset) a GUI start is one sentence and exit 1, so a parser answer
(exit 0 or 2) proves the GUI was not started. (`gui`, no arguments and
`gui --smoke-test` without a display, and `gui --smoke-test` offscreen: test_app_process.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gui.test_app_process import clean_env, tokenmgr

pytestmark = pytest.mark.gui

NO_DISPLAY = "tokenmgr: no display to open the window on"


@pytest.mark.parametrize("args", [["gui", "--help"], ["gui", "-h"],
                                  ["gui", "--minimized", "--help"]])
def test_gui_help_is_the_parsers_usage(tmp_path: Path, args: list[str]) -> None:
    r = tokenmgr(args, clean_env(tmp_path))
    assert r.returncode == 0, r
    assert r.stdout.startswith("usage: tokenmgr gui")
    assert "--minimized" in r.stdout and "--smoke-test" not in r.stdout  # a hidden option
    assert NO_DISPLAY not in r.stderr and r.stderr == ""


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["gui", "--bogus"], "--bogus"),
        (["gui", "--debug"], "--debug"),  # a global option: `tokenmgr --debug gui`
        (["gui", "--minimized", "--bogus"], "--bogus"),
        (["gui", "--smoke-test", "--bogus"], "--bogus"),
    ],
)
def test_gui_with_an_unknown_option_is_a_usage_error(
    tmp_path: Path, args: list[str], option: str
) -> None:
    r = tokenmgr(args, clean_env(tmp_path))
    assert r.returncode == 2, r
    assert r.stderr == f"tokenmgr: unknown option {option} (see `tokenmgr --help`)\n"
    assert r.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["gui", "--minimized"],  # the fast path
        ["--debug", "gui"],  # the parser's way to the same start
        ["--debug", "gui", "--minimized"],
        ["gui", "--minimized", "--smoke-test"],
    ],
)
def test_every_way_to_start_the_gui_says_no_display(tmp_path: Path, args: list[str]) -> None:
    r = tokenmgr(args, clean_env(tmp_path))
    assert r.returncode == 1, r
    assert NO_DISPLAY in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_the_smoke_test_through_the_parser_exits_0(tmp_path: Path) -> None:
    """`--debug gui --smoke-test` is not a fast-path spelling; it ends with os._exit too,
    after the stderr line is flushed."""
    r = tokenmgr(["--debug", "gui", "--smoke-test"],
                 clean_env(tmp_path, QT_QPA_PLATFORM="offscreen"))
    assert r.returncode == 0, r
    assert "tokenmgr: smoke test passed (0 entries)\n" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(
    ("args", "fast"),
    [([], True), (["gui"], True), (["gui", "--minimized"], True),
     (["gui", "--smoke-test"], True), (["--debug", "gui"], False),
     (["gui", "--minimized", "--smoke-test"], False)],
)
def test_which_starts_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch, args: list[str], fast: bool
) -> None:
    """The fast path builds no parser, yet takes the passphrase out of the environment and
    sets up logging (TOKENMGR_DEBUG) as the parser's path does; either way, a GUI start
    that returns (here: no display) leaves garbage collection on."""
    import gc
    import logging
    import os

    from tokenmgr import cli

    built: list[bool] = []
    real = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: built.append(True) or real())
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TOKENMGR_DEBUG", "1")
    monkeypatch.setenv("TOKENMGR_PASSPHRASE", "correct horse battery staple")
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.WARNING)
        status = cli.main(args)  # no display: the GUI says so and returns 1
        assert status == 1
        assert built == ([] if fast else [True])
        assert gc.isenabled()  # the GUI path turns collection off; a return turns it on
        assert "TOKENMGR_PASSPHRASE" not in os.environ
        assert logging.getLogger("tokenmgr").getEffectiveLevel() == logging.DEBUG
    finally:
        root.setLevel(level)
