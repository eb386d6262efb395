"""Preferences: clear timeout, default shell, notification lead, idle lock, background
checks at the tokens' providers, start options.

Saving applies them to the settings and writes or removes the autostart entry
for "Start at login"; `applied` then tells the window, which saves the
settings and sets the clipboard's timeout.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal
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
    applied = Signal(str)  # saved: "" or a sentence on what could not be done

    def __init__(
        self, settings: Settings, env: Mapping[str, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._env = env
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
        self.lead.setToolTip(
            "From then on a token shows as expiring in the list and the tray, and you get a "
            "notification. A short-lived token is warned about in the last quarter of its "
            "lifetime when that is shorter; a long-lived one also 14, 3 and 1 day ahead."
        )
        form.addRow("Warn before a token expires", self.lead)
        self.lock_idle = QSpinBox()
        self.lock_idle.setRange(0, 24 * 60)
        self.lock_idle.setSuffix(" min idle")
        self.lock_idle.setSpecialValueText("Never")
        self.lock_idle.setValue(settings.lock_idle_min)
        self.lock_idle.setAccessibleName("Lock the vault file after")
        self.lock_idle.setToolTip(
            "With the encrypted vault file: drop its key after this long without using Token "
            "Manager; the list stays, the passphrase is asked at the next token. (The system "
            "keyring locks with your desktop session.)"
        )
        form.addRow("Lock the vault file after", self.lock_idle)
        self.check_providers = QCheckBox("Check tokens with their providers once a day")
        self.check_providers.setToolTip(
            "Ask GitHub, GitLab, an OAuth server or a token's check URL whether it still "
            "accepts the token and when it expires; never offline or on a metered connection."
        )
        self.check_providers.setChecked(settings.check_providers)
        form.addRow("", self.check_providers)
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

    def accept(self) -> None:
        from tokenmgr.gui.errors import describe
        from tokenmgr.gui.settings import set_autostart

        settings = self._settings
        was = settings.start_at_login
        self.apply_to(settings)
        problem = ""
        if settings.start_at_login != was:
            try:
                set_autostart(settings.start_at_login, self._env)
            except OSError as e:
                problem = describe(e)
        super().accept()
        self.applied.emit(problem)

    def apply_to(self, settings: Settings) -> None:
        settings.clear_timeout_s = self.clear_timeout.value()
        settings.default_shell = str(self.shell.currentData() or "")
        settings.notify_lead_min = self.lead.value()
        settings.lock_idle_min = self.lock_idle.value()
        settings.check_providers = self.check_providers.isChecked()
        settings.start_minimized = self.minimized.isChecked()
        settings.start_at_login = self.at_login.isChecked()
