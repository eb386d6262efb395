"""Run the CLI: `python -m tokenmgr` as a subprocess (as a script would), or `main()`
in-process against a given vault (`CliRunner`, the `cli` fixture)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tokenmgr.cli import main
from tokenmgr.cli.context import Environment

if TYPE_CHECKING:
    from tokenmgr.core.vault import Vault


def run_cli(
    args: list[str],
    env: dict[str, str],
    stdin: bytes | str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "tokenmgr", *args],
        input=data if data is not None else b"",
        env=env,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode()
    )


ROOT = Path(__file__).resolve().parents[2]


def gui_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A `tokenmgr` subprocess environment with a fresh home and no display (a GUI start
    then says so and exits 1), this tree on PYTHONPATH; `extra` on top."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TOKENMGR_")
        and k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env.update(
        TOKENMGR_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    env.update(extra)
    return env


class CliResult:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def __repr__(self) -> str:
        return f"CliResult({self.status}, out={self.out!r}, err={self.err!r})"


class CliRunner:
    """Runs `main()` in-process against a vault. `tty` says stdin is a terminal; `ask`
    answers the no-echo prompts (by default there is no terminal to ask on)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def __call__(
        self,
        *args: str,
        stdin: bytes | str = b"",
        tty: bool = False,
        env: dict[str, str] | None = None,
        ask: Callable[[str], str | None] | None = None,
    ) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        data = stdin.encode() if isinstance(stdin, str) else stdin
        environment = Environment(
            stdin=io.BytesIO(data),
            stdout=out,
            stderr=err,
            env=env if env is not None else {"SHELL": "/bin/bash"},
            stdin_isatty=tty,
            terminal=ask is not None,
            vault_factory=lambda _env: self.vault,
            ask=ask if ask is not None else (lambda _prompt: None),
        )
        status = main(list(args), environment)
        return CliResult(int(status), out.getvalue(), err.getvalue())
