"""Fixtures for the main-window tests: a vault whose store records every call.

`RecordingStore` wraps a real `KeyringStore` over the in-memory keyring and
records each call with whether it ran on the GUI (main) thread, so tests can
prove that drawing reads no secret and that no store call runs on the GUI
thread. `delay` makes each call slow, to show the window stays responsive.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.gui import demo
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.secrets import KeyringStore
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
    window: Any
    vault: Vault
    store: RecordingStore
    home: Path
    keyring: MemoryKeyring


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Fixture]]:
    made: list[Any] = []

    def make(*, entries: bool = True, ready: bool = True, delay: float = 0.0,
             show: bool = True) -> Fixture:
        from tokenmgr.gui.clipboard import Clipboard
        from tokenmgr.gui.main_window import MainWindow
        from tokenmgr.gui.settings import Settings, SettingsFile

        home = tmp_path / "home"
        keyring = MemoryKeyring()
        store = RecordingStore(KeyringStore(backend=keyring))
        vault = Vault(home=home, store=store)  # type: ignore[arg-type]
        if entries:
            demo.build(vault)
        store.calls.clear()
        store.delay = delay
        window = MainWindow(vault, Settings(), SettingsFile(home), clipboard=Clipboard(30),
                            env={"SHELL": "/bin/bash"})
        qtbot.addWidget(window)
        made.append(window)
        if ready:
            window.use_vault(vault, "keyring")
        if show:
            window.show()
            qtbot.waitExposed(window)
            window.activateWindow()
            qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        return Fixture(window, vault, store, home, keyring)

    yield make
    for w in made:
        w.tasks.wait(10_000)
        w.ticker.stop()
    made.clear()
    # Collect this test's Qt garbage now, on the GUI thread: left to chance, the cyclic
    # GC may run in the next test's worker thread and delete QObjects (with live timers)
    # from the wrong thread.
    import gc

    gc.collect()
