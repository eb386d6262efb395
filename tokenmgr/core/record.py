"""The access record: who got which token, how, when (`$TOKENMGR_HOME/access.log`).

One JSON object per line, appended by every hand-out (`get`, `export`, `exec`, the
credential helpers, copies from the window and the tray, refreshes): the time, the
entry, how it left, the host a helper was asked for, and the process chain that
asked (pid, executable, parent, working directory, read from /proc on Linux). No
secret is ever written here, nor any process's command line (other programs put
secrets there); only the name of the script an interpreter runs, when it is a file.

The file is 0600 in the private home and rotated by size (`access.log.1`, `.2`). A
write that fails (a full disk, an unwritable file) raises `RecordFailed`; the
use-case layer says so and hands the token out anyway: the record is a witness,
never a gate.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tokenmgr.core.errors import TokenMgrError

RECORD_NAME = "access.log"
MAX_BYTES = 1024 * 1024  # then the file becomes access.log.1
KEEP = 2  # rotated files kept: access.log.1 and access.log.2
MAX_DEPTH = 8  # processes of the chain, from the requester up

# How a token left, as written (the keys) and as `tokenmgr log` says it.
HOW = {
    "get": "get",
    "export": "export",
    "exec": "exec",
    "git": "git credential",
    "kubectl": "kubectl credential",
    "docker": "docker credential",
    "copy": "copy",
    "tray": "tray copy",
    "refresh": "refresh",
}

_SHELLS = frozenset({"sh", "dash", "bash", "zsh", "fish", "ksh", "mksh", "busybox"})
_INTERPRETERS = ("python", "node", "ruby", "perl", "php", "bash", "sh", "zsh", "fish")


# In the desktop app the person asked, through the app itself: the chain starts there.
_asked_here = False


def asked_by_this_process() -> None:
    """Record this process (not its parent) as the one that asks, from now on."""
    global _asked_here
    _asked_here = True


class RecordFailed(TokenMgrError):
    """The record could not be written (the token was handed out all the same)."""


@dataclass
class Proc:
    """One process of a chain, as /proc tells it (fields it would not tell are None)."""

    pid: int
    ppid: int | None
    name: str  # the executable's base name, else the kernel's short name (comm)
    exe: str | None
    cwd: str | None
    script: str | None = None  # for an interpreter running a script file: its base name
    wrapper: bool = False  # `sh -c` or a git helper process standing between

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pid": self.pid, "ppid": self.ppid, "name": self.name}
        out["exe"] = self.exe
        out["cwd"] = self.cwd
        if self.script:
            out["script"] = self.script
        if self.wrapper:
            out["wrapper"] = True
        return out


def _read_proc(pid: int) -> Proc | None:
    base = f"/proc/{pid}"
    try:
        with open(f"{base}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    comm = stat[stat.find("(") + 1 : stat.rfind(")")]
    rest = stat[stat.rfind(")") + 2 :].split()
    ppid = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else None
    exe = _readlink(f"{base}/exe")
    cwd = _readlink(f"{base}/cwd")
    name = os.path.basename(exe).removesuffix(" (deleted)") if exe else comm
    proc = Proc(pid, ppid, name, exe, cwd)
    try:
        with open(f"{base}/cmdline", "rb") as f:
            argv = f.read(4096).split(b"\0")
    except OSError:
        argv = []
    # Read to tell a wrapper or a script's name; never kept (it may hold secrets).
    first = argv[1].decode("utf-8", "replace") if len(argv) > 1 else ""
    base_name = name.rstrip("0123456789.")
    shell_c = base_name in _SHELLS and first.startswith("-") and "c" in first
    git_helper = name.startswith(("git-remote-", "git-credential-")) or (
        name == "git" and first == "credential"
    )
    if shell_c or git_helper:
        proc.wrapper = True
    elif base_name.startswith(_INTERPRETERS) and first and not first.startswith("-"):
        proc.script = _script_name(first, cwd)
    return proc


def _readlink(path: str) -> str | None:
    """The link's target; None where /proc will not say (another user's process)."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def _script_name(arg: str, cwd: str | None) -> str | None:
    """The base name of `arg` if it names an existing file (so it is a script, not data)."""
    if len(arg) > 255 or "\n" in arg:
        return None
    path = arg if os.path.isabs(arg) or cwd is None else os.path.join(cwd, arg)
    try:
        return os.path.basename(arg) if os.path.isfile(path) else None
    except (OSError, ValueError):
        return None


def process_chain(pid: int, depth: int = MAX_DEPTH) -> list[Proc]:
    """`pid` and its ancestors (up to `depth`, stopping before pid 1 and at a process
    /proc will not show). Outside Linux: the pid alone."""
    if not sys.platform.startswith("linux"):
        return [Proc(pid, None, "?", None, None)]
    chain: list[Proc] = []
    while pid > 1 and len(chain) < depth:
        proc = _read_proc(pid)
        if proc is None:
            break
        chain.append(proc)
        if proc.ppid is None:
            break
        pid = proc.ppid
    return chain or [Proc(pid, None, "?", None, None)]


Described = dict[str, Any]


def requester(chain: list[Described]) -> tuple[Described | None, Described | None]:
    """The process that asked (the first that is not a wrapper) and the one above it."""
    real = [p for p in chain if not p.get("wrapper")] or chain
    if not real:
        return None, None
    return real[0], real[1] if len(real) > 1 else None


def _now() -> str:
    from datetime import UTC

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_path(home: Path) -> Path:
    return home / RECORD_NAME


def write(
    home: Path,
    entry: str,
    how: str,
    *,
    host: str | None = None,
    pid: int | None = None,
) -> None:
    """Append one line: `entry` left by `how` (a key of HOW) for `host`, asked by process
    `pid` (default: this process's parent, the program that ran the command, or this
    process after `asked_by_this_process`). Raises RecordFailed when the line could not
    be written whole."""
    if pid is None:
        pid = os.getpid() if _asked_here else os.getppid()
    chain = process_chain(pid)
    top, _ = requester([p.to_json() for p in chain])
    line: dict[str, Any] = {
        "time": _now(),
        "entry": entry,
        "how": how,
        "host": host,
        "program": (top or {}).get("name"),
        "pid": (top or {}).get("pid"),
        "chain": [p.to_json() for p in chain],
    }
    data = (json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
    path = record_path(home)
    try:
        _append(path, data)
    except OSError as e:
        raise RecordFailed(
            f"the access record {path} was not written ({e.strerror or e}); the token was "
            "handed out all the same"
        ) from None


def _open(path: Path) -> int:
    """The record, opened to append: a regular file of ours, never through a link."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return fd


def _append(path: Path, data: bytes) -> None:
    fd = _open(path)
    try:
        if os.fstat(fd).st_size >= MAX_BYTES:
            fd = _rotate(path, fd)
        written = os.write(fd, data)
        if written != len(data):
            # A full disk takes part of a line: end it, so the next line stands alone.
            os.write(fd, b"\n")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    finally:
        os.close(fd)


def _rotate(path: Path, fd: int) -> int:
    """Move the full file aside under a lock on it; whoever waited finds it moved and
    writes to the new file. Returns a descriptor of the file to append to."""
    if os.name == "posix":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        st = os.fstat(fd)
        try:
            same = os.stat(path).st_ino == st.st_ino
        except FileNotFoundError:
            same = False
        if same:
            for n in range(KEEP, 1, -1):
                older = path.with_name(f"{path.name}.{n - 1}")
                if older.exists():
                    os.replace(older, path.with_name(f"{path.name}.{n}"))
            os.replace(path, path.with_name(f"{path.name}.1"))
    finally:
        os.close(fd)  # releases the lock
    return _open(path)


# ------------------------------------------------------------------ reading


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with open(path, "rb") as f:
            raw_lines = f.read().split(b"\n")
    except FileNotFoundError:
        return
    except OSError as e:
        raise TokenMgrError(
            f"cannot read the access record {path}: {e.strerror or e}; move it aside to "
            "start a new one"
        ) from None
    for raw in raw_lines:
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError:
            # A line cut short by a full disk, with a whole line glued after it.
            start = raw.rfind(b'{"time"')
            if start <= 0:
                continue
            try:
                item = json.loads(raw[start:])
            except ValueError:
                continue
        if isinstance(item, dict) and isinstance(item.get("time"), str):
            yield item


def read(
    home: Path,
    name: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The records, oldest first (rotated files too), of entry `name` if given, from
    `since` on if given."""
    from tokenmgr.core.rules import parse_time

    base = record_path(home)
    files = [base.with_name(f"{base.name}.{n}") for n in range(KEEP, 0, -1)] + [base]
    out: list[dict[str, Any]] = []
    for path in files:
        for item in _lines(path):
            if name is not None and item.get("entry") != name:
                continue
            if since is not None:
                try:
                    at = parse_time(item["time"])
                except Exception:
                    continue
                if at is None or at < since:
                    continue
            out.append(item)
    return out


def describe(item: dict[str, Any], home_dir: str | None = None) -> str:
    """`git (pid 4121) ← bash, ~/src/private`: who asked, its parent, where it ran."""
    chain = item.get("chain")
    top, parent = requester(chain if isinstance(chain, list) else [])
    if top is None:
        return "?"
    name = str(top.get("name") or "?")
    if top.get("script"):
        name += f" {top['script']}"
    text = f"{name} (pid {top.get('pid')})"
    if parent is not None:
        text += f" ← {parent.get('name') or '?'}"
    cwd = top.get("cwd")
    if isinstance(cwd, str):
        if home_dir and (cwd == home_dir or cwd.startswith(home_dir.rstrip("/") + "/")):
            cwd = "~" + cwd[len(home_dir.rstrip("/")) :]
        text += f", {cwd}"
    from tokenmgr.core.redact import printable

    return printable(text, 300)
