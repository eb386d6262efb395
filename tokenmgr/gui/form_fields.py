"""What the dialogs' forms share: an inline error under a field (the error colour, hidden
while empty), a field checked with one of the CLI's rules (`core.rules.validate_*`, the
error under it), a form label whose mnemonic focuses its field, the hosts field (what
an entry serves to git, kubectl and docker) and the check URL, each with its rule, and
a message label that a form row never cuts (`WrappedMessage`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from tokenmgr.core.errors import TokenMgrError
from tokenmgr.gui import style
from tokenmgr.gui.errors import sentence


def hosts_field() -> tuple[QLineEdit, QLabel]:
    """The hosts an entry serves to git, kubectl and docker, and the error under it."""
    edit = QLineEdit()
    edit.setAccessibleName("Hosts it serves to git, kubectl and docker")
    edit.setPlaceholderText("for git, kubectl, docker: e.g. github.com, github.com/acme")
    edit.setToolTip(
        "host[:port][/path-prefix], comma-separated, no https://. git, kubectl and docker "
        "get this token for these hosts only (the longest path prefix wins)."
    )
    return edit, error_label()


def hosts_given(text: str) -> list[str]:
    """The hosts typed (commas or spaces between them), in their canonical spelling."""
    from tokenmgr.core.hosts import normalize

    return normalize(h for h in re.split(r"[,\s]+", text) if h)


def check_hosts(edit: QLineEdit, label: QLabel) -> bool:
    """Check the hosts field with the CLI's rule; the error goes under it."""
    try:
        hosts_given(edit.text())
    except TokenMgrError as e:
        set_error(label, sentence(str(e)))
        return False
    set_error(label, "")
    return True


def error_label() -> QLabel:
    """An inline error under a field: the error colour, hidden while empty."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # errors may quote the input or a server
    label.setWordWrap(True)
    pal = label.palette()
    pal.setColor(label.foregroundRole(), style.error_color())
    label.setPalette(pal)
    label.setVisible(False)
    return label


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def check_field(label: QLabel, rule: Callable[[str], str], value: str, *, required: bool) -> bool:
    """Run one of core's validate_* rules on a field's value; the error goes under it."""
    err = ""
    if value or required:
        try:
            rule(value)
        except TokenMgrError as e:
            err = sentence(str(e))
    set_error(label, err)
    return not err


def valid_check_url(url: str) -> str:
    """The CLI's rule for `--check-url`: https, plain http only to a loopback address."""
    from tokenmgr.core.oauth.http import check_url

    return check_url(url, "The check URL")


def buddy(text: str, widget: QWidget) -> QLabel:
    """A form label whose &-mnemonic focuses `widget` (Alt+N: the name field)."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


class WrappedMessage(QLabel):
    """A message (some from servers): plain text, wrapped, and never cut. The form gives a
    row no more than the height it asked for at another width; the label asks for the
    height its lines take at its own width, as a minimum, whenever either changes."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self.isVisible():
            return  # its width is not its own yet: asked again when it shows
        want = 0
        if self.text():
            margins = self.contentsMargins()
            width = max(self.width() - margins.left() - margins.right(), 1)
            lines = self.fontMetrics().boundingRect(
                QRect(0, 0, width, 0), Qt.TextFlag.TextWordWrap, self.text()
            )
            want = lines.height() + margins.top() + margins.bottom()
        if want != self.minimumHeight():
            self.setMinimumHeight(want)


def message_label(parent: QWidget) -> QLabel:
    """A label for messages: plain text, wrapped, never cut."""
    return WrappedMessage(parent)


def message_error_label(parent: QWidget) -> QLabel:
    """An error message under a field: the error colour, wrapped, never cut, hidden while
    empty."""
    label = message_label(parent)
    label.setVisible(False)
    pal = label.palette()
    pal.setColor(label.foregroundRole(), style.error_color())
    label.setPalette(pal)
    return label
