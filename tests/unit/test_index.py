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
from tokenmgr.core.errors import IndexCorrupted
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


def test_loose_home_is_tightened(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    Index(home).save({})
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


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
    with pytest.raises(OSError):
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
