"""`tokenmgr doctor`: which store is in use and whether it is secure, where the
index is, and what is missing, in words and as JSON."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tokenmgr import __version__
from tokenmgr.core.errors import StorageUnavailable, TokenMgrError

if TYPE_CHECKING:
    from tokenmgr.core.vault import Vault


def _mode(path: Any) -> str | None:
    try:
        return oct(os.stat(path).st_mode & 0o777)
    except OSError:
        return None


def diagnose(vault: Vault, env: Mapping[str, str]) -> dict[str, Any]:
    problems: list[str] = []
    exit_status = 0
    index: dict[str, Any] = {
        "path": str(vault.index.path),
        "exists": vault.index.path.exists(),
        "mode": _mode(vault.index.path),
        "home": str(vault.home),
        "home_mode": _mode(vault.home),
        "entries": None,
        "error": None,
    }
    try:
        index["entries"] = len(vault.index.load_raw())
    except TokenMgrError as e:
        index["error"] = str(e)
        problems.append(str(e))
        exit_status = e.exit_status
    if os.name == "posix":
        if index["mode"] not in (None, "0o600"):
            problems.append(f"the index {index['path']} is mode {index['mode']}; expected 0o600")
        if index["home_mode"] not in (None, "0o700"):
            problems.append(f"{index['home']} is mode {index['home_mode']}; expected 0o700")

    store: dict[str, Any] = {
        "kind": env.get("TOKENMGR_STORE", "keyring") or "keyring",
        "backend": None,
        "secure": None,
        "available": False,
        "error": None,
    }
    try:
        info = vault.store.info()
        store.update(
            kind=info.kind, backend=info.backend, secure=info.secure, location=info.location
        )
        vault.store.probe()  # answers and is unlocked, without reading any token
        store["available"] = True
    except StorageUnavailable as e:
        store["error"] = str(e)
        problems.append(str(e))
        exit_status = exit_status or e.exit_status
    except TokenMgrError as e:
        store["error"] = str(e)
        problems.append(str(e))
        exit_status = exit_status or e.exit_status

    missing: list[str] = []
    if sys.platform.startswith("linux") and store["kind"] == "keyring":
        if not env.get("DBUS_SESSION_BUS_ADDRESS"):
            missing.append(
                "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset): the Secret Service "
                "cannot be reached; log in to a desktop session or use TOKENMGR_STORE=file"
            )
    for m in missing:
        if m not in problems:
            problems.append(m)
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "index": index,
        "store": store,
        "problems": problems,
        "ok": not problems,
        "exit_status": exit_status,
    }


def render_text(report: dict[str, Any]) -> str:
    idx, st = report["index"], report["store"]
    lines = [f"tokenmgr {report['version']} (Python {report['python']}, {report['platform']})"]
    state = "missing (created on first add)" if not idx["exists"] else f"{idx['entries']} entries"
    if idx["error"]:
        state = "UNREADABLE"
    lines.append(f"index:   {idx['path']} — {state}, mode {idx['mode'] or '-'}")
    if st["backend"]:
        secure = "secure" if st["secure"] else "NOT SECURE"
        avail = "answers" if st["available"] else "does NOT answer"
        lines.append(f"store:   {st['kind']}: {st['backend']} — {secure}, {avail}")
    else:
        lines.append(f"store:   {st['kind']}: no backend")
    if report["problems"]:
        lines.append("problems:")
        lines.extend(f"  - {p}" for p in report["problems"])
    else:
        lines.append("all good")
    return "\n".join(lines) + "\n"
