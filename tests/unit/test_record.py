"""The access record (core/record.py): one JSON line per hand-out, 0600, rotated by size,
the process chain from /proc without command lines, read back oldest first; a write
that fails raises RecordFailed (the use-case layer hands the token out anyway)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.cli import CliRunner
from tokenmgr.core import record


def _lines(home: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (home / record.RECORD_NAME).read_text().splitlines()]


def test_one_private_line_per_write(tmp_path: Path) -> None:
    record.write(tmp_path, "gh", "git", host="github.com/acme/app.git", pid=os.getpid())
    record.write(tmp_path, "gh", "get", pid=os.getpid())
    path = tmp_path / record.RECORD_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first, second = _lines(tmp_path)
    assert first["entry"] == "gh" and first["how"] == "git"
    assert first["host"] == "github.com/acme/app.git" and second["host"] is None
    assert first["pid"] == os.getpid()
    chain = first["chain"]
    assert isinstance(chain, list)
    me = chain[0]
    assert me["pid"] == os.getpid() and me["ppid"] == os.getppid()
    assert me["exe"] == os.path.realpath(sys.executable)
    assert me["cwd"] == os.getcwd()
    assert chain[1]["pid"] == os.getppid()
    # Process command lines are never kept (other programs carry secrets there).
    assert "cmdline" not in json.dumps(first) and "pytest" not in json.dumps(first["chain"][0])


def test_a_wider_mode_is_made_private_again(tmp_path: Path) -> None:
    path = tmp_path / record.RECORD_NAME
    path.write_text("")
    path.chmod(0o644)
    record.write(tmp_path, "gh", "get", pid=os.getpid())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rotated_by_size_and_read_back_oldest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record, "MAX_BYTES", 2000)
    for i in range(40):
        record.write(tmp_path, f"e{i}", "get", pid=os.getpid())
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["access.log", "access.log.1", "access.log.2"]
    for p in tmp_path.iterdir():
        assert p.stat().st_size <= 2000 + 1000
    kept = [item["entry"] for item in record.read(tmp_path)]
    # The oldest went with the third rotation; what is kept is in order, the newest last.
    assert kept == [f"e{i}" for i in range(40 - len(kept), 40)]
    assert 3 < len(kept) < 40


def test_filters_by_entry_and_time(tmp_path: Path) -> None:
    path = tmp_path / record.RECORD_NAME
    old = {"time": "2020-01-01T00:00:00Z", "entry": "a", "how": "get", "chain": []}
    path.write_text(json.dumps(old) + "\n")
    record.write(tmp_path, "a", "export", pid=os.getpid())
    record.write(tmp_path, "b", "exec", pid=os.getpid())
    assert [i["how"] for i in record.read(tmp_path, "a")] == ["get", "export"]
    since = datetime.now(UTC) - timedelta(hours=1)
    assert [i["entry"] for i in record.read(tmp_path, since=since)] == ["a", "b"]


def test_a_line_cut_short_by_a_full_disk_loses_only_itself(tmp_path: Path) -> None:
    path = tmp_path / record.RECORD_NAME
    whole = json.dumps({"time": "2026-01-01T00:00:00Z", "entry": "b", "how": "get"})
    path.write_text('{"time": "2026-01-01T00:00:00Z", "entry": "a", "ho' + whole + "\n")
    assert [i["entry"] for i in record.read(tmp_path)] == ["b"]


@pytest.mark.parametrize("kind", ["directory", "symlink"])
def test_a_record_that_cannot_be_written_raises(tmp_path: Path, kind: str) -> None:
    path = tmp_path / record.RECORD_NAME
    if kind == "directory":
        path.mkdir()
    else:
        target = tmp_path / "elsewhere"
        target.write_text("")
        path.symlink_to(target)
    with pytest.raises(record.RecordFailed, match="was not written"):
        record.write(tmp_path, "gh", "get", pid=os.getpid())
    if kind == "symlink":
        assert (tmp_path / "elsewhere").read_text() == ""  # never written through a link


def test_the_requester_skips_shell_wrappers_and_names_scripts(tmp_path: Path) -> None:
    """A script run by bash runs `sh -c` that runs a Python program writing the record:
    the record names bash and the script, the `sh -c` is a wrapper."""
    writer = tmp_path / "writer.py"
    writer.write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
            from tokenmgr.core import record
            from pathlib import Path
            record.write(Path({str(tmp_path)!r}), "gh", "get")
            """
        )
    )
    script = tmp_path / "deploy.sh"
    script.write_text(f'sh -c "{sys.executable} {writer}; true"\n')
    subprocess.run(["bash", str(script)], cwd=tmp_path, check=True, timeout=60)
    (item,) = record.read(tmp_path)
    chain = item["chain"]
    assert chain[0]["name"] in ("sh", "dash") and chain[0]["wrapper"] is True
    top, parent = record.requester(chain)
    assert top is not None and top["name"] == "bash" and top["script"] == "deploy.sh"
    assert item["program"] == "bash"
    assert parent is not None and parent["pid"] == os.getpid()
    said = record.describe(item, home_dir=str(tmp_path.parent))
    assert said.startswith(f"bash deploy.sh (pid {top['pid']}) ← python")
    assert said.endswith(f", ~/{tmp_path.name}")


def test_describe_is_one_printable_line() -> None:
    item = {
        "chain": [{"pid": 7, "name": "evil\x1b[2J\nname", "cwd": "/tmp/x\ny"}],
    }
    said = record.describe(item)
    assert "\n" not in said and "\x1b" not in said


def test_a_part_of_the_record_that_cannot_be_read_is_a_sentence(cli: CliRunner) -> None:
    cli("add", "a", stdin="tok")
    cli("get", "a")
    (Path(cli.vault.home) / "access.log.1").mkdir()
    r = cli("log")
    assert r.status == 1 and "Traceback" not in r.err, r
    assert "cannot read the access record" in r.err and "access.log.1" in r.err
