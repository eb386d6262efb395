"""Small widgets the details pane's sections share: a section's title ("USED BY  git,
kubectl and docker…"), the rule between sections, and a plain-text label for what
an index, a record or a server says (never rich text: a name like "<h1>x" stays text).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget


def plain_label(name: str) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # record text is never rich text
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAccessibleName(name)
    return label


def section_label(title: str, subtitle: str) -> QWidget:
    """TITLE in bold, then the subtitle in the body font."""
    box = QWidget()
    box.setAccessibleName(f"{title}: {subtitle}")
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    head = QLabel(title.upper())
    font = head.font()
    font.setBold(True)
    head.setFont(font)
    sub = QLabel(subtitle)
    sub.setWordWrap(True)
    row.addWidget(head)
    row.addSpacing(8)
    row.addWidget(sub, 1)
    return box


def hline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
