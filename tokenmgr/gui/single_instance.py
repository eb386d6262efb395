"""One running app per user and TOKENMGR_HOME: a second launch raises the first.

Where: a Unix socket in a directory only the user can enter, `$XDG_RUNTIME_DIR/
tokenmgr/` (the socket named after the home), else `$TOKENMGR_HOME/run/`. Never a
predictable name in a shared directory such as /tmp, where another user could
listen first and make every launch say "already running". A directory or file
that is not the user's own, or is open to others, is never used: the launch goes
on without the single-instance server rather than stop.

Who: whoever holds the lock file beside the socket (`flock`, released by the
kernel when the process ends, so a crash leaves nothing stale) is the instance;
it listens on the socket. A later launch that cannot take the lock connects,
checks that the process at the other end is the same user (SO_PEERCRED), asks
it to raise its window and waits for the answer, which is sent once the window
has been raised; then it exits 0. The instance checks each caller's user the
same way.

Python's `socket` with a QSocketNotifier, not QtNetwork: the peer check needs the
raw socket anyway, and loading QtNetwork costs the start time and memory (see
docs/PERFORMANCE.md). The socket is only used on the GUI thread, never
blocking it: the server's socket is non-blocking and read when the notifier says.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import logging
import os
import socket
import stat
import struct
import time
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot

from tokenmgr.core import paths
from tokenmgr.core.errors import UnsafeHome

log = logging.getLogger("tokenmgr.gui")

RAISE = b"raise\n"
RAISED = b"raised\n"
# sun_path's size on Linux, less the terminating NUL.
MAX_SOCKET_PATH = 107
# struct ucred: pid, uid, gid.
UCRED = struct.Struct("3i")
# A request is one short line; a peer that sends more is not one of us.
MAX_REQUEST = 64


class Unavailable(Exception):
    """No private place for the socket: the app runs without the single-instance server."""


def _private_dir(path: Path, *, create: bool) -> Path:
    """`path` if it is a real directory of this user's that only they can enter."""
    if create:
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
    try:
        st = os.lstat(path)
    except OSError as e:
        raise Unavailable(f"{path}: {e.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise Unavailable(f"{path} is not a directory")
    if st.st_uid != os.getuid():
        raise Unavailable(f"{path} belongs to another user")
    if st.st_mode & 0o077:
        raise Unavailable(f"{path} is open to other users")
    return path


def socket_path(home: Path, env: Mapping[str, str]) -> Path:
    """Where the instance for `home` listens (see the module's docstring)."""
    try:
        where = home.resolve()
    except OSError:
        where = home.absolute()
    name = hashlib.sha256(str(where).encode()).hexdigest()[:24] + ".sock"
    problems = []
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        try:
            _private_dir(Path(runtime), create=False)
            path = _private_dir(Path(runtime) / "tokenmgr", create=True) / name
            if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
                return path
            problems.append(f"{path} is too long for a socket")
        except Unavailable as e:
            problems.append(str(e))
    try:
        paths.ensure_private_dir(home)
        path = _private_dir(home / "run", create=True) / "instance.sock"
    except UnsafeHome as e:
        problems.append(str(e))
        raise Unavailable("; ".join(problems)) from None
    except Unavailable as e:
        problems.append(str(e))
        raise Unavailable("; ".join(problems)) from None
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        problems.append(f"{path} is too long for a socket")
        raise Unavailable("; ".join(problems))
    return path


def peer_uid(sock: socket.socket) -> int | None:
    """The user at the other end of a connected Unix socket (None where it can't be
    asked: then the private directory is the only guard)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    _pid, uid, _gid = UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, option, UCRED.size))
    return int(uid)


class SingleInstance(QObject):
    """The lock and the server of the running instance, or the hand-over to it."""

    raise_requested = Signal()

    def __init__(self, home: Path, env: Mapping[str, str], parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.home = home
        self.env = env
        self.path: Path | None = None
        self._lock_fd: int | None = None
        self._server: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._clients: dict[int, tuple[socket.socket, QSocketNotifier, bytearray]] = {}

    @property
    def listening(self) -> bool:
        return self._server is not None

    def claim(self) -> bool:
        """Become the instance (True), or find one running (False). Without a private
        place for the socket the app runs anyway, as an instance of its own."""
        try:
            path = socket_path(self.home, self.env)
        except Unavailable as e:
            log.warning("single instance: none (%s)", e)
            return True
        self.path = path
        lock = path.with_suffix(".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as e:
            log.warning("single instance: none (%s: %s)", lock, e.strerror)
            return True
        if os.fstat(fd).st_uid != os.getuid():
            os.close(fd)
            log.warning("single instance: none (%s belongs to another user)", lock)
            return True
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return False  # another instance holds it
            log.warning("single instance: none (cannot lock %s: %s)", lock, e.strerror)
            return True
        self._lock_fd = fd
        self._listen(path)
        return True

    def hand_over(self, timeout_s: float = 5.0) -> bool:
        """Ask the running instance to raise its window; True once it said it did."""
        if self.path is None:
            return False
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    sock.settimeout(max(0.05, deadline - time.monotonic()))
                    sock.connect(os.fsencode(self.path))
                    uid = peer_uid(sock)
                    if uid is not None and uid != os.getuid():
                        log.warning("single instance: %s is served by another user", self.path)
                        return False
                    sock.sendall(RAISE)
                    return sock.recv(len(RAISED)) == RAISED
            except (FileNotFoundError, ConnectionRefusedError):
                # The instance holds the lock but is not listening yet: it is starting.
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
            except OSError as e:
                log.warning("single instance: no answer from %s (%s)", self.path, e)
                return False

    def close(self) -> None:
        """Stop answering (at quit): a launch from now on waits for the lock instead of
        handing over to an instance that is going away."""
        for sock, notifier, _buffer in self._clients.values():
            notifier.setEnabled(False)
            sock.close()
        self._clients.clear()
        if self._server is not None:
            assert self._notifier is not None and self.path is not None
            self._notifier.setEnabled(False)
            self._server.close()
            self._server = None
            with contextlib.suppress(OSError):
                self.path.unlink()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ---------------------------------------------------------------- inside

    def _listen(self, path: Path) -> None:
        # Holding the lock makes any socket left here a crashed instance's.
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(os.fsencode(path))
            os.chmod(path, 0o600)  # the directory is private already; the socket too
            server.listen(8)
        except OSError as e:
            server.close()
            log.warning("single instance: cannot listen on %s (%s)", path, e.strerror)
            return
        server.setblocking(False)
        self._server = server
        self._notifier = QSocketNotifier(server.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_server_activated)
        log.debug("single instance: listening on %s", path)

    @Slot()
    def _on_server_activated(self) -> None:
        assert self._server is not None
        while True:
            try:
                conn, _ = self._server.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.debug("single instance: accept failed (%s)", e)
                return
            uid = peer_uid(conn)
            if uid is not None and uid != os.getuid():
                log.warning("single instance: refused a connection from user %d", uid)
                conn.close()
                continue
            conn.setblocking(False)
            key = conn.fileno()
            notifier = QSocketNotifier(key, QSocketNotifier.Type.Read, self)
            self._clients[key] = (conn, notifier, bytearray())
            notifier.activated.connect(functools.partial(self._on_client_activated, key))

    def _on_client_activated(self, key: int, *_notice: object) -> None:
        if key not in self._clients:
            return
        conn, notifier, buffer = self._clients[key]
        try:
            data = conn.recv(MAX_REQUEST)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        buffer += data
        if buffer.startswith(RAISE):
            self.raise_requested.emit()  # the window is raised before the answer goes out
            with contextlib.suppress(OSError):
                conn.send(RAISED)  # a few bytes into an empty socket buffer: never blocks
        elif data and len(buffer) < MAX_REQUEST and RAISE.startswith(bytes(buffer)):
            return  # the rest of the line is on its way
        notifier.setEnabled(False)
        notifier.deleteLater()
        conn.close()
        del self._clients[key]



class PipeInstance(QObject):
    """Windows: a named pipe (QLocalServer, the user's alone, in the user's session), with
    the same hand-over as `SingleInstance`. Windows' Python has no Unix sockets."""

    raise_requested = Signal()

    def __init__(self, home: Path, env: Mapping[str, str], parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        from PySide6.QtNetwork import QLocalServer

        try:
            where = str(home.resolve())
        except OSError:
            where = str(home.absolute())
        self.name = "tokenmgr-" + hashlib.sha256(where.encode()).hexdigest()[:24]
        self._server: QLocalServer | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    def claim(self) -> bool:
        from PySide6.QtNetwork import QLocalServer

        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            return False
        server.newConnection.connect(self._on_server_new_connection)
        self._server = server
        return True

    def hand_over(self, timeout_s: float = 5.0) -> bool:
        from PySide6.QtNetwork import QLocalSocket

        sock = QLocalSocket()
        sock.connectToServer(self.name)
        ms = int(timeout_s * 1000)
        if not sock.waitForConnected(ms):
            return False
        sock.write(RAISE)
        sock.waitForBytesWritten(ms)
        answered = sock.waitForReadyRead(ms) and bytes(sock.readAll().data()) == RAISED
        sock.disconnectFromServer()
        return answered

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    @Slot()
    def _on_server_new_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            conn = self._server.nextPendingConnection()
            conn.disconnected.connect(conn.deleteLater)
            conn.readyRead.connect(functools.partial(self._on_conn_ready_read, conn))

    def _on_conn_ready_read(self, conn: object) -> None:
        from PySide6.QtNetwork import QLocalSocket

        assert isinstance(conn, QLocalSocket)
        if bytes(conn.readAll().data()).startswith(RAISE):
            self.raise_requested.emit()
            conn.write(RAISED)
            conn.flush()
