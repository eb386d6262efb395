#!/usr/bin/env python3
"""Compute the .deb's `Depends:` from the bundle itself, not from a guess.

    python3 packaging/debian_depends.py dist/tokenmgr        # prints the field's value
    python3 packaging/debian_depends.py dist/tokenmgr -v     # and which library needs what

Every ELF file of the bundle goes through `ldd` (with the bundle's own library
folders on LD_LIBRARY_PATH, as the frozen program's loader sees them through
RUNPATH/$ORIGIN and PyInstaller's bootloader). A library that resolves inside
the bundle, or whose soname the bundle ships, is the bundle's own; every other
one is a system library. Of those, the ones a bundled file links directly (its
DT_NEEDED entries, from `readelf -d`) are kept: what they link in turn is their
own package's dependency, as dpkg-shlibdeps has it. `dpkg -S` names the package
that owns each, and the
package is emitted as `name (>= upstream version installed here)`: the build
machine's version is the only one known to work, and the Debian revision is left
out so a point release behind still installs. A library that resolves nowhere
stops the build: the package would not start where the build machine lacks it.

Only the Python standard library is used (the build runs it with any python3).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
# `ldd` lines: "libfoo.so.1 => /path/libfoo.so.1 (0x...)", "libbar.so => not found",
# "/lib64/ld-linux-x86-64.so.2 (0x...)", "linux-vdso.so.1 (0x...)".
LDD_LINE = re.compile(r"^\s*(\S+)(?:\s+=>\s+(not found|\S+))?")


def elf_files(root: Path) -> list[Path]:
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath, name)
            if p.is_symlink() or not p.is_file():
                continue
            with p.open("rb") as f:
                if f.read(4) == ELF_MAGIC:
                    out.append(p)
    return sorted(out)


def ldd(path: Path, env: dict[str, str]) -> list[tuple[str, str | None]]:
    """(soname, resolved path or None when not found) for each needed library."""
    r = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
    if r.returncode != 0:  # "not a dynamic executable" (static ELF, a data file)
        return []
    return parse_ldd(r.stdout)


def parse_ldd(output: str) -> list[tuple[str, str | None]]:
    deps: list[tuple[str, str | None]] = []
    for line in output.splitlines():
        m = LDD_LINE.match(line)
        if not m or line.strip().startswith("statically linked"):
            continue
        name, target = m.group(1), m.group(2)
        if target is None:  # the dynamic loader itself or the vDSO
            if name.startswith("/"):
                deps.append((Path(name).name, name))
            continue
        deps.append((name, None if target == "not found" else target))
    return deps


NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")


def needed(path: Path) -> set[str]:
    """The sonames `path` links directly."""
    r = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True)
    return set(NEEDED.findall(r.stdout))


def owner(path: str) -> str | None:
    """The package that owns `path` (trying the merged-/usr twin and the real path)."""
    candidates = [path, os.path.realpath(path)]
    for c in list(candidates):
        if c.startswith("/usr/"):
            candidates.append(c[4:])
        else:
            candidates.append("/usr" + c)
    for c in dict.fromkeys(candidates):
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if line.startswith("diversion by"):
                continue
            pkgs, _, _file = line.partition(": ")
            if pkgs:
                return pkgs.split(",")[0].strip().split(":")[0]
    return None


def without_revision(version: str) -> str:
    """[epoch:]upstream[-debian_revision] -> [epoch:]upstream."""
    return version.rsplit("-", 1)[0] if "-" in version else version


def upstream_version(pkg: str) -> str:
    r = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, check=True
    )
    return without_revision(r.stdout.strip())


def compute(bundle: Path, verbose: bool = False) -> list[str]:
    bundle = bundle.resolve()
    files = elf_files(bundle)
    if not files:
        raise SystemExit(f"debian_depends: no ELF file under {bundle}")
    shipped = {p.name for p in files} | {p.name for p in bundle.rglob("*.so*") if p.is_symlink()}
    lib_dirs = sorted({str(p.parent) for p in files if ".so" in p.name})
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(lib_dirs))
    system: dict[str, set[str]] = defaultdict(set)  # resolved path -> needed by
    missing: dict[str, set[str]] = defaultdict(set)
    for f in files:
        rel = str(f.relative_to(bundle))
        direct = needed(f)
        for soname, target in ldd(f, env):
            if soname not in direct and not soname.startswith("ld-linux"):
                continue  # a dependency of a dependency
            if target is None:
                if soname not in shipped:
                    missing[soname].add(rel)
                continue
            if Path(target).resolve().is_relative_to(bundle) or soname in shipped:
                continue
            system[target].add(rel)
    if missing:
        lines = [f"  {so} (needed by {', '.join(sorted(by)[:3])})" for so, by in missing.items()]
        raise SystemExit(
            "debian_depends: libraries found neither in the bundle nor on this system:\n"
            + "\n".join(sorted(lines))
        )
    packages: dict[str, set[str]] = defaultdict(set)
    unowned = []
    for lib, by in system.items():
        pkg = owner(lib)
        if pkg is None:
            unowned.append(lib)
            continue
        packages[pkg].add(Path(lib).name)
        if verbose:
            print(f"{pkg:28} {lib}  <- {', '.join(sorted(by)[:2])}", file=sys.stderr)
    if unowned:
        raise SystemExit(
            "debian_depends: system libraries no package owns (installed by hand?): "
            + ", ".join(sorted(unowned))
        )
    return [f"{pkg} (>= {upstream_version(pkg)})" for pkg in sorted(packages)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle", type=Path, help="the one-folder bundle (dist/tokenmgr)")
    ap.add_argument("-v", "--verbose", action="store_true", help="say which library needs what")
    args = ap.parse_args()
    print(", ".join(compute(args.bundle, args.verbose)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
