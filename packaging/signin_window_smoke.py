"""Smoke test of the sign-in window's process, as the installed app starts it.

    python3 packaging/signin_window_smoke.py /usr/bin/tokenmgr

Runs `tokenmgr sign-in-window` (the app's own executable, as the app does) with its
stdin and stdout as the pipe, offscreen, and plays the app's part: waits for
`ready`, sends `open` with a local "provider" page that redirects to a local
"listener", and expects the window to show it, to capture the redirect before it
loads and to hand it to the listener with a plain request (`delivered`, 200), then
sends `close` and expects the process to end with status 0. Standard library only
(it runs with the system's python3 against the .deb). Exit status 0 when all held;
otherwise 1 and one line saying what did not.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
from typing import Any

TIMEOUT = 60


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.HTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: signin_window_smoke.py TOKENMGR", file=sys.stderr)
        return 2
    heard: list[str] = []

    class Listener(_Quiet):
        def do_GET(self) -> None:  # noqa: N802
            heard.append(self.headers.get("User-Agent", ""))
            body = b"signed in"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    listener = serve(Listener)
    redirect_uri = f"http://127.0.0.1:{listener.server_address[1]}/callback"

    class Provider(_Quiet):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", redirect_uri + "?code=smoke-code&state=smoke-state")
            self.send_header("Content-Length", "0")
            self.end_headers()

    provider = serve(Provider)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(
        [argv[1], "sign-in-window"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    said: list[dict[str, Any]] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:  # the pipe carries its messages and nothing else
                message = {"type": f"not a message: {line[:80]!r}"}
            said.append(message)
            if message.get("type") in ("delivered", "failed", "closed"):
                done.set()
        done.set()

    def send(data: bytes | None) -> None:
        assert proc.stdin is not None
        with contextlib.suppress(OSError):  # it may be gone already: said below
            if data is None:
                proc.stdin.close()
            else:
                proc.stdin.write(data)
                proc.stdin.flush()

    threading.Thread(target=read, daemon=True).start()
    url = f"http://127.0.0.1:{provider.server_address[1]}/auth?client_id=smoke"
    opening = {"type": "open", "url": url, "redirect_uri": redirect_uri,
               "provider": "Smoke", "transient_for": 0}
    send(json.dumps(opening).encode() + b"\n")
    done.wait(TIMEOUT)
    kinds = [m.get("type") for m in said]
    problem = ""
    if kinds[:2] != ["ready", "shown"]:
        problem = f"it said {kinds}, not ready then shown"
    elif {"type": "delivered", "status": 200} not in said:
        problem = f"the redirect was not delivered to the listener (it said {kinds})"
    elif len(heard) != 1 or "Mozilla" in heard[0]:
        problem = f"the listener heard {heard}, not one plain request from the capture"
    send(b'{"type": "close"}\n')
    send(None)
    try:
        status = proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
        problem = problem or "it did not end when told to close"
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if not problem and status != 0:
        problem = f"it ended with status {status}"
    if not problem and "Traceback" in err:
        problem = "a traceback on its stderr"
    listener.shutdown()
    provider.shutdown()
    if problem:
        print(f"signin_window_smoke: {problem}\n{err[-2000:]}", file=sys.stderr)
        return 1
    print("signin_window_smoke: the sign-in window showed a page and delivered its redirect",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
