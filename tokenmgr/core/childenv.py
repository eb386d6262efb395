"""The environment a child process gets: the one the user started tokenmgr with.

A pip install changes nothing in the environment. The frozen bundle does: its
bootloader points `LD_LIBRARY_PATH` at the bundle's own libraries (keeping the
user's value in `LD_LIBRARY_PATH_ORIG`) and adds `_PYI_*` bookkeeping, and the
runtime hooks set `QT_PLUGIN_PATH`, `QML2_IMPORT_PATH` and, through shiboken,
`PYSIDE6_*`. The app needs them; a program it starts (the command of `tokenmgr
exec`, the system browser) must not load the bundle's libraries and plugins
instead of its own. So the bundle records the environment twice — first thing
(`remember_start`, from a runtime hook that runs before the others) and once
the hooks are done (`remember_bundle`, from the launcher) — and `for_children`
gives back the user's value of every variable the bundle set, wherever it still
holds the bundle's value. What the app changes on purpose later (the vault
passphrase taken out of the environment) stays changed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# The user's environment as the bundle started (the bootloader's changes undone).
_user: dict[str, str] | None = None
# What the bootloader and the runtime hooks set: name → the value they set.
_bundle: dict[str, str] = {}


def remember_start(environ: Mapping[str, str] | None = None) -> None:
    """In the frozen bundle, before any runtime hook: what the user started it with."""
    global _user
    user = dict(os.environ if environ is None else environ)
    for name in [n for n in user if n.startswith("_PYI_")]:
        del user[name]
    original = user.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        user.pop("LD_LIBRARY_PATH", None)
    else:
        user["LD_LIBRARY_PATH"] = original
    _user = user


def remember_bundle(environ: Mapping[str, str] | None = None) -> None:
    """In the frozen bundle, once the runtime hooks ran: what the bundle set."""
    global _bundle
    if _user is None:
        return
    current = os.environ if environ is None else environ
    _bundle = {name: value for name, value in current.items() if _user.get(name) != value}


def for_children(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (default os.environ) with every variable the bundle set given back its
    user value (or removed); unchanged outside the frozen bundle."""
    env = dict(os.environ if environ is None else environ)
    if _user is None:
        return env
    for name, value in _bundle.items():
        if env.get(name) != value:
            continue  # changed since: not the bundle's any more
        if name in _user:
            env[name] = _user[name]
        else:
            del env[name]
    return env


def reset() -> None:
    """Forget what was remembered (tests)."""
    global _user, _bundle
    _user, _bundle = None, {}
