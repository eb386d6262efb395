"""The vault file's lock in the app: whether it can be locked and whether it is, the idle
timer that locks it, and the passphrase dialog that unlocks it.

`lock()` (Ctrl+L, or the idle time running out) only changes the state: whoever holds
a secret hears `locked_changed` and lets go of it (the commands: gui/command_context.py),
and the window pauses what would need the key. When something needs a secret, the
window asks for the passphrase here (`ask_passphrase`); whoever opens the store answers
with `set_locked(False)` (the dialog closes) or `unlock_failed` (a sentence under the
field, another try).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from tokenmgr.gui.unlock_dialog import UnlockDialog

# The idle lock's unit: "Lock the vault file after N min idle".
IDLE_UNIT_MS = 60_000


class VaultLock(QObject):
    locked_changed = Signal(bool)  # locked (True) or unlocked again
    status_reported = Signal(str)  # what locking did, or why it could not
    unlock_requested = Signal(str)  # the passphrase typed into the dialog
    unlock_refused = Signal()  # the dialog was closed while still locked

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window  # the dialog's parent when no other dialog is open
        self._locked = False
        self._lockable = False  # an open vault file is in use
        self._unlock_dialog: UnlockDialog | None = None
        # Restarted by every key press, click or wheel turn in the app (an event filter
        # on the application, installed only while it can lock).
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        # Precise: a coarse timer's slack (5 %) would be three minutes on an hour.
        self.idle_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.idle_timer.timeout.connect(self._on_idle_timer_timeout)
        self._activity = _ActivityFilter(self.idle_timer, self)

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def unlock_dialog(self) -> UnlockDialog | None:
        """The passphrase dialog while it is open."""
        return self._unlock_dialog

    def set_lockable(self, lockable: bool) -> None:
        """Whether there is something to lock: a vault file, open (not the keyring)."""
        self._lockable = lockable

    def lock(self) -> None:
        """Lock the vault file: its key is dropped (`EncryptedFileStore.lock`), the list
        stays (it is the index), and the first thing that needs a secret asks for the
        passphrase, then goes on."""
        if not self._lockable:
            if not self._locked:
                self.status_reported.emit(
                    "Only the vault file can be locked; the keyring locks with your desktop "
                    "session.")
            return
        self.set_locked(True)
        self.status_reported.emit(
            "Locked: the vault file's key was dropped. Its passphrase is asked at the next "
            "token you use.")

    def set_locked(self, locked: bool) -> None:
        """Locked: the idle count stops. Unlocked: the passphrase dialog, if open, closes."""
        self._locked = locked
        if locked:
            self.idle_timer.stop()
        elif self._unlock_dialog is not None:
            self._unlock_dialog.accept()
        self.locked_changed.emit(locked)

    def arm_idle(self, minutes: int) -> None:
        """(Re)start the idle count of `minutes` while there is something to lock (else,
        or for 0, stop it and stop watching)."""
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if self._lockable and minutes > 0 and app is not None:
            self.idle_timer.setInterval(minutes * IDLE_UNIT_MS)
            self.idle_timer.start()
            app.installEventFilter(self._activity)  # once: Qt ignores a second install
        else:
            self.idle_timer.stop()
            if app is not None:
                app.removeEventFilter(self._activity)

    def ask_passphrase(self, where: str) -> None:
        """Open the passphrase dialog for the vault file at `where` (or raise the open one)."""
        from PySide6.QtWidgets import QApplication

        from tokenmgr.gui.unlock_dialog import UnlockDialog

        if self._unlock_dialog is not None:
            self._unlock_dialog.raise_()
            self._unlock_dialog.activateWindow()
            return
        # On top of whatever dialog asked (Save in the add dialog, say), else the window.
        parent = QApplication.activeModalWidget() or self._window
        dialog = UnlockDialog(where, parent)
        dialog.setModal(True)
        dialog.unlock_requested.connect(self.unlock_requested)
        dialog.finished.connect(lambda result: self._on_unlock_dialog_finished(dialog, result))
        self._unlock_dialog = dialog
        dialog.open()

    @Slot(str)
    def unlock_failed(self, text: str) -> None:
        """The passphrase did not open the vault file: said in the dialog, another try."""
        if self._unlock_dialog is not None:
            self._unlock_dialog.failed(text)

    def _on_unlock_dialog_finished(self, dialog: UnlockDialog, result: int) -> None:
        from PySide6.QtWidgets import QDialog

        if self._unlock_dialog is dialog:
            self._unlock_dialog = None
        dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted and self._locked:
            self.unlock_refused.emit()

    @Slot()
    def _on_idle_timer_timeout(self) -> None:
        self.lock()


class _ActivityFilter(QObject):
    """Sees the application's events: a key press, a click or a wheel turn anywhere in
    it (the tray menu too) restarts the idle lock's timer."""

    ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                          QEvent.Type.Wheel})

    def __init__(self, timer: QTimer, parent: QObject) -> None:
        super().__init__(parent)
        self._timer = timer

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in self.ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False
