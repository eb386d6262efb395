"""The app's settings: `$TOKENMGR_HOME/settings.json`, beside the index.

Written like the index (temp file + fsync + `os.replace`, mode 0600). Unknown
keys are kept, so a newer version's settings survive an older one. Nothing
secret is ever stored here: the store *choice* is, its passphrase never is.

Also the XDG autostart entry behind "Start at login".
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from tokenmgr.core.index import atomic_write
from tokenmgr.core.paths import replace_file

log = logging.getLogger("tokenmgr.gui.settings")

SETTINGS_NAME = "settings.json"
AUTOSTART_NAME = "tokenmgr.desktop"
COPY_FORMATS = ("header", "raw", "env", "dotenv", "curl")
STORES = ("keyring", "file")


@dataclass
class Settings:
    clear_timeout_s: int = 30
    # "" means: from $SHELL, like the CLI (core.formats.default_shell).
    default_shell: str = ""
    notify_lead_min: int = 10
    lock_idle_min: int = 0  # lock the vault file after this long without input; 0: never
    # Ask each token's provider about it once a day (core/probe), minding the desktop's
    # offline and metered states.
    check_providers: bool = True
    start_minimized: bool = False
    start_at_login: bool = False
    # "" until the user (or the first-run screen) chose; then "keyring" or "file".
    store: str = ""
    copy_format: str = "header"
    window_geometry: str = ""  # base64 of QWidget.saveGeometry()
    splitter_state: str = ""  # base64 of QSplitter.saveState()
    tray_note_shown: bool = False
    env_dir: str = ""  # the folder of the last .env file imported or exported
    # What the last "Sign in to a provider" used (provider, issuer, its values, client
    # id): the dialog starts from it. Nothing secret.
    last_sign_in: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        s = cls()
        names = {f.name for f in fields(cls)} - {"extra"}
        for key, value in data.items():
            if key in names:
                default = getattr(s, key)
                # A hand-edited file with a wrong type falls back to the default.
                if isinstance(default, bool):
                    ok = isinstance(value, bool)
                elif isinstance(default, int):
                    ok = isinstance(value, int) and not isinstance(value, bool)
                else:
                    ok = isinstance(value, type(default))
                if ok:
                    setattr(s, key, value)
            else:
                s.extra[key] = value
        s.clear_timeout_s = max(5, min(s.clear_timeout_s, 3600))
        s.notify_lead_min = max(0, min(s.notify_lead_min, 24 * 60))
        s.lock_idle_min = max(0, min(s.lock_idle_min, 24 * 60))
        if s.store not in STORES:
            s.store = ""
        if s.copy_format not in COPY_FORMATS:
            s.copy_format = "header"
        return s

    def lead(self) -> timedelta:
        """"Warn before a token expires": where the expiring rule starts (the list, the
        tray, the notifications; `core.entries.warning_points`)."""
        return timedelta(minutes=self.notify_lead_min)

    def shell(self, env: Mapping[str, str]) -> str:
        """The shell env lines are written for: the chosen one, else the user's ($SHELL,
        like the CLI)."""
        if self.default_shell:
            return self.default_shell
        from tokenmgr.core.formats import default_shell

        return default_shell(env, sys.platform)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.extra)
        for f in fields(self):
            if f.name != "extra":
                out[f.name] = getattr(self, f.name)
        return out


class SettingsFile:
    """Load and save the settings of one TOKENMGR_HOME."""

    def __init__(self, home: Path) -> None:
        self.path = home / SETTINGS_NAME

    def load(self) -> Settings:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except OSError as e:
            log.warning("cannot read the settings %s: %s; using defaults", self.path, e.strerror)
            return Settings()
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            log.warning("the settings %s are not valid JSON; using defaults", self.path)
            return Settings()
        return Settings.from_dict(data if isinstance(data, dict) else {})

    def save(self, settings: Settings) -> None:
        data = json.dumps(settings.to_dict(), indent=1, sort_keys=True).encode() + b"\n"
        atomic_write(self.path, data)


# ------------------------------------------------------------------ autostart


def autostart_path(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/autostart/tokenmgr.desktop` (default `~/.config`)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "autostart" / AUTOSTART_NAME


def _exec_line() -> str:
    """The command the session starts: our own `tokenmgr` script when we can find it."""
    import shutil

    exe = shutil.which("tokenmgr", path=str(Path(sys.executable).parent)) or shutil.which(
        "tokenmgr"
    )
    if not exe:
        return "tokenmgr gui --minimized"
    return f"{exec_argument(exe)} gui --minimized"


# Characters that make an Exec argument need quoting (Desktop Entry Specification).
_RESERVED = frozenset(' \t\n"\'\\><~|&;$*?#()`')


def exec_argument(arg: str) -> str:
    """`arg` as one argument of a Desktop Entry `Exec` value: `%` doubled (it starts a
    field code), quoted in double quotes with `" ` $ \\` escaped when it holds a reserved
    character, then every backslash doubled for the value's own string escaping."""
    arg = arg.replace("%", "%%")
    if any(c in _RESERVED for c in arg):
        arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return arg.replace("\\", "\\\\")


def autostart_entry() -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Token Manager\n"
        "Comment=Keep API tokens in the keyring and copy them ready to use\n"
        f"Exec={_exec_line()}\n"
        "Icon=io.github.tokenmgr\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def set_autostart(enabled: bool, env: Mapping[str, str] | None = None) -> Path:
    """Write or remove the autostart entry; returns its path."""
    path = autostart_path(env)
    if enabled:
        # Not atomic_write: that would tighten ~/.config/autostart to 0700.
        path.parent.mkdir(parents=True, exist_ok=True)
        # A desktop file, not a secret.
        replace_file(path, autostart_entry().encode("utf-8"), mode=0o644)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return path
