"""The command line as data: global options before or after the command, `exec`'s
`--`, usage errors that echo no value, and a table whose every command runs something."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tokenmgr.cli.parser import COMMANDS, CliUsageError, build_parser, parse

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--debug", "get", "x"], "get"),
        (["get", "x", "--debug"], "get"),
        (["get", "--debug", "x"], "get"),
        (["--debug", "gui"], "gui"),
        (["gui", "--debug"], "gui"),
        (["gui", "--minimized", "--debug"], "gui"),
        (["--debug"], "gui"),
        (["list", "--json", "--debug"], "list"),
        (["--debug", "decode", "-", "--debug"], "decode"),
        (["exec", "--debug", "x", "--", "env"], "exec"),
        (["--debug", "exec", "x", "--", "env", "--debug"], "exec"),
    ],
)
def test_debug_is_taken_before_or_after_the_command(argv: list[str], command: str) -> None:
    args = parse(argv)
    assert args.command == command and args.debug is True


@pytest.mark.parametrize("argv", [[], ["gui"], ["get", "x"], ["exec", "x", "--", "cmd", "--debug"]])
def test_without_debug_it_is_off(argv: list[str]) -> None:
    assert parse(argv).debug is False


def test_no_command_is_the_desktop_app() -> None:
    args = parse([])
    assert (args.command, args.minimized, args.smoke_test) == ("gui", False, False)


def test_exec_keeps_the_childs_arguments_as_given() -> None:
    args = parse(["exec", "a", "b", "--", "sh", "-c", "echo --debug -- x"])
    assert args.names == ["a", "b"]
    assert args.argv == ["sh", "-c", "echo --debug -- x"]


@pytest.mark.parametrize("argv", [["list", "--version"], ["--version"], ["get", "x", "--version"]])
def test_version_before_or_after(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse(argv)
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("tokenmgr ")


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["--bogus", "list"], "--bogus"),
        (["list", "--bogus=ghp_SECRETSECRET"], "--bogus"),
        (["exec", "--bogus=ghp_SECRETSECRET", "a", "--", "env"], "--bogus"),
    ],
)
def test_unknown_options_are_named_without_their_value(argv: list[str], shown: str) -> None:
    with pytest.raises(CliUsageError) as refused:
        parse(argv)
    assert f"unknown option {shown} " in str(refused.value)
    assert "SECRET" not in str(refused.value)


def test_every_command_runs_a_function() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)  # type: ignore[arg-type]
    for command, target in COMMANDS.items():
        module, _, function = target.partition(":")
        assert callable(
            getattr(importlib.import_module(f"tokenmgr.cli.commands.{module}"), function)
        ), command


@pytest.mark.parametrize("argv", [["add", "a", "--debug"], ["--debug", "add", "a"]])
def test_debug_after_the_command_logs_at_debug(tmp_path: Path, argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.update(
        TOKENMGR_HOME=str(tmp_path / "h"),
        TOKENMGR_STORE="file",
        TOKENMGR_PASSPHRASE="pw-for-debug",
        PYTHONPATH=str(ROOT),
    )
    r = run_cli(argv, env, "tok-debugged")
    assert r.returncode == 0, r.stderr
    assert "DEBUG tokenmgr" in r.stderr
    assert "tok-debugged" not in r.stderr and "pw-for-debug" not in r.stderr
    quiet = run_cli(["add", "b"], env, "tok-2")
    assert quiet.returncode == 0 and "DEBUG" not in quiet.stderr


def test_import_of_the_cli_loads_no_command() -> None:
    code = (
        "import sys, tokenmgr.cli\n"
        "print([m for m in sys.modules if m.startswith('tokenmgr.cli.commands')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_only_the_command_on_the_line_is_built() -> None:
    """A script's `get` builds no `login`; the desktop app's plain start builds none;
    `--help` and a mistyped command get them all; every command, built alone, is the
    one built among all the others."""
    import argparse

    from tokenmgr.cli import parser as cli_parser

    def subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        action = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
        return dict(action.choices)

    def own(s: argparse.ArgumentParser) -> set[str]:
        return {a.dest for a in s._actions} - {"help", "debug", "version"}

    assert list(subparsers(cli_parser.build_parser(["--debug", "get", "x"]))) == ["get"]
    assert subparsers(cli_parser.build_parser([])) == {}
    everything = subparsers(cli_parser.build_parser())
    assert set(subparsers(cli_parser.build_parser(["--help"]))) == set(everything)
    assert set(subparsers(cli_parser.build_parser(["gett", "x"]))) == set(everything)
    for name, sub in everything.items():
        assert own(subparsers(cli_parser.build_parser([name]))[name]) == own(sub), name
