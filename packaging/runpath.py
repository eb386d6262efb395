"""The bundle's ELF search paths: only `$ORIGIN`-relative RUNPATH/RPATH entries ship.

PyInstaller copies libpython and the lib-dynload modules as the build's Python has
them. A pyenv or self-built Python gives them a RUNPATH that names its own `lib`
directory on the build machine (say `/home/dev/.pyenv/versions/3.11.7/lib`), and the
loader searches it before the system's libraries: every user of the package would
load libraries from whatever that path holds on their machine. So `fix` drops every
entry that is not `$ORIGIN`-relative (the bootloader has loaded libpython before
any module asks for it, and the bundle's own libraries are found through `$ORIGIN`),
and `check` lists any file that still has one; build_deb.sh runs both, and the
smoke test runs `check` on the installed package.

    python3 packaging/runpath.py fix DIR      # rewrite in place (patchelf)
    python3 packaging/runpath.py check DIR    # exit 1 and list offenders
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
_DYNAMIC = re.compile(r"\((RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[(.*)\]")


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with open(path, "rb") as f:
            if f.read(4) == ELF_MAGIC:
                found.append(path)
    return found


def search_paths(path: Path) -> list[str]:
    """The file's RUNPATH (or RPATH) entries, in order."""
    out = subprocess.run(
        ["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=False
    ).stdout
    entries: list[str] = []
    for match in _DYNAMIC.finditer(out):
        entries += [e for e in match.group(2).split(":") if e]
    return entries


def shipped_ok(entry: str) -> bool:
    return entry == "$ORIGIN" or entry.startswith("$ORIGIN/")


def offenders(root: Path) -> dict[Path, list[str]]:
    bad = {}
    for path in elf_files(root):
        outside = [e for e in search_paths(path) if not shipped_ok(e)]
        if outside:
            bad[path] = outside
    return bad


def fix(root: Path) -> int:
    """Drop every entry outside `$ORIGIN`; the number of files changed."""
    changed = 0
    for path, _outside in offenders(root).items():
        kept = [e for e in search_paths(path) if shipped_ok(e)]
        mode = path.stat().st_mode
        os.chmod(path, mode | 0o200)  # patchelf rewrites the file; some ship read-only
        if kept:
            command = ["patchelf", "--set-rpath", ":".join(kept), str(path)]
        else:
            command = ["patchelf", "--remove-rpath", str(path)]
        subprocess.run(command, check=True)
        os.chmod(path, mode)
        changed += 1
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("fix", "check"):
        sys.stderr.write("usage: runpath.py fix|check DIR\n")
        return 2
    root = Path(argv[1])
    if argv[0] == "fix":
        sys.stderr.write(f"runpath: {fix(root)} files no longer search outside $ORIGIN\n")
    bad = offenders(root)
    for path, outside in bad.items():
        sys.stderr.write(f"runpath: {path} searches {':'.join(outside)}\n")
    if bad:
        sys.stderr.write(
            f"runpath: {len(bad)} files search paths outside the bundle; "
            "run `python3 packaging/runpath.py fix DIR`\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
