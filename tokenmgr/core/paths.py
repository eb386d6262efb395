"""Where tokenmgr keeps its files: `$TOKENMGR_HOME`, else platformdirs' user data dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def home(env: Mapping[str, str] | None = None) -> Path:
    """The directory that holds the index, the lock, settings and the vault file."""
    env = os.environ if env is None else env
    explicit = env.get("TOKENMGR_HOME")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs  # lazy: only needed when TOKENMGR_HOME is unset

    return Path(platformdirs.user_data_dir("tokenmgr", appauthor=False))


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) with mode 0700; tighten it if it is looser."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix":
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o700)
