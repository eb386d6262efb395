"""Playing the person on the provider's page, from outside the app: Chromium's DevTools
protocol, the way browser automation drives a real browser.

The test starts the app with `QTWEBENGINE_REMOTE_DEBUGGING=127.0.0.1:PORT` in its
environment (`debugging_env`). QtWebEngine, wherever the app runs it (today in the
sign-in window's own process), then answers the DevTools protocol on that port; the app
itself has no test hook and never runs script in the provider's page.

`Person(port).start()` finds the page, and each time a page has finished loading it
fills the provider's login form ("alice", any password) or confirms its consent form,
and submits it, as a person would. It also notes when each page was first painted
(Chromium's own first-contentful-paint timing, as wall-clock time), for the benchmark.

The protocol runs over a WebSocket; the small client here speaks just enough of
RFC 6455 for it (text frames, masking, ping, close), so no test dependency is added.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import threading
import time
import urllib.request
from typing import Any

# Test-only: fill the provider's login form, or confirm its consent form (or, declining,
# follow its "Cancel" link), once per page, once it was painted. %s: decline or not.
PLAY_THE_PERSON = """
(function () {
  if (document.readyState !== 'complete' || location.protocol === 'about:') { return 'wait'; }
  // A person acts on what they see: not before the page was painted.
  if (!performance.getEntriesByName('first-contentful-paint').length) { return 'wait'; }
  if (window.__tokenmgrTestPlayed) { return 'played'; }
  window.__tokenmgrTestPlayed = true;
  var decline = %s;
  // Declining: the provider's "Cancel" link, once past its login page.
  if (decline && !document.querySelector('[name=password]')) {
    var cancel = Array.prototype.filter.call(document.links, function (a) {
      return /cancel/i.test(a.textContent);
    });
    if (cancel.length) { location.href = cancel[0].href; return 'submitted'; }
  }
  var forms = Array.prototype.filter.call(document.forms, function (f) {
    return f.method.toLowerCase() === 'post' && !f.querySelector('[name=abort]');
  });
  if (!forms.length) { return 'none'; }
  var f = forms[0];
  var l = f.querySelector('[name=login]'); if (l) { l.value = 'alice'; }
  var p = f.querySelector('[name=password]'); if (p) { p.value = 'any-password'; }
  f.submit();
  return 'submitted';
})()
"""

# Where the page is, and when Chromium first painted content of it (epoch ms, or null).
PAINTED = """
JSON.stringify([location.href,
  (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: null}).startTime
    === null ? null
    : performance.timeOrigin + performance.getEntriesByName('first-contentful-paint')[0].startTime])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def debugging_env(port: int) -> dict[str, str]:
    """What to add to the app's environment so QtWebEngine answers on `port`."""
    return {"QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{port}"}


class DevToolsClosed(Exception):
    """The page (or the process that showed it) went away."""


class _WebSocket:
    """A client WebSocket (RFC 6455) for one DevTools target."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise DevToolsClosed("the DevTools server hung up during the handshake")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise DevToolsClosed(f"no WebSocket upgrade: {head[:80]!r}")
        self._buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text: str) -> None:
        self._send_frame(0x1, text.encode())

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _read(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise DevToolsClosed("the DevTools connection closed")
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def receive(self) -> str:
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read(8))
            payload = self._read(n)
            if opcode == 0x8:
                raise DevToolsClosed("the page closed its DevTools connection")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Page:
    """One page target of a DevTools server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._ws: _WebSocket | None = None
        self._id = 0

    def targets(self) -> list[dict[str, Any]]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
            return list(json.loads(r.read()))

    def connect(self) -> bool:
        """Connect to the first page target; False while there is none (yet)."""
        try:
            pages = [t for t in self.targets() if t.get("type") == "page"]
        except OSError:
            return False
        if not pages or "webSocketDebuggerUrl" not in pages[0]:
            return False
        self._ws = _WebSocket(pages[0]["webSocketDebuggerUrl"])
        return True

    def evaluate(self, expression: str) -> Any:
        """Runtime.evaluate in the page's main world; its value."""
        if self._ws is None:
            raise DevToolsClosed("not connected")
        self._id += 1
        call_id = self._id
        self._ws.send(
            json.dumps(
                {
                    "id": call_id,
                    "method": "Runtime.evaluate",
                    "params": {"expression": expression, "returnByValue": True},
                }
            )
        )
        while True:
            reply = json.loads(self._ws.receive())
            if reply.get("id") == call_id:
                result = reply.get("result", {}).get("result", {})
                return result.get("value")

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None


class Person(threading.Thread):
    """Plays the person on every page the DevTools server at `port` shows (see the
    module docstring); `decline=True` declines at the consent page; `play=False` only
    watches (paint times), for a person who never signs in. `painted` maps each page's
    URL to its first contentful paint (epoch s)."""

    def __init__(
        self, port: int, *, play: bool = True, decline: bool = False, interval: float = 0.05
    ) -> None:
        super().__init__(daemon=True, name="devtools-person")
        self.port = port
        self.play = play
        self.script = PLAY_THE_PERSON % ("true" if decline else "false")
        self.interval = interval
        self.painted: dict[str, float] = {}
        self.submitted = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            page = Page(self.port)
            try:
                if not page.connect():
                    self._done.wait(self.interval)
                    continue
                while not self._done.is_set():
                    self._look(page)
                    self._done.wait(self.interval)
            except (OSError, DevToolsClosed, ValueError):
                self._done.wait(self.interval)  # the page or its process went; look again
            finally:
                page.close()

    def _look(self, page: Page) -> None:
        seen = page.evaluate(PAINTED)
        if isinstance(seen, str):
            url, at = json.loads(seen)
            if at is not None and not url.startswith("about:"):
                self.painted.setdefault(url, at / 1000.0)
        if self.play and page.evaluate(self.script) == "submitted":
            self.submitted += 1

    def first_paint(self, prefix: str) -> float | None:
        """When the first page whose URL starts with `prefix` was painted (epoch s)."""
        times = [t for url, t in self.painted.items() if url.startswith(prefix)]
        return min(times) if times else None

    def stop(self) -> None:
        self._done.set()
        if self.is_alive():
            self.join(10)

    def wait_painted(self, prefix: str, timeout: float = 60.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.first_paint(prefix)
            if at is not None:
                return at
            time.sleep(0.02)
        raise AssertionError(f"no page under {prefix} was painted within {timeout:g} s")
