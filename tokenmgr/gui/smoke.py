"""`tokenmgr gui --smoke-test`: build the whole window over the user's entries, show it,
wait for the list's first paint, and exit 0.

Packaging and CI run it to prove a build can start. Its vault's secret store
refuses and records every call, so it provably reads no secret; it fails if
the window was never painted, if the store was called, or if QtWebEngine (the
sign-in browser, loaded only when a sign-in starts) was imported.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractItemView, QWidget

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.gui.first_paint import FirstPaint

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from tokenmgr.gui.main_window import MainWindow

TIMEOUT_MS = 30_000


class RefusingStore:
    """The smoke test's secret store: any call is recorded and refused."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            self.calls.append(name)
            raise StorageUnavailable("the smoke test reads no secret")

        return refuse


def webengine_loaded() -> list[str]:
    return sorted(m for m in sys.modules if m.startswith("PySide6.QtWebEngine"))


def token_list(window: QWidget, model: object) -> QAbstractItemView | None:
    """The view that shows `model` (directly or through a proxy), among the window's."""
    for view in window.findChildren(QAbstractItemView):
        shown = view.model()
        if shown is model or getattr(shown, "sourceModel", lambda: None)() is model:
            return view
    return None


def run(app: QApplication, window: MainWindow, refusing: RefusingStore) -> int:
    """Show the window, wait for what the user waits for (the list, or the empty state
    when there are no entries) to be painted, then check what the start did."""
    view = token_list(window, window.model)
    rows = window.model.rowCount()
    target = view.viewport() if view is not None and rows else window
    watcher = FirstPaint(target)
    watcher.painted.connect(lambda: app.exit(0))
    QTimer.singleShot(TIMEOUT_MS, lambda: app.exit(1))
    window.show()
    status = int(app.exec())
    if not watcher.seen:
        sys.stderr.write("tokenmgr: the smoke test failed: the window was never painted\n")
        return 1
    if refusing.calls:
        sys.stderr.write(
            f"tokenmgr: the smoke test failed: the window called the secret store "
            f"({', '.join(sorted(set(refusing.calls)))})\n"
        )
        return 1
    loaded = webengine_loaded()
    if loaded:
        sys.stderr.write(f"tokenmgr: the smoke test failed: {loaded[0]} was loaded\n")
        return 1
    if status == 0:
        sys.stderr.write(f"tokenmgr: smoke test passed ({rows} entries)\n")
    return status
