"""The details pane's "Used by" section: the hosts an entry serves to git, kubectl and
docker, a host's refusal of its token, buttons that copy each tool's set-up
(`setup_copy_requested`), and what the access record says of it (`set_usage`): when
it was last used, and by whom.
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from tokenmgr.core.redact import printable
from tokenmgr.gui import style
from tokenmgr.gui.pane_widgets import hline, plain_label, section_label
from tokenmgr.gui.timewords import relative

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry

HELPERS_TITLE = "Used by"
HELPERS_SUBTITLE = "git, kubectl and docker, for the hosts it serves"
NO_HOSTS = "Serves no host: git, kubectl and docker do not get it. Edit it to add one."
# (tool, button text, what it copies)
SETUP_BUTTONS = (
    ("git", "Copy git set-up", "Copy the command that sets git up to ask Token Manager"),
    ("kubectl", "Copy kubeconfig", "Copy the kubeconfig user entry that runs Token Manager"),
    ("docker", "Copy docker set-up", "Copy the command that sets docker up to ask Token Manager"),
)


class UsedBy(QWidget):
    # "git", "kubectl" or "docker": copy its set-up line or snippet for the entry shown.
    setup_copy_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entry: Entry | None = None
        self._now = datetime.now(UTC)
        self._usage: dict[str, list[dict[str, Any]]] = {}  # name → its latest records
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(hline())
        lay.addWidget(section_label(HELPERS_TITLE, HELPERS_SUBTITLE))
        self.hosts_label = plain_label("Hosts it serves")
        self.refused_label = plain_label("Refused")
        pal = self.refused_label.palette()
        pal.setColor(self.refused_label.foregroundRole(), style.error_color())
        self.refused_label.setPalette(pal)
        lay.addWidget(self.hosts_label)
        lay.addWidget(self.refused_label)
        row = QHBoxLayout()
        self.setup_buttons: dict[str, QPushButton] = {}
        for tool, text, what in SETUP_BUTTONS:
            button = QPushButton(text)
            button.setAccessibleName(what)
            button.setToolTip(what)
            button.clicked.connect(functools.partial(self._on_setup_button_clicked, tool))
            self.setup_buttons[tool] = button
            row.addWidget(button)
        row.addStretch(1)
        lay.addLayout(row)
        self.last_used_label = plain_label("Last used")
        self.history_label = plain_label("Recent hand-outs")
        lay.addWidget(self.last_used_label)
        lay.addWidget(self.history_label)

    def set_entry(self, entry: Entry | None, now: datetime) -> None:
        self._entry, self._now = entry, now
        self._draw()

    def set_usage(self, usage: dict[str, list[dict[str, Any]]]) -> None:
        """What the access record says, per entry (its latest records, newest last)."""
        self._usage = usage
        if self._entry is not None:
            self._draw_usage()

    def tick(self, now: datetime) -> None:
        """A second passed: "3 min ago" moves on with the minute."""
        moved_minute = now.replace(second=0, microsecond=0) != self._now.replace(
            second=0, microsecond=0
        )
        self._now = now
        if self._entry is not None and moved_minute:
            self._draw_usage()

    def _draw(self) -> None:
        entry = self._entry
        if entry is None:
            return
        if entry.hosts:
            self.hosts_label.setText(
                "Serves " + ", ".join(printable(h, 200) for h in entry.hosts)
            )
        else:
            self.hosts_label.setText(NO_HOSTS)
        if entry.refused_by:
            when = relative(entry.refused_at, self._now) if entry.refused_at else ""
            then = (
                "it is refreshed at its next use"
                if entry.kind == "oauth2"
                else "store a new token for it (Edit)"
            )
            self.refused_label.setText(
                f"⚠ Refused by {printable(entry.refused_by, 200)} {when}: nothing was "
                f"deleted; {then}."
            )
        self.refused_label.setVisible(bool(entry.refused_by))
        prefixless = any("/" not in h for h in entry.hosts)
        for tool, button in self.setup_buttons.items():
            button.setEnabled(bool(entry.hosts) and (tool != "docker" or prefixless))
        self._draw_usage()

    def _draw_usage(self) -> None:
        entry = self._entry
        if entry is None:
            return
        items = self._usage.get(entry.name, [])
        if not items:
            self.last_used_label.setText("Not handed out yet.")
            self.history_label.setVisible(False)
            return
        last = items[-1]
        self.last_used_label.setText(f"Last used {usage_line(last, self._now)}")
        older = [usage_line(i, self._now) for i in reversed(items[:-1])]
        self.history_label.setText("\n".join(f"· {line}" for line in older))
        self.history_label.setVisible(bool(older))

    def _on_setup_button_clicked(self, tool: str) -> None:
        self.setup_copy_requested.emit(tool)


def usage_line(item: dict[str, Any], now: datetime) -> str:
    """'3 min ago · git credential · github.com/acme/app.git · git (pid 4121) ← bash, ~/src'"""
    from tokenmgr.core import record
    from tokenmgr.core.rules import parse_time

    try:
        at = parse_time(str(item.get("time")))
    except Exception:
        at = None
    how = record.HOW.get(str(item.get("how")), str(item.get("how")))
    parts = [relative(at, now) if at else "?", how]
    if item.get("host"):
        parts.append(str(item["host"]))
    parts.append(record.describe(item, os.path.expanduser("~")))
    return printable(" · ".join(parts), 400)
