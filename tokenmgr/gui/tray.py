"""The tray icon and its quick-copy menu.

Tokens first, in name order, each a submenu whose first action copies the
`Authorization` header, then raw, env line and `.env` line; an expiring token
says so in its title ("staging (expires in 4 min)"), an expired one is greyed
with the way out ("Sign in again"). Then "Paste & decode", "Open Token
Manager" and "Quit". A left click shows or hides the window.

The tray only ever sees names and times: no token text goes into a menu, a
tooltip or a message. Each token's tooltip says when it was last used and how
(`set_last_used`, from the access record). It emits what the user asked for and
lets the app do it.

`set_entries` is cheap to call every second: the menu is only touched when a
title or state would change, it is never rebuilt while open (the change waits
until it closes), and titles are updated in place when the set of names is the
same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from tokenmgr.core.entries import Entry
from tokenmgr.core.rules import DEFAULT_LEAD, STATUS_EXPIRED, STATUS_EXPIRING, now_utc
from tokenmgr.gui import icons

APP_TITLE = "Token Manager"

# (format, action text), in menu order: the first one is what two clicks give.
COPY_ACTIONS: tuple[tuple[str, str], ...] = (
    ("header", "Copy header"),
    ("raw", "Copy raw"),
    ("env", "Copy env line"),
    ("dotenv", "Copy .env line"),
)

# How many expiring or expired tokens the tooltip names before "and N more".
TOOLTIP_NAMED = 3


def until(delta: timedelta) -> str:
    """A short, rounded-down duration in words: "45 s", "4 min", "3 h", "2 days"."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return "less than a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


@dataclass(frozen=True)
class _Row:
    """What the menu shows of one entry: all the tray ever knows about it."""

    name: str
    title: str
    usable: bool  # False: greyed, nothing to copy
    note: str  # the tooltip's words for it, "" when fine
    sign_in: bool = False  # the submenu offers "Sign in again" instead of the copies


def _row(entry: Entry, now: datetime, lead: timedelta) -> _Row:
    status = entry.status(now, lead)
    sign_in = entry.kind == "oauth2"
    if entry.state == "sign_in_needed":
        return _Row(
            entry.name, f"{entry.name} (sign in again)", False, "needs signing in again", True
        )
    if status == STATUS_EXPIRED:
        if sign_in and entry.renews_itself():
            # A copy refreshes it first (as `tokenmgr get` does): still usable.
            return _Row(entry.name, f"{entry.name} (expired, renews on copy)", True, "expired")
        hint = " — sign in again" if sign_in else ""
        return _Row(entry.name, f"{entry.name} (expired{hint})", False, "expired", sign_in)
    if status == STATUS_EXPIRING and entry.expires_at is not None:
        left = until(entry.expires_at - now)
        return _Row(entry.name, f"{entry.name} (expires in {left})", True, f"expires in {left}")
    return _Row(entry.name, entry.name, True, "")


def used_words(item: Mapping[str, Any] | None, now: datetime) -> str:
    """An entry's tooltip: when it was last handed out, and how (no token, no command
    line: the record holds none)."""
    if item is None:
        return "Not used yet"
    from tokenmgr.core import record
    from tokenmgr.core.rules import parse_time
    from tokenmgr.gui.timewords import relative

    try:
        at = parse_time(str(item.get("time")))
    except Exception:
        return "Last used: unknown"
    how = record.HOW.get(str(item.get("how")), "")
    who = str(item.get("program") or "")
    by = f" by {who}" if who and item.get("how") not in ("copy", "tray", "refresh") else ""
    return f"Last used {relative(at, now) if at else '?'} ({how}{by})"


class Tray(QObject):
    """QSystemTrayIcon + menu. Signals carry names and formats only, never tokens."""

    # (entry name, format): format one of "header", "raw", "env", "dotenv".
    copy_requested = Signal(str, str)
    open_requested = Signal()
    # Left click (or the platform's "activate"): show the window, or hide it.
    toggle_requested = Signal()
    paste_decode_requested = Signal()
    quit_requested = Signal()
    sign_in_requested = Signal(str)  # entry name: "Sign in again" on an expired OAuth entry

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[_Row, ...] = ()  # what the menu shows
        self._latest: tuple[_Row, ...] = ()  # what the tooltip and the icon show
        self._pending: tuple[_Row, ...] | None = None
        self._countdown = 0
        self._clipboard_note = ""
        self._attention = False
        self._submenus: dict[str, QMenu] = {}
        self._last_used: dict[str, Mapping[str, Any]] = {}  # name → its latest record

        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)  # each token says when it was last used
        self.menu.setObjectName("tray-menu")
        self.menu.aboutToHide.connect(self._on_menu_about_to_hide)
        self._empty = QAction("No tokens yet", self.menu)
        self._empty.setEnabled(False)
        self._separator = QAction(self.menu)
        self._separator.setSeparator(True)
        self.paste_decode_action = QAction("Paste && decode", self.menu)
        self.paste_decode_action.triggered.connect(self.paste_decode_requested)
        self.open_action = QAction("Open Token Manager", self.menu)
        self.open_action.triggered.connect(self.open_requested)
        self.quit_action = QAction("Quit", self.menu)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addActions(
            [self._empty, self._separator, self.paste_decode_action, self.open_action,
             self.quit_action]
        )

        self.icon = QSystemTrayIcon(icons.tray_icon(False), self)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_icon_activated)
        self._update_tooltip()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    # ---------------------------------------------------------------- state

    @property
    def attention(self) -> bool:
        """Whether the attention icon shows (a token is expired, expiring or needs signing in)."""
        return self._attention

    def tooltip(self) -> str:
        return self.icon.toolTip()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_entries(
        self, entries: Sequence[Entry], now: datetime, lead: timedelta = DEFAULT_LEAD
    ) -> None:
        """`lead`: the lead time of the expiring rule, as the window's list uses it."""
        rows = tuple(_row(e, now, lead) for e in sorted(entries, key=lambda e: e.name))
        if rows == self._latest:
            return
        self._latest = rows
        attention = any(r.note for r in rows)
        if attention != self._attention:
            self._attention = attention
            self.icon.setIcon(icons.tray_icon(attention))
        if self.menu.isVisible():
            # Actions under the pointer must not vanish; apply once the menu closes.
            self._pending = rows
        else:
            self._apply(rows)
        self._update_tooltip()

    def set_last_used(self, usage: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """What the access record says (gui/usage.py): each entry's tooltip says when it
        was last handed out."""
        self._last_used = {name: items[-1] for name, items in usage.items() if items}
        now = now_utc()
        for name, sub in self._submenus.items():
            sub.menuAction().setToolTip(used_words(self._last_used.get(name), now))

    def set_countdown(self, seconds: int) -> None:
        """Seconds until the clipboard is cleared (0: nothing on the clock)."""
        seconds = max(0, int(seconds))
        if seconds != self._countdown:
            self._countdown = seconds
            self._update_tooltip()

    def set_clipboard_note(self, text: str) -> None:
        """What the tooltip says about the clipboard after a clear that could not be
        checked ("" to drop it: the next copy)."""
        if text != self._clipboard_note:
            self._clipboard_note = text
            self._update_tooltip()

    # ---------------------------------------------------------------- menu

    def _apply(self, rows: tuple[_Row, ...]) -> None:
        self._pending = None
        if rows == self._rows:
            return
        if [(r.name, r.sign_in) for r in rows] == [(r.name, r.sign_in) for r in self._rows]:
            for row in rows:
                self._style(self._submenus[row.name], row)
        else:
            self._rebuild(rows)
        self._rows = rows

    def _rebuild(self, rows: tuple[_Row, ...]) -> None:
        for sub in self._submenus.values():
            self.menu.removeAction(sub.menuAction())
            sub.deleteLater()
        self._submenus = {}
        for row in rows:
            sub = QMenu(self.menu)
            if row.sign_in:
                action = sub.addAction("Sign in again")
                action.triggered.connect(partial(self.sign_in_requested.emit, row.name))
            else:
                for fmt, text in COPY_ACTIONS:
                    action = sub.addAction(text)
                    action.triggered.connect(partial(self._on_copy_triggered, row.name, fmt))
            self._style(sub, row)
            sub.menuAction().setToolTip(used_words(self._last_used.get(row.name), now_utc()))
            self.menu.insertAction(self._empty, sub.menuAction())
            self._submenus[row.name] = sub
        self._empty.setVisible(not rows)

    @staticmethod
    def _style(sub: QMenu, row: _Row) -> None:
        # `&` would make a mnemonic of the next letter of a name.
        sub.setTitle(row.title.replace("&", "&&"))
        # Greyed when there is nothing to do; an expired OAuth entry offers a new sign-in.
        sub.menuAction().setEnabled(row.usable or row.sign_in)

    def _update_tooltip(self) -> None:
        rows = self._latest
        n = len(rows)
        lines = [f"{APP_TITLE}: {n} token{'s' if n != 1 else ''}" if n else APP_TITLE]
        noted = [r for r in rows if r.note]
        lines += [f"{r.name} {r.note}" for r in noted[:TOOLTIP_NAMED]]
        if len(noted) > TOOLTIP_NAMED:
            lines.append(f"and {len(noted) - TOOLTIP_NAMED} more")
        if self._countdown:
            lines.append(f"Clipboard clears in {self._countdown} s")
        if self._clipboard_note:
            lines.append(self._clipboard_note)
        self.icon.setToolTip("\n".join(lines))

    # ---------------------------------------------------------------- slots

    def _on_copy_triggered(self, name: str, fmt: str) -> None:
        self.copy_requested.emit(name, fmt)

    def _on_menu_about_to_hide(self) -> None:
        if self._pending is not None:
            # After the triggered action has been delivered, not under it.
            QTimer.singleShot(0, self._on_pending_timeout)

    def _on_pending_timeout(self) -> None:
        if self._pending is not None and not self.menu.isVisible():
            self._apply(self._pending)

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_requested.emit()
