"""`tokenmgr doctor`: which store is in use and whether it is secure, where the
index is, where this home's keyring items are and how they travel, and what is
missing, in words and as JSON."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tokenmgr import __version__
from tokenmgr.core.errors import TokenMgrError

if TYPE_CHECKING:
    from tokenmgr.core.vault import Vault


def _mode(path: Any) -> str | None:
    try:
        return oct(os.stat(path).st_mode & 0o777)
    except OSError:
        return None


def _old_layout(vault: Vault, problems: list[str]) -> dict[str, Any] | None:
    """What is left of the keyring layout all homes used to share, for this home."""
    from tokenmgr.core.stores import namespace
    from tokenmgr.core.stores.chunked import ChunkedStore
    from tokenmgr.core.stores.keyring_store import KeyringStore

    store: Any = vault.store
    while isinstance(store, ChunkedStore):
        store = store.inner
    if not isinstance(store, KeyringStore) or store.home is None:
        return None
    marker = namespace.read_marker(store.home) or {}
    left = [str(u) for u in marker.get("left", [])]
    only_old = namespace.only_in_old_layout(store, store.home)
    old = namespace.LEGACY_SERVICE
    if left:
        problems.append(
            f"{len(left)} item(s) of the old shared keyring layout (service {old!r}) were "
            f"not moved into this home's namespace, which holds another value for them: "
            f"{', '.join(left)}. Compare the two (secret-tool lookup service {old} username "
            "NAME/FIELD) and delete the one that is not this home's"
        )
    if only_old:
        problems.append(
            f"{len(only_old)} value(s) this home lists are only in the old shared keyring "
            f"layout (service {old!r}), where another home may have written them: "
            f"{', '.join(only_old)}. If one is this home's, store it again, e.g. "
            f"`keyring get {old} NAME/access | tokenmgr add NAME --force`"
        )
    return {"moved": marker.get("moved", 0), "left": left, "only_in_old_layout": only_old}


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
        "namespace": None,
        "session": None,
    }
    try:
        info = vault.store.info()
        store.update(
            kind=info.kind,
            backend=info.backend,
            secure=info.secure,
            location=info.location,
            namespace=info.namespace,
        )
        # Answers and is unlocked (and, on the Secret Service, opens an encrypted session),
        # without reading any token.
        vault.store.probe()
        store["available"] = True
    except TokenMgrError as e:
        store["error"] = str(e)
        problems.append(str(e))
        exit_status = exit_status or e.exit_status
    with contextlib.suppress(TokenMgrError):
        store["session"] = vault.store.info().session  # known once the probe opened one
    if store["available"] and index["error"] is None:
        store["old_layout"] = _old_layout(vault, problems)

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
    if st.get("namespace"):
        service = shlex.quote(st["namespace"])
        lines.append(f"items:   service {st['namespace']}, username NAME/FIELD")
        lines.append(f"         e.g. secret-tool lookup service {service} username NAME/access")
        lines.append(f"              keyring get {service} NAME/access")
    if st.get("session") == "plain":
        lines.append("session: plain — REFUSED (secrets would cross D-Bus unencrypted)")
    elif st.get("session"):
        lines.append(f"session: {st['session']} (encrypted)")
    if report["problems"]:
        lines.append("problems:")
        lines.extend(f"  - {p}" for p in report["problems"])
    else:
        lines.append("all good")
    return "\n".join(lines) + "\n"
