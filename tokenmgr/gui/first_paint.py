"""`FirstPaint`: a signal once a widget's first frame is on screen.

Start-up work the first frame does not need (the tray menu of every token)
waits for it, and the smoke test ends on it. An event filter on that one
widget sees its first Paint event; a zero-delay timer from there fires once
the whole frame is drawn.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget


class FirstPaint(QObject):
    """Emits `painted` once, after the first frame that paints `widget` (its child)."""

    painted = Signal()

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.seen = False
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.painted.emit)
        return False
