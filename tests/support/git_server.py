"""A git smart-HTTP server for tests: git's own `git http-backend` (the CGI program real
servers run behind Apache or nginx) behind a small https server that demands HTTP Basic
credentials, as GitHub, GitLab and Gitea do for a private repository.

`check(username, password, path)` decides whether a request may pass; a refused or
missing credential gets `401` with `WWW-Authenticate: Basic`, which is what makes git
ask its credential helpers (and, after a refusal, call their `erase`). Every request
is noted in `requests` (method, path, user name, passed) for tests to look at; the
password never is.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.tls import Certificates

Check = Callable[[str, str, str], bool]


@dataclass
class Seen:
    method: str
    path: str
    username: str | None
    passed: bool


def git_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment for git commands that reads no config of the machine's or the
    developer's: its own HOME and global config file, no system config, no prompts."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "TOKENMGR_")) and k not in ("SSH_ASKPASS", "DISPLAY")
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.test",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.test",
    )
    env.update(extra)
    return env


def make_repo(root: Path, name: str, env: dict[str, str]) -> Path:
    """A bare repository `root/name` with one commit (a README) on `main`."""
    work = root.parent / f"{root.name}-seed-{name.replace('/', '-')}"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], env=env, check=True)
    (work / "README").write_text(f"{name}\n")
    subprocess.run(["git", "-C", str(work), "add", "README"], env=env, check=True)
    subprocess.run(["git", "-C", str(work), "commit", "-q", "-m", "seed"], env=env, check=True)
    bare = root / name
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(bare)], env=env, check=True
    )
    shutil.rmtree(work)
    return bare


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the test says what failed

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def _credentials(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        given = self._credentials()
        passed = given is not None and self.server.check(given[0], given[1], path)
        self.server.seen.append(
            Seen(self.command, path, given[0] if given else None, passed)
        )
        body = self._body()
        if not passed:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="tokenmgr test"')
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "13")
            self.end_headers()
            self.wfile.write(b"unauthorized\n")
            return
        assert given is not None
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": given[0] or "user",
            "REMOTE_ADDR": self.client_address[0],
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.server.root),
        }
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        r = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120
        )
        head, sep, payload = r.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = r.stdout.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    check: Check
    seen: list[Seen]


class GitServer:
    """`git http-backend` over https (or plain http) on 127.0.0.1, port 0."""

    def __init__(self, root: Path, check: Check, certs: Certificates | None) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.root = root
        self.server.check = check
        self.server.seen = []
        if certs is not None:
            self.server.socket = certs.server_context().wrap_socket(
                self.server.socket, server_side=True
            )
        self.scheme = "https" if certs is not None else "http"
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, repo: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}/{repo}"

    @property
    def seen(self) -> list[Seen]:
        return self.server.seen

    def set_check(self, check: Check) -> None:
        self.server.check = check

    def start(self) -> GitServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def running(root: Path, check: Check, certs: Certificates | None) -> Iterator[GitServer]:
    server = GitServer(root, check, certs).start()
    try:
        yield server
    finally:
        server.stop()
