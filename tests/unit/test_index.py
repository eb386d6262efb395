"""The index file: atomic, private, locked, schema-checked, never clobbered when bad."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import IndexCorrupted, IndexWriteFailed, UnsafeHome
from tokenmgr.core.index import SCHEMA, Index


def test_save_is_private_and_versioned(tmp_path: Path) -> None:
    home = tmp_path / "h"
    idx = Index(home)
    idx.save({"a": Entry(name="a")})
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(idx.path).st_mode) == 0o600
    doc = json.loads(idx.path.read_text())
    assert doc["schema"] == SCHEMA
    assert [e["name"] for e in doc["entries"]] == ["a"]
    # no temp files left behind
    assert sorted(p.name for p in home.iterdir()) == ["entries.json"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_home_is_made_0700_whatever_the_umask(tmp_path: Path) -> None:
    home = tmp_path / "a" / "h"
    old = os.umask(0o022)
    try:
        Index(home).save({})
    finally:
        os.umask(old)
    assert _mode(home) == 0o700


def test_existing_private_enough_home_is_used_and_never_chmodded(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    os.chmod(home, 0o755)  # readable by others, writable only by us: accepted as it is
    Index(home).save({"a": Entry(name="a")})
    assert _mode(home) == 0o755
    assert _mode(home / "entries.json") == 0o600


@pytest.mark.parametrize(
    ("mode", "who"), [(0o777, "everyone"), (0o1777, "everyone"), (0o770, "its group")]
)
def test_writable_by_others_home_is_refused_and_left_alone(
    tmp_path: Path, mode: int, who: str
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    os.chmod(home, mode)
    idx = Index(home)
    for call in (lambda: idx.save({}), idx.load, idx.load_raw, lambda: idx.lock().__enter__()):
        with pytest.raises(UnsafeHome) as e:
            call()
        msg = str(e.value)
        assert str(home) in msg and f"writable by {who}" in msg
        assert f"chmod 700 {home}" in msg and "TOKENMGR_HOME" in msg  # how to fix it
        assert UnsafeHome.exit_status == 1
    assert _mode(home) == mode  # never chmodded
    assert list(home.iterdir()) == []  # nothing written


def _owned_by_someone_else(path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Give `path` to uid 65534 (we run as root in CI); elsewhere, be another uid."""
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
        return 65534
    from tokenmgr.core import paths

    monkeypatch.setattr(paths.os, "getuid", lambda: os.stat(path).st_uid + 1)
    return os.stat(path).st_uid


def test_home_owned_by_another_user_is_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "h"
    home.mkdir(mode=0o700)
    owner = _owned_by_someone_else(home, monkeypatch)
    before = os.stat(home)
    idx = Index(home)
    for call in (lambda: idx.save({}), idx.load, lambda: idx.lock().__enter__()):
        with pytest.raises(UnsafeHome) as e:
            call()
        msg = str(e.value)
        assert str(home) in msg and f"belongs to another user (uid {owner}" in msg
        assert "TOKENMGR_HOME" in msg
    after = os.stat(home)
    assert (after.st_mode, after.st_uid, after.st_gid) == (
        before.st_mode,
        before.st_uid,
        before.st_gid,
    )
    assert list(home.iterdir()) == []


def test_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.write_text("not a directory")
    with pytest.raises(UnsafeHome, match="not a directory"):
        Index(home).save({})
    assert home.read_text() == "not a directory"


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        b'{"entries": []}',
        b'{"schema": 1, "entries": [{"x": 1}]}',
        b"\xff\xfe",
        b'{"schema": 1, "entries": [{"name": "a", "expires_at": "soon"}]}',
    ],
)
def test_corrupted_index_is_named_and_kept(tmp_path: Path, content: bytes) -> None:
    idx = Index(tmp_path)
    idx.path.write_bytes(content)
    with pytest.raises(IndexCorrupted) as e:
        idx.load()
    assert str(idx.path) in str(e.value)
    assert idx.path.read_bytes() == content


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    idx = Index(tmp_path)
    idx.path.write_text(json.dumps({"schema": SCHEMA + 1, "entries": []}))
    with pytest.raises(IndexCorrupted, match="newer tokenmgr"):
        idx.load()


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = Index(tmp_path)
    idx.save({"a": Entry(name="a")})
    before = idx.path.read_bytes()

    def boom(*a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(IndexWriteFailed, match="cannot write the index.*No space left"):
        idx.save({"b": Entry(name="b")})
    assert idx.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entries.json"]


LOCK_WORKER = r"""
import sys
from pathlib import Path
from tokenmgr.core.entries import Entry
from tokenmgr.core.index import Index
idx = Index(Path(sys.argv[1]))
for i in range(20):
    with idx.lock():
        entries = idx.load()
        name = f"{sys.argv[2]}-{i}"
        entries[name] = Entry(name=name)
        idx.save(entries)
"""


def test_lock_serialises_writers(tmp_path: Path) -> None:
    """Four processes doing read-modify-write: no update may be lost."""
    procs = [
        subprocess.Popen([sys.executable, "-c", LOCK_WORKER, str(tmp_path), f"w{n}"])
        for n in range(4)
    ]
    assert all(p.wait(60) == 0 for p in procs)
    assert len(Index(tmp_path).load()) == 80
