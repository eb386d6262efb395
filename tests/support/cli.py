"""Run `python -m tokenmgr` as a subprocess, as a script would."""

from __future__ import annotations

import subprocess
import sys


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
