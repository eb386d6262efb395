"""The real app's window on whatever display the environment names, measured from inside.

    python -m tests.support.window_harness [ENTRY]

Starts the app as `tokenmgr gui` does (`gui.app.start`, no single instance), with the
vault of TOKENMGR_HOME / TOKENMGR_STORE and the passphrase in TOKENMGR_PASSPHRASE;
once the window is painted, the store is open and the window manager has framed it,
selects ENTRY (if given) and prints one JSON object (no token, ever):

    {"screen": [x, y, w, h], "frame": [...], "window": [...], "welcome": bool,
     "details": {"viewport": [...], "needs": [w, h], "vscroll": bool},
     "buttons": {"Verify": [x, y, w, h], ...}}     global rectangles of what is shown

then quits.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from PySide6.QtCore import QRect, QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea

from tokenmgr.gui import app as gui_app


def rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def measure(window: Any, entry: str | None) -> dict[str, Any]:
    if entry:
        window.select(entry)
    QApplication.processEvents()
    details = window.details
    scroll = details.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    buttons = {}
    for b in window.findChildren(QAbstractButton):
        if b.isVisible() and b.text() and window.pages.body.isAncestorOf(b):
            top_left = b.mapToGlobal(b.rect().topLeft())
            buttons[b.text()] = [top_left.x(), top_left.y(), b.width(), b.height()]
    return {
        "screen": rect(window.screen().availableGeometry()),
        "frame": rect(window.frameGeometry()),
        "window": rect(window.geometry()),
        "welcome": window.welcome.isVisible(),
        "details": {
            "viewport": [scroll.viewport().width(), scroll.viewport().height()],
            "needs": [details.minimumSizeHint().width(), details.sizeHint().height()],
            "vscroll": scroll.verticalScrollBar().isVisible(),
        },
        "buttons": buttons,
    }


def main() -> int:
    entry = sys.argv[1] if len(sys.argv) > 1 else None
    running = gui_app.start(env=os.environ, passphrase=os.environ.get("TOKENMGR_PASSPHRASE"),
                            single_instance=False)
    assert not isinstance(running, int)
    window = running.window

    def report() -> None:
        # The frame (the window manager's decoration) is known once it reparented us.
        if not window.store_ready or window.frameGeometry() == window.geometry():
            QTimer.singleShot(100, report)
            return
        print(json.dumps(measure(window, entry)), flush=True)
        window.quit_app()

    QTimer.singleShot(500, report)
    return running.app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
