"""The device sign-in window (RFC 8628): the user code, large and copyable; the
verification URL with an Open button; a countdown to the code's expiry; the
polling state; Cancel.

The core's `device_flow` calls `announce(DeviceAuthorization)` on the sign-in
worker's thread and then polls; `DeviceAnnouncer` opens this window on the GUI
thread. Cancel sets the sign-in's cancel event, which ends the polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.redact import printable
from tokenmgr.gui.bridge import DialogBridge

if TYPE_CHECKING:
    from tokenmgr.core.oauth.flows import DeviceAuthorization


def _mmss(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _open_in_browser(url: str) -> None:
    from tokenmgr.gui.browser import open_url

    open_url(url)


class DeviceDialog(QDialog):
    def __init__(
        self,
        user_code: str,
        verification_uri: str,
        expires_in: float,
        cancel: threading.Event,
        *,
        complete_uri: str = "",
        provider: str = "",
        open_url: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._cancel = cancel
        self._closing_ok = False
        self._clock = clock
        self._deadline = clock() + expires_in
        # "Open" takes the URL with the code filled in when the server offers one.
        self._url = complete_uri or verification_uri
        self._open = open_url or _open_in_browser
        self.setWindowTitle(f"Sign in to {provider}" if provider else "Sign in on another device")
        self.setMinimumWidth(440)

        intro = QLabel("Open the page below on any device, sign in, and enter this code:", self)
        intro.setWordWrap(True)
        # The code, the address and the states come from the server: shown as text, never
        # as the rich text a QLabel guesses from their look.
        self.code_label = QLabel(printable(user_code, 100), self)
        self.code_label.setTextFormat(Qt.TextFormat.PlainText)
        font = QFont(self.code_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.4)
        font.setBold(True)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setAccessibleName("User code")
        self.copy_button = QPushButton("Copy code", self)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self._code = user_code

        self.url_label = QLabel(printable(verification_uri, 200), self)
        self.url_label.setTextFormat(Qt.TextFormat.PlainText)
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setWordWrap(True)
        self.open_button = QPushButton("Open", self)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_label, 1)
        url_row.addWidget(self.open_button)
        code_row = QHBoxLayout()
        code_row.addWidget(self.code_label, 1)
        code_row.addWidget(self.copy_button)

        self.state_label = QLabel("Waiting for you to sign in…", self)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setWordWrap(True)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate: polling
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.expiry_label = QLabel(self)

        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.expiry_label, 1)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(url_row)
        layout.addLayout(code_row)
        layout.addWidget(self.state_label)
        layout.addWidget(self.busy)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()
        self._on_timer_timeout()

    def seconds_left(self) -> float:
        return max(0.0, self._deadline - self._clock())

    @Slot()
    def _on_timer_timeout(self) -> None:
        left = self.seconds_left()
        if left <= 0:
            self.timer.stop()
            self.busy.setRange(0, 1)
            self.state_label.setText("The code has expired. Cancel and start the sign-in again.")
            self.expiry_label.setText("Code expired")
            return
        self.expiry_label.setText(f"The code expires in {_mmss(left)}")

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        # A user code is no secret (it is typed on another device), so a plain copy.
        QGuiApplication.clipboard().setText(self._code)
        self.copy_button.setText("Copied")

    @Slot()
    def _on_open_button_clicked(self) -> None:
        self._open(self._url)

    def set_state(self, text: str) -> None:
        self.state_label.setText(text)

    def finish(self) -> None:
        self._closing_ok = True
        self.accept()

    def done(self, result: int) -> None:
        self.timer.stop()
        if not self._closing_ok:
            self._cancel.set()
        super().done(result)


class DeviceAnnouncer(DialogBridge):
    """`announce` for `sign_in` in the GUI: called on the worker thread, opens the window."""

    _announced = Signal(str, str, str, float)

    def __init__(self, cancel: threading.Event, **kwargs: Any) -> None:
        super().__init__(cancel, **kwargs)
        self._announced.connect(self._on_announced)

    def __call__(self, dev: DeviceAuthorization) -> None:
        complete = dev.verification_uri_complete or ""
        self._announced.emit(dev.user_code, dev.verification_uri, complete, float(dev.expires_in))

    @Slot(str, str, str, float)
    def _on_announced(self, user_code: str, uri: str, complete: str, expires_in: float) -> None:
        self.show_dialog(
            lambda: DeviceDialog(
                user_code,
                uri,
                expires_in,
                self.cancel,
                complete_uri=complete,
                provider=self.provider,
                open_url=self.open_url,
                parent=self.parent_widget,
            )
        )
