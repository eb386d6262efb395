"""Misbehaving servers on 127.0.0.1 port 0, for the network hardening tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def dripping_server(
    head: bytes = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n",
    drip: bytes = b" ",
    every: float = 0.2,
) -> Iterator[str]:
    """Answers every request with `head`, then one `drip` every `every` seconds,
    forever: each read gets data well within any read timeout, the body never ends.
    Yields the base URL."""
    stop = threading.Event()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                conn.recv(65536)
                conn.sendall(head)
                while not stop.wait(every):
                    conn.sendall(drip)
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        t.join(5)
        srv.close()
