"""Where tokenmgr keeps its files (`$TOKENMGR_HOME`, else platformdirs' user data dir),
and how it replaces one (`replace_file`).

An existing directory is used only if it is ours and nobody else may write to it;
it is never chmodded (it may be `/tmp`, `$HOME` or a directory others use too).
Only a directory tokenmgr creates itself is made, with mode 0700.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from tokenmgr.core.errors import UnsafeHome


def home(env: Mapping[str, str] | None = None) -> Path:
    """The directory that holds the index, the lock, settings and the vault file."""
    env = os.environ if env is None else env
    explicit = env.get("TOKENMGR_HOME")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs  # lazy: only needed when TOKENMGR_HOME is unset

    return Path(platformdirs.user_data_dir("tokenmgr", appauthor=False))


def check_private_dir(path: Path) -> None:
    """Refuse an existing `path` that is not a directory we own that only we can write.

    A missing `path` passes (it will be created private). Nothing is changed either way.
    """
    if os.name != "posix":
        return  # POSIX owners and modes only; Windows profile folders are per-user ACLs
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise UnsafeHome(
            f"cannot use {path}: {e.strerror}. Point TOKENMGR_HOME at a directory you own"
        ) from None
    fix = (
        "Point TOKENMGR_HOME at a private directory (tokenmgr creates a missing one "
        "with mode 0700), or fix this one yourself"
    )
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeHome(f"{path} is not a directory; tokenmgr left it as it is. {fix}.")
    uid = os.getuid()
    if st.st_uid != uid:
        raise UnsafeHome(
            f"{path} belongs to another user (uid {st.st_uid}; you are uid {uid}): they could "
            f"read or replace tokenmgr's files there, so tokenmgr will not use it and left it "
            f"as it is. {fix} (chown {uid} {path})."
        )
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o022:
        who = "everyone" if mode & 0o002 else "its group"
        raise UnsafeHome(
            f"{path} is writable by {who} (mode {mode:04o}): others could replace tokenmgr's "
            f"files there, so tokenmgr will not use it and left its mode as it is. "
            f"{fix} (chmod 700 {path})."
        )


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700, or check that the existing one is safe.

    An existing directory is never chmodded: one that another user owns, or that group
    or others may write to, is refused with UnsafeHome.
    """
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        check_private_dir(path)
        return
    if os.name == "posix":
        os.chmod(path, 0o700)  # ours, just made: 0700 whatever the umask


def replace_file(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never half.

    Written to a temporary file beside it (with `mode` from its creation, so a secret
    is never readable by others even briefly), flushed to disk, renamed over `path`,
    then the directory flushed so the rename survives a crash. The directory itself is
    not touched."""
    import tempfile  # writes only: it imports shutil, random and more, which reads never need

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if os.name == "posix":
                os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
