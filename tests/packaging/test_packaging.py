"""Packaging invariants that need no build: one version, one entry point, and the
`Depends` computation (packaging/debian_depends.py) on small real ELF trees.

The package itself is built and tested by `make package` and
packaging/smoke_test.sh (CI runs both after `make test`), never by `make test`.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

import tokenmgr

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


debian_depends = _load("debian_depends")


def test_version_has_one_source() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "tokenmgr.__version__"}


def test_metainfo_latest_release_is_the_version() -> None:
    # build_deb.sh refuses to build otherwise; say so at `make test` time already.
    root = ET.parse(ROOT / "resources" / "io.github.tokenmgr.metainfo.xml").getroot()
    releases = root.findall("./releases/release")
    assert releases, "the metainfo lists no release"
    assert releases[0].get("version") == tokenmgr.__version__


def test_bundle_runs_the_console_script() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["tokenmgr"] == "tokenmgr.cli:main"
    tree = ast.parse((PACKAGING / "launcher.py").read_text())
    imports = [
        (node.module, [a.name for a in node.names])
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    ]
    assert ("tokenmgr.cli", ["DOCKER_HELPER", "docker_credential", "main"]) in imports


def test_the_docker_helper_is_a_console_script_and_a_link_of_the_bundle() -> None:
    from tokenmgr.cli import DOCKER_HELPER

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"][DOCKER_HELPER] == "tokenmgr.cli:docker_credential"
    build = (PACKAGING / "build_deb.sh").read_text()
    assert f'ln -s /opt/tokenmgr/tokenmgr "$ROOT/usr/bin/{DOCKER_HELPER}"' in build


SANDBOX_SWITCHES = ("QTWEBENGINE_DISABLE_SANDBOX", "--no-sandbox", "QTWEBENGINE_CHROMIUM_FLAGS")


def test_the_sandbox_switch_is_no_part_of_what_ships() -> None:
    # Only the test environments (smoke test, probe, make test) may turn Chromium's
    # sandbox off. What ships never names the switches: it neither sets them nor looks
    # at them (as root, Chromium's own refusal says why the window could not open).
    shipped = [*(ROOT / "tokenmgr").rglob("*.py"), PACKAGING / "launcher.py",
               ROOT / "resources" / "io.github.tokenmgr.desktop"]
    offenders = [f"{p.relative_to(ROOT)}: {switch}" for p in shipped
                 for switch in SANDBOX_SWITCHES if switch in p.read_text()]
    assert offenders == []


def test_parse_ldd() -> None:
    out = (
        "\tlinux-vdso.so.1 (0x00007ffd1a1f2000)\n"
        "\tlibQt6Core.so.6 => /opt/tokenmgr/_internal/libQt6Core.so.6 (0x00007f0000000000)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c2a000000)\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f1c2a3d0000)\n"
    )
    assert debian_depends.parse_ldd(out) == [
        ("libQt6Core.so.6", "/opt/tokenmgr/_internal/libQt6Core.so.6"),
        ("libxcb-cursor.so.0", None),
        ("libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6"),
        ("ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2"),
    ]


@pytest.mark.parametrize(
    ("version", "minimum"),
    [
        ("2.36-9+deb12u10", "2.36"),
        ("1:1.2.13.dfsg-1", "1:1.2.13.dfsg"),
        ("2:1.8.4-2+deb12u2", "2:1.8.4"),
        ("1.0.8-5+b1", "1.0.8"),
        ("3.24.38", "3.24.38"),  # native package: no revision
    ],
)
def test_minimum_versions_leave_the_debian_revision_out(version: str, minimum: str) -> None:
    assert debian_depends.without_revision(version) == minimum


def test_the_build_tools_are_installed_by_make_deps() -> None:
    # The tests below use them; `make deps` installs them (a missing one fails, never skips).
    missing = [t for t in ("dpkg", "ldd", "readelf", "patchelf", "zstd") if not shutil.which(t)]
    assert missing == [], f"missing {missing}: run `make deps`"


def test_depends_of_a_real_elf_tree(tmp_path: Path) -> None:
    # zstd links libz, liblzma, liblz4 and libc directly.
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy("/usr/bin/zstd", bundle / "zstd")
    (bundle / "notes.txt").write_text("not an ELF file")
    names = [d.split(" ")[0] for d in debian_depends.compute(bundle)]
    assert names == sorted(["libc6", "liblz4-1", "liblzma5", "zlib1g"])
    assert all(" (>= " in d for d in debian_depends.compute(bundle))


def test_a_library_the_bundle_ships_is_no_dependency(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "lib").mkdir(parents=True)
    shutil.copy("/usr/bin/zstd", bundle / "zstd")
    found = dict(debian_depends.ldd(Path("/usr/bin/zstd"), dict(os.environ)))
    zlib = Path(found["libz.so.1"] or "")
    shutil.copy(zlib, bundle / "lib" / "libz.so.1")
    names = [d.split(" ")[0] for d in debian_depends.compute(bundle)]
    assert "zlib1g" not in names
    assert "libc6" in names


def test_a_library_found_nowhere_stops_the_build(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    exe = bundle / "zstd"
    shutil.copy("/usr/bin/zstd", exe)
    # Rename its liblz4 need to a soname no system has (same length: patch in place).
    data = exe.read_bytes()
    assert data.count(b"liblz4.so.1\0") == 1
    exe.write_bytes(data.replace(b"liblz4.so.1\0", b"libzz4.so.1\0"))
    with pytest.raises(SystemExit, match="libzz4.so.1"):
        debian_depends.compute(bundle)


runpath = _load("runpath")


def _library_searching(tmp_path: Path, search: str) -> Path:
    """A real shared library (zstd's libzstd, copied) with this RUNPATH."""
    found = dict(debian_depends.ldd(Path("/usr/bin/zstd"), dict(os.environ)))
    lib = tmp_path / "bundle" / "_internal" / "libz.so.1"
    lib.parent.mkdir(parents=True)
    shutil.copy(Path(found["libz.so.1"] or ""), lib)
    import subprocess

    subprocess.run(["patchelf", "--set-rpath", search, str(lib)], check=True)
    return lib


def test_a_build_machine_search_path_is_found_and_dropped(tmp_path: Path) -> None:
    lib = _library_searching(tmp_path, "/home/dev/.pyenv/versions/3.11.7/lib:$ORIGIN/Qt/lib")
    bundle = tmp_path / "bundle"
    assert runpath.offenders(bundle) == {lib: ["/home/dev/.pyenv/versions/3.11.7/lib"]}
    assert runpath.main(["check", str(bundle)]) == 1
    assert runpath.main(["fix", str(bundle)]) == 0
    assert runpath.search_paths(lib) == ["$ORIGIN/Qt/lib"]
    assert runpath.offenders(bundle) == {}


def test_a_path_only_outside_the_bundle_is_removed_whole(tmp_path: Path) -> None:
    lib = _library_searching(tmp_path, "/usr/local/lib")
    assert runpath.main(["fix", str(tmp_path / "bundle")]) == 0
    assert runpath.search_paths(lib) == []


def test_origin_relative_paths_pass(tmp_path: Path) -> None:
    _library_searching(tmp_path, "$ORIGIN:$ORIGIN/../lib")
    assert runpath.main(["check", str(tmp_path / "bundle")]) == 0
