"""What the desktop app does before Qt, first thing in `gui.app.run`.

1. The display check: without a display Qt's platform plugin aborts the whole
   process with a message about plugins, so this says why in one sentence
   instead (`NoDisplay`), before PySide6 is imported.
2. Automatic garbage collection off, for the app's whole life, handed to one
   `GarbageCollector` on the GUI thread (pyqtgraph's pattern). Python's cyclic
   collector runs in whichever thread happens to allocate when a threshold is
   crossed; a worker thread that collects a cycle holding a QObject deletes it
   (and its timers) from the wrong thread. Off before PySide6 is imported, the
   collector also makes no passes over the objects the imports create.
3. A quicker answer to PySide6's per-import question (`quicker_feature_scan`).
   After every import, PySide6's `__feature__` support asks whether the new
   module mentions "PySide6", by fetching its source through
   `inspect.getsource`, which first maps every loaded module to its file and
   keeps every source it read in `linecache`. Over the app's imports that is a
   measurable share of its start-up time and memory (tests/bench/gui_startup.py
   shows it). The replacement asks the same question of the module's
   .py file directly (or of its loader, for a bundle's bytecode-only modules),
   and hands anything else to PySide6's own check. It replaces a private
   function: where PySide6 has no such function, nothing changes, and tests
   check that both give the same answers, so a PySide6 upgrade that changes
   its meaning fails them.
4. Every message Qt writes goes through one handler that logs it through the
   redaction filter (gui/qtlog.py), from the first Qt call on.

The sign-in window's own process (gui/signin_child.py) starts the same way.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tokenmgr.gui.display import display_problem

if TYPE_CHECKING:
    from PySide6.QtCore import QObject, QTimer


class NoDisplay(Exception):
    """No window can open here; the message says why, as a sentence."""


def init(env: Mapping[str, str]) -> GarbageCollector:
    """Run before PySide6 is imported. Raises NoDisplay; returns the app's collector (not
    started yet: `start` it on the GUI thread once the application exists)."""
    problem = display_problem(env)
    if problem is not None:
        raise NoDisplay(problem)
    collector = GarbageCollector()
    quicker_feature_scan()
    from tokenmgr.gui import qtlog

    qtlog.install()
    return collector


def quicker_feature_scan() -> bool:
    """Put the direct source read in place of PySide6's; True when it is in place.
    Imports PySide6.QtCore (shiboken's support modules load with it)."""
    import PySide6.QtCore  # noqa: F401

    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original):
        return False
    if getattr(original, "direct_read", False):
        return True

    def mod_uses_pyside(module: object) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as source:
                    return b"PySide6" in source.read()
            except OSError:
                pass
        elif isinstance(path, str) and path.endswith(".pyc"):
            # No source beside it (a frozen bundle's modules): where inspect would end
            # up, the module's loader, asked directly; no source means no PySide6.
            get_source = getattr(getattr(module, "__loader__", None), "get_source", None)
            name = getattr(module, "__name__", None)
            if callable(get_source) and isinstance(name, str) and not os.path.exists(path[:-1]):
                try:
                    text = get_source(name)
                except Exception:  # noqa: BLE001 - inspect's answer here: no source
                    return False
                return isinstance(text, str) and "PySide6" in text
        return bool(original(module))

    mod_uses_pyside.direct_read = True  # type: ignore[attr-defined]
    mod_uses_pyside.original = original  # type: ignore[attr-defined]
    setattr(feature, "_mod_uses_pyside", mod_uses_pyside)  # noqa: B010 (not in its stubs)
    return True


class GarbageCollector:
    """Collects cyclic garbage on the GUI thread only.

    Made, it turns automatic collection off. Started, a timer on the GUI thread
    looks at the collector's counts each second and collects the generations
    whose thresholds were crossed, as the automatic collector would have.
    Stopped (the app is done), it collects everything once more, while Qt and
    Python are both still there, and turns automatic collection back on if it
    was on.
    """

    def __init__(self) -> None:
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer: QTimer | None = None

    def start(self, parent: QObject, interval_ms: int = 1000) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer(parent)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        young, middle, old = gc.get_count()
        if young > self._threshold[0]:
            gc.collect(0)
            if middle > self._threshold[1]:
                gc.collect(1)
                if old > self._threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        gc.collect()
        if self._was_enabled:
            gc.enable()
