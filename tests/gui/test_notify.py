"""Desktop notifications on a real daemon: dunst on Xvfb owning
org.freedesktop.Notifications on a private bus, dbus-monitor watching the calls."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.support.notifications import NotificationDaemon, notify_calls

pytestmark = pytest.mark.gui


def test_notify_is_accepted_by_a_real_daemon_and_names_the_entry(
    qtbot: Any, notification_daemon: NotificationDaemon
) -> None:
    daemon = notification_daemon
    from tokenmgr.gui.notify import Notifier

    n = Notifier()
    try:
        with qtbot.waitSignal(n.sent, timeout=10000) as sent:
            n.notify(
                "github-ci",
                "github-ci expires in 5 minutes",
                "Store a new token before it expires.",
                action=("default", "Open"),
            )
        assert sent.args == ["github-ci", "dbus"]
        qtbot.waitUntil(lambda: bool(notify_calls(daemon.monitor())), timeout=5000)
        call = notify_calls(daemon.monitor())[0]
        serial = re.search(r"serial=(\d+)", call)
        assert serial is not None
        # The exact types of the specification: (susssasa{sv}i).
        kinds = re.findall(r"^\s{3}(string|uint32|int32|array|byte)\b", call, re.M)
        assert kinds[:8] == [
            "string",
            "uint32",
            "string",
            "string",
            "string",
            "array",
            "array",
            "int32",
        ], call
        assert "github-ci expires in 5 minutes" in call and 'string "default"' in call
        assert "byte 1" in call  # urgency is a byte
        # The icon and the desktop-entry hint name the installed desktop file.
        assert 'string "io.github.tokenmgr"' in call
        log = daemon.monitor()
        assert f"reply_serial={serial.group(1)}" in log
        replies = [b for b in re.split(r"\n(?=\S)", log) if f"reply_serial={serial.group(1)}" in b]
        assert replies[0].startswith("method return"), replies[0]  # not an error
        # dunst shows it; invoking its default action comes back to us, naming the entry.
        qtbot.waitUntil(lambda: daemon.dunstctl("count", "displayed").strip() == "1", timeout=5000)
        with qtbot.waitSignal(n.action_invoked, timeout=10000) as invoked:
            daemon.dunstctl("action", "0")
        assert invoked.args == ["github-ci", "default"]
    finally:
        n.close()


def test_without_a_daemon_the_tray_shows_it(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from tokenmgr.gui.notify import Notifier

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")

    class FakeTrayIcon:
        """Records showMessage: the tray itself is tested on Xvfb elsewhere."""

        def __init__(self) -> None:
            from PySide6.QtCore import QObject, Signal

            class _S(QObject):
                messageClicked = Signal()  # noqa: N815 - Qt's name

            self._s = _S()
            self.messageClicked = self._s.messageClicked
            self.shown: list[tuple[str, str]] = []

        def showMessage(self, title: str, body: str, *args: Any) -> None:  # noqa: N802
            self.shown.append((title, body))

    icon = FakeTrayIcon()
    n = Notifier(tray=icon)
    with qtbot.waitSignal(n.sent, timeout=10000) as sent:
        n.notify("old-key", "old-key has expired", "Store a new token.", action=("default", "Open"))
    assert sent.args == ["old-key", "tray"]
    assert icon.shown == [("old-key has expired", "Store a new token.")]
    with qtbot.waitSignal(n.action_invoked, timeout=5000) as invoked:
        icon.messageClicked.emit()
    assert invoked.args == ["old-key", "default"]


def _notification_id(log: str, serial: str) -> int:
    """The id the daemon gave the notification: its reply to the Notify call."""
    for block in re.split(r"\n(?=\S)", log):
        if f"reply_serial={serial}" in block and block.startswith("method return"):
            found = re.search(r"uint32 (\d+)", block)
            assert found is not None, block
            return int(found.group(1))
    raise AssertionError(f"no reply to {serial}")


def _forge(address: str, destination: str | None, member: str, nid: int, extra: Any) -> None:
    """Another program on the same bus sends a notification signal of its own making."""
    from jeepney import new_signal
    from jeepney.io.blocking import open_dbus_connection
    from jeepney.wrappers import DBusAddress

    conn = open_dbus_connection(address)
    try:
        emitter = DBusAddress("/org/freedesktop/Notifications",
                              interface="org.freedesktop.Notifications")
        signature = "us" if member == "ActionInvoked" else "uu"
        msg = new_signal(emitter, member, signature, (nid, extra))
        if destination is not None:
            from jeepney.low_level import HeaderFields

            msg.header.fields[HeaderFields.destination] = destination
        conn.send(msg)
    finally:
        conn.close()


def test_signals_count_only_from_the_notification_service(
    qtbot: Any, notification_daemon: NotificationDaemon
) -> None:
    """A second connection on the bus forges ActionInvoked (broadcast, and sent to the app
    alone) and NotificationClosed for the app's notification: neither counts; the
    daemon's own action still does."""
    daemon = notification_daemon
    from tokenmgr.gui.notify import Notifier

    n = Notifier()
    invoked: list[tuple[str, str]] = []
    n.action_invoked.connect(lambda entry, key: invoked.append((entry, key)))
    try:
        with qtbot.waitSignal(n.sent, timeout=10000):
            n.notify("github-ci", "github-ci expires in 5 minutes", "Store a new token.",
                     action=("default", "Open"))
        qtbot.waitUntil(lambda: bool(notify_calls(daemon.monitor())), timeout=5000)
        serial = re.search(r"serial=(\d+)", notify_calls(daemon.monitor())[0])
        assert serial is not None
        nid = _notification_id(daemon.monitor(), serial.group(1))
        ours = n._router.conn.unique_name
        for destination in (None, ours):
            _forge(daemon.address, destination, "ActionInvoked", nid, "sign_in")
            _forge(daemon.address, destination, "NotificationClosed", nid, 2)
        qtbot.waitUntil(lambda: daemon.dunstctl("count", "displayed").strip() == "1",
                        timeout=5000)
        with qtbot.waitSignal(n.action_invoked, timeout=10000):
            daemon.dunstctl("action", "0")
        # The forged signals went out first; had one counted, it would be here first (or
        # the forged close would have made the app forget the notification).
        assert invoked == [("github-ci", "default")]
    finally:
        n.close()


def test_bodies_are_escaped_where_the_service_renders_markup(
    qtbot: Any, notification_daemon: NotificationDaemon
) -> None:
    daemon = notification_daemon
    caps = subprocess.run(
        ["dbus-send", f"--bus={daemon.address}", "--print-reply",
         "--dest=org.freedesktop.Notifications", "/org/freedesktop/Notifications",
         "org.freedesktop.Notifications.GetCapabilities"],
        capture_output=True, text=True, timeout=10, check=True).stdout
    assert '"body-markup"' in caps  # dunst renders markup: what is sent must be escaped
    from tokenmgr.gui.notify import Notifier

    n = Notifier()
    body = "Note: <b>urgent</b> & <a href=\"https://evil.example\">sign in here</a>"
    try:
        with qtbot.waitSignal(n.sent, timeout=10000):
            n.notify("github-ci", "<i>github-ci</i> expires", body)
        qtbot.waitUntil(lambda: bool(notify_calls(daemon.monitor())), timeout=5000)
        call = notify_calls(daemon.monitor())[0]
        assert ('string "Note: &lt;b&gt;urgent&lt;/b&gt; &amp; &lt;a href="https://'
                'evil.example"&gt;sign in here&lt;/a&gt;"') in call, call
        assert "<b>" not in call and "<a href" not in call
        # The summary is plain text by the specification: sent as it is.
        assert 'string "<i>github-ci</i> expires"' in call
    finally:
        n.close()
