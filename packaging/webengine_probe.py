"""Build-time probe: does QtWebEngine work from the trimmed, frozen file set?

`packaging/build_deb.sh` freezes this script with the same spec (and so the same
trimming: en-US locale only, no DevTools pack, the kept plugins) into build/probe/,
and runs it offscreen. It loads a page from a loopback HTTP server into a
QWebEngineView on an off-the-record profile, as the sign-in window does, and
exits 0 once the page's title came back through QtWebEngineProcess. The app's own
`gui --smoke-test` proves the window but, on purpose, never loads QtWebEngine.
"""

from __future__ import annotations

import http.server
import sys
import threading

import shiboken6
from PySide6.QtCore import QTimer, QUrl
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication

TITLE = "tokenmgr webengine probe"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = f"<!doctype html><title>{TITLE}</title><p>ok</p>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Chromium asks for more (a favicon) and hangs up when the probe quits: a
        # connection it dropped is not a failure, and no traceback for the build to see.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def main() -> int:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app = QApplication(sys.argv)
    profile = QWebEngineProfile(None)  # off the record
    page = QWebEnginePage(profile)
    view = QWebEngineView()
    view.setPage(page)
    result: list[bool] = []

    def finished(ok: bool) -> None:
        result.append(ok and view.title() == TITLE)
        app.quit()

    view.loadFinished.connect(finished)
    view.load(QUrl(f"http://127.0.0.1:{server.server_address[1]}/"))
    view.show()
    QTimer.singleShot(60_000, app.quit)
    app.exec()
    ok = bool(result and result[0])
    # The page goes before its profile (QtWebEngine warns otherwise).
    shiboken6.delete(view)
    shiboken6.delete(page)
    shiboken6.delete(profile)
    server.shutdown()
    print("webengine probe: page loaded" if ok else f"webengine probe: FAILED ({result})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
