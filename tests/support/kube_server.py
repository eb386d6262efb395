"""A stand-in Kubernetes API server for kubectl: https with a certificate kubectl trusts
through the kubeconfig's certificate-authority-data, the discovery documents
(`/version`, `/api`, `/apis`, `/api/v1`) and one pod list, each answered only with the
right bearer token (`check`; anything else gets the API server's 401 Status). Requests are
noted (path, whether the bearer was right) for tests to count."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.tls import Certificates

POD = "web-1"

_DOCS: dict[str, dict[str, Any]] = {
    "/version": {
        "major": "1",
        "minor": "29",
        "gitVersion": "v1.29.0",
        "platform": "linux/amd64",
    },
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            {
                "name": "pods",
                "singularName": "pod",
                "namespaced": True,
                "kind": "Pod",
                "verbs": ["get", "list"],
                "shortNames": ["po"],
            }
        ],
    },
    "/api/v1/namespaces/default/pods": {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "1"},
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": POD,
                    "namespace": "default",
                    "creationTimestamp": "2026-01-01T00:00:00Z",
                },
                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                "status": {"phase": "Running"},
            }
        ],
    },
}


@dataclass
class Seen:
    path: str
    passed: bool


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, code: int, doc: dict[str, Any]) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        scheme, _, bearer = (self.headers.get("Authorization") or "").partition(" ")
        passed = scheme == "Bearer" and self.server.check(bearer)
        self.server.seen.append(Seen(path, passed))
        if not passed:
            self._send(
                401,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Failure",
                    "message": "Unauthorized",
                    "reason": "Unauthorized",
                    "code": 401,
                },
            )
            return
        doc = _DOCS.get(path)
        if doc is None:
            self._send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                             "reason": "NotFound", "code": 404, "message": "not found"})
            return
        self._send(200, doc)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    check: Callable[[str], bool]
    seen: list[Seen]


class KubeServer:
    """`check(bearer)` says whether a bearer token passes."""

    def __init__(self, check: Callable[[str], bool], certs: Certificates) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.check = check
        self.server.seen = []
        self.server.socket = certs.server_context().wrap_socket(
            self.server.socket, server_side=True
        )
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def seen(self) -> list[Seen]:
        return self.server.seen



@contextmanager
def running(check: Callable[[str], bool], certs: Certificates) -> Iterator[KubeServer]:
    kube = KubeServer(check, certs)
    kube._thread.start()
    try:
        yield kube
    finally:
        kube.server.shutdown()
        kube.server.server_close()
