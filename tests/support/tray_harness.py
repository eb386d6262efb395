"""A tray-only app for the Xvfb tray test: Tray + Clipboard over a real Vault.

    python -m tests.support.tray_harness [--timeout SECONDS]

Runs on whatever display the environment names (the test gives it Xvfb with
trayer), with the vault of TOKENMGR_HOME / TOKENMGR_STORE. It wires the tray
the way the app does: copy_requested → the vault's token → formats.render →
Clipboard.copy, the countdown into the tooltip, the entries re-read every
second. It reports on stdout, one JSON object a line (never a token):

    {"event": "ready", "icon": [x, y, w, h]}     the icon is embedded in the tray
    {"event": "shown", "title": "..."}            a menu (or submenu) opened ("hidden": closed)
    {"event": "copied", "what": "..."}            {"event": "countdown", "seconds": n}
    {"event": "cleared"}  {"event": "toggle"}  {"event": "open"}  {"event": "quit"}
    {"event": "notified", "entry": "...", "backend": "dbus" | "tray"}
    {"event": "action", "entry": "...", "key": "..."}   a notification was clicked
    {"event": "dump", "texts": [...], "tooltip": "...", "menu": [...],
     "balloons": [{"texts": [...], "rect": [x, y, w, h]}]}

and takes commands on stdin, one a line: `dump`, `timeout N`, `notify NAME`
(a notification about NAME, through gui/notify.py with the tray as its fallback),
`quit`. The event loop never blocks, so other processes can read the clipboard
it owns.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMenu

from tokenmgr.core.formats import default_shell, render
from tokenmgr.core.rules import now_utc
from tokenmgr.core.vault import Vault
from tokenmgr.gui.clipboard import Clipboard
from tokenmgr.gui.notify import Notifier
from tokenmgr.gui.tray import Tray

WHAT = {"header": "header", "raw": "token", "env": "env line", "dotenv": ".env line"}


def balloons() -> list[dict[str, Any]]:
    """The tray's message balloons on the screen (Qt's QBalloonTip windows)."""
    out = []
    for w in QApplication.topLevelWidgets():
        if w.metaObject().className() == "QBalloonTip" and w.isVisible():
            g = w.frameGeometry()
            out.append({"texts": [label.text() for label in w.findChildren(QLabel)],
                        "rect": [g.x(), g.y(), g.width(), g.height()]})
    return out


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def menu_tree(menu: QMenu) -> list[Any]:
    out: list[Any] = []
    for action in menu.actions():
        if action.isSeparator():
            out.append("-")
        elif action.menu() is not None:
            out.append(
                {"title": action.text(), "enabled": action.isEnabled(),
                 "actions": menu_tree(action.menu())}
            )
        elif action.isVisible():
            out.append(action.text())
    return out


def all_texts(menu: QMenu) -> list[str]:
    out = [menu.title(), menu.toolTip()]
    for action in menu.actions():
        out += [action.text(), action.toolTip(), action.statusTip(), action.whatsThis()]
        if action.menu() is not None:
            out += all_texts(action.menu())
    return out


class ShowWatcher(QObject):
    """Reports every menu that opens, so the test knows when to send the next key."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if isinstance(obj, QMenu):
            if event.type() == QEvent.Type.Show:
                # Show comes before the window is mapped and the popup grabs the
                # keyboard: report it once that has happened, so keys reach the menu.
                title = obj.title()
                QTimer.singleShot(0, lambda: say("shown", title=title))
            elif event.type() == QEvent.Type.Hide:
                say("hidden", title=obj.title())
        return False


class Harness(QObject):
    def __init__(self, app: QApplication, timeout: int) -> None:
        super().__init__()
        self.app = app
        self.vault = Vault(passphrase=lambda _new: os.environ["TOKENMGR_PASSPHRASE"])
        self.shell = default_shell(os.environ, sys.platform)
        self.clipboard = Clipboard(timeout)
        self.clipboard.install_quit_hook(app)
        self.tray = Tray(self)
        self.tray.copy_requested.connect(self._on_tray_copy_requested)
        self.tray.toggle_requested.connect(lambda: say("toggle"))
        self.tray.open_requested.connect(lambda: say("open"))
        self.tray.paste_decode_requested.connect(lambda: say("paste_decode"))
        self.tray.quit_requested.connect(self._on_tray_quit_requested)
        self.clipboard.copied.connect(lambda what: say("copied", what=what))
        self.clipboard.countdown_changed.connect(self._on_clipboard_countdown_changed)
        self.clipboard.cleared.connect(lambda: say("cleared"))
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._refresh)
        self.notifier: Notifier | None = None
        self._stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read, self)
        self._stdin.activated.connect(self._on_stdin_activated)
        self._buffer = b""
        self._ready_poll = QTimer(self)
        self._ready_poll.setInterval(50)
        self._ready_poll.timeout.connect(self._on_ready_poll_timeout)

    def start(self) -> None:
        self._refresh()
        self.tray.show()
        self._ticker.start()
        self._ready_poll.start()

    def _refresh(self) -> None:
        self.tray.set_entries(self.vault.list_entries(), now_utc())

    def _on_ready_poll_timeout(self) -> None:
        geometry = self.tray.icon.geometry()
        if Tray.available() and geometry.width() > 0:
            self._ready_poll.stop()
            say("ready", icon=[geometry.x(), geometry.y(), geometry.width(), geometry.height()])

    def _on_tray_copy_requested(self, name: str, fmt: str) -> None:
        entry, token = self.vault.get_token(name, refresh=False)
        text = render(
            fmt, name=entry.name, token=token, scheme=entry.scheme, env_var=entry.env_var,
            expires_at=None, shell=self.shell,
        )
        # No trailing newline: pasted into a terminal, it would run the line.
        self.clipboard.copy(text.rstrip("\n"), f"{WHAT[fmt]} of {name}")

    def _on_clipboard_countdown_changed(self, seconds: int) -> None:
        self.tray.set_countdown(seconds)
        say("countdown", seconds=seconds)

    def _on_tray_quit_requested(self) -> None:
        say("quit")
        self.app.quit()

    def _on_stdin_activated(self) -> None:
        data = os.read(sys.stdin.fileno(), 4096)
        if not data:
            self._stdin.setEnabled(False)
            self.app.quit()
            return
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self._command(line.decode().split())

    def _command(self, words: list[str]) -> None:
        if words == ["dump"]:
            say(
                "dump", texts=all_texts(self.tray.menu), tooltip=self.tray.tooltip(),
                menu=menu_tree(self.tray.menu), attention=self.tray.attention,
                balloons=balloons(),
            )
        elif len(words) == 2 and words[0] == "notify":
            if self.notifier is None:
                self.notifier = Notifier(self.tray.icon, self)
                self.notifier.sent.connect(
                    lambda entry, backend: say("notified", entry=entry, backend=backend))
                self.notifier.action_invoked.connect(
                    lambda entry, key: say("action", entry=entry, key=key))
            self.notifier.notify(words[1], f"{words[1]} expires in 4 min",
                                 "Sign in again before it expires.", action=("default", "Open"))
        elif len(words) == 2 and words[0] == "timeout":
            self.clipboard.set_timeout(int(words[1]))
            say("timeout", seconds=int(words[1]))
        elif words == ["quit"]:
            self.app.quit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    watcher = ShowWatcher()
    app.installEventFilter(watcher)
    harness = Harness(app, args.timeout)
    harness.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
