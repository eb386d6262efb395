"""Helpers for the main window's tests: a vault whose store records every call, the
window built over it, and what a test reads off the screen.

`RecordingStore` wraps a real `KeyringStore` over the in-memory keyring and
records each call with whether it ran on the GUI (main) thread, so tests can
prove that drawing reads no secret and that no store call runs on the GUI
thread; `gate` holds every call until the test lets it go. The `make_window`
fixture (tests/gui/conftest.py) builds windows with `build_window`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import demo
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault


@dataclass
class Call:
    method: str
    on_main_thread: bool


class RecordingStore:
    def __init__(self, inner: Any, delay: float = 0.0) -> None:
        self.inner = inner
        self.delay = delay
        self.gate: threading.Event | None = None  # when set: each call waits for it
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append(Call(name, threading.current_thread() is threading.main_thread()))
            if self.delay:
                time.sleep(self.delay)
            if self.gate is not None:
                self.gate.wait()
            return target(*args, **kwargs)

        return call

    def reads(self) -> list[Call]:
        return [c for c in self.calls if c.method in ("get", "probe", "check")]


@dataclass
class Fixture:
    window: Any  # MainWindow
    vault: Vault
    store: RecordingStore
    home: Path
    keyring: MemoryKeyring


def build_window(qtbot: Any, home: Path, *, entries: bool = True, ready: bool = True,
                 delay: float = 0.0, show: bool = True, **kw: Any) -> Fixture:
    """A MainWindow over a recording in-memory keyring (the demo's entries unless
    `entries` is false), its store ready unless `ready` is false."""
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.main_window import MainWindow
    from tokenmgr.gui.settings import Settings, SettingsFile

    keyring = MemoryKeyring()
    store = RecordingStore(KeyringStore(backend=keyring))
    vault = Vault(home=home, store=store)  # type: ignore[arg-type]
    if entries:
        demo.build(vault)
    store.calls.clear()
    store.delay = delay
    kw.setdefault("env", {"SHELL": "/bin/bash"})
    window = MainWindow(vault, kw.pop("settings", Settings()), SettingsFile(home),
                        clipboard=Clipboard(30), **kw)
    qtbot.addWidget(window)
    if ready:
        window.use_vault(vault, "keyring")
    if show:
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return Fixture(window, vault, store, home, keyring)


def clipboard_text() -> str:
    from PySide6.QtGui import QClipboard, QGuiApplication

    return QGuiApplication.clipboard().text(QClipboard.Mode.Clipboard)


def all_text(root: Any) -> str:
    """Every label text, tooltip, accessible name and window title under `root`."""
    from PySide6.QtWidgets import QLabel, QWidget

    parts = []
    for w in [root, *root.findChildren(QWidget)]:
        parts += [w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.windowTitle()]
        if isinstance(w, QLabel):
            parts.append(w.text())
    return "\n".join(parts)


def table_rows(table: Any) -> list[tuple[str, ...]]:
    """The cells of a QTableWidget, row by row."""
    return [
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]
