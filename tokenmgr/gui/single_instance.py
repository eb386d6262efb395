"""One running app per user and TOKENMGR_HOME: a second launch raises the first.

The first instance listens on a local socket (QLocalServer, readable by the
user only). A later launch connects, asks it to raise its window, waits for
the answer and exits 0. A socket left behind by a crash is removed; a
launch racing another start hands over to whichever listens first.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger("tokenmgr.gui")


def server_name(home: Path) -> str:
    """One instance per user and TOKENMGR_HOME."""
    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    try:
        where = str(home.resolve())
    except OSError:
        where = str(home)
    digest = hashlib.sha256(f"{user}\0{where}".encode()).hexdigest()[:24]
    return f"tokenmgr-{digest}"


class SingleInstance(QObject):
    """A local server; a second launch connects, asks to raise the window, exits."""

    raise_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None

    def hand_over(self, timeout_ms: int = 1000) -> bool:
        """Ask a running instance to raise its window; False when none answers."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(timeout_ms):
            return False
        sock.write(b"raise\n")
        sock.flush()
        sock.waitForBytesWritten(timeout_ms)
        # Wait for the first instance to answer, so the raise happened before we exit.
        sock.waitForReadyRead(timeout_ms)
        sock.disconnectFromServer()
        return True

    def listen(self) -> bool:
        """Become the instance; False when another one won the race (then exit)."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            if self.hand_over(300):
                return False
            QLocalServer.removeServer(self.name)  # a stale socket from a crash
            if not server.listen(self.name):
                log.warning("single instance: cannot listen (%s)", server.errorString())
                return True
        server.newConnection.connect(self._on_server_new_connection)
        self.server = server
        log.debug("single instance: listening as %s", self.name)
        return True

    def close(self) -> None:
        """Stop answering (at quit): a launch from now on starts an instance of its
        own instead of handing over to one that is going away. Removes the socket."""
        if self.server is not None:
            self.server.close()
            self.server = None

    @Slot()
    def _on_server_new_connection(self) -> None:
        assert self.server is not None
        while self.server.hasPendingConnections():
            conn = self.server.nextPendingConnection()
            conn.readyRead.connect(lambda c=conn: self._on_conn_ready_read(c))
            conn.disconnected.connect(conn.deleteLater)

    def _on_conn_ready_read(self, conn: QLocalSocket) -> None:
        data = bytes(conn.readAll().data())
        if b"raise" in data:
            self.raise_requested.emit()
            conn.write(b"ok\n")
            conn.flush()
