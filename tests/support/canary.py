"""Leak checks for canary tests: not only whole secrets, but any 8-character run of one
(its start, its end or its middle) in any output or file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

RUN = 8


def leaked_run(secrets: Iterable[str], text: str) -> str | None:
    """The first secret-derived run of RUN characters found in `text`, described without
    the secret itself (which secret, at which offset), or None."""
    for n, s in enumerate(sorted(set(secrets))):
        if len(s) < RUN:
            continue
        for i in range(len(s) - RUN + 1):
            if s[i : i + RUN] in text:
                return f"secret #{n} ({len(s)} chars), characters {i}-{i + RUN} are in the text"
    return None


def leaked_in_files(secrets: Iterable[str], root: Path) -> str | None:
    """`leaked_run` over every file under `root` (read as UTF-8, undecodable bytes kept)."""
    wanted = list(secrets)
    for f in sorted(root.rglob("*")):
        if f.is_file():
            found = leaked_run(wanted, f.read_bytes().decode("utf-8", "surrogateescape"))
            if found:
                return f"{f}: {found}"
    return None
