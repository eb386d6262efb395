"""Preferences: clear timeout, default shell, notification lead, start options.

Applied by the main window when accepted (settings saved, the autostart entry
written or removed, the clipboard timeout changed).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QWidget,
)

from tokenmgr.core.formats import SHELLS
from tokenmgr.gui.settings import Settings


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        form = QFormLayout(self)
        self.clear_timeout = QSpinBox()
        self.clear_timeout.setRange(5, 3600)
        self.clear_timeout.setSuffix(" s")
        self.clear_timeout.setValue(settings.clear_timeout_s)
        self.clear_timeout.setAccessibleName("Clear the clipboard after")
        form.addRow("Clear the clipboard after", self.clear_timeout)
        self.shell = QComboBox()
        self.shell.addItem("From $SHELL", "")
        for s in SHELLS:
            self.shell.addItem(s, s)
        self.shell.setCurrentIndex(max(0, self.shell.findData(settings.default_shell)))
        self.shell.setAccessibleName("Shell for env lines")
        form.addRow("Shell for env lines", self.shell)
        self.lead = QSpinBox()
        self.lead.setRange(0, 24 * 60)
        self.lead.setSuffix(" min")
        self.lead.setValue(settings.notify_lead_min)
        self.lead.setAccessibleName("Warn before a token expires")
        form.addRow("Warn before a token expires", self.lead)
        self.minimized = QCheckBox("Start in the tray")
        self.minimized.setChecked(settings.start_minimized)
        form.addRow("", self.minimized)
        self.at_login = QCheckBox("Start at login")
        self.at_login.setChecked(settings.start_at_login)
        form.addRow("", self.at_login)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def apply_to(self, settings: Settings) -> None:
        settings.clear_timeout_s = self.clear_timeout.value()
        settings.default_shell = str(self.shell.currentData() or "")
        settings.notify_lead_min = self.lead.value()
        settings.start_minimized = self.minimized.isChecked()
        settings.start_at_login = self.at_login.isChecked()
