"""`make run` runs the app, not a test lab: it installs the app's runtime packages and a
venv without the test extras, and never asks for Node.js or a test tool (`make -n`, a dry
run from scratch, prints every command it would run)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str) -> str:
    # Called from `make test`, the child make would inherit the outer one's level and
    # flags and announce the directory it enters; a dry run of its own prints commands only.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", target], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True,
    ).stdout


def test_make_run_needs_no_test_tools() -> None:
    commands = _dry_run("run")
    for tool in ("node", "npm", "xvfb", "trayer", "openbox", "dunst", "gnome-keyring", "xdotool",
                 "fish"):
        assert not re.search(rf"\b{tool}\b", commands), f"`make run` asks for {tool}"
    assert "pip install -q -e ." in commands
    assert "[test]" not in commands
    assert commands.rstrip().endswith(".venv/bin/tokenmgr")


def test_make_test_installs_the_test_bench() -> None:
    commands = _dry_run("test")
    for tool in ("xvfb", "trayer", "openbox", "dunst", "gnome-keyring", "npm ci"):
        assert tool in commands, f"`make test` does not install {tool}"
    assert "-e '.[test]'" in commands
