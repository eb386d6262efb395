"""Helpers shared by the OAuth tests: `tokenmgr` command lines, the vault behind a CLI
environment, reading JWT segments without verifying them, and an endpoint that records
what reaches it."""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli
from tokenmgr.core.rules import now_utc
from tokenmgr.core.vault import Vault


def tm(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`tokenmgr ARGS` as a subprocess (see `run_cli`)."""
    return run_cli(list(args), env, stdin=stdin)


def login_args(name: str, issuer: str, client: str, *extra: str) -> list[str]:
    """`login NAME --issuer ISSUER --client-id CLIENT EXTRA...`"""
    return ["login", name, "--issuer", issuer, "--client-id", client, *extra]


def device_args(issuer: str, *extra: str) -> list[str]:
    """`login tv` with the device flow and the `tokenmgr-device` client."""
    return login_args("tv", issuer, "tokenmgr-device", "--flow", "device", *extra)


def cc_args(issuer: str, *extra: str) -> list[str]:
    """`login svc` with client credentials (`tokenmgr-cc`), the secret read from stdin."""
    return login_args(
        "svc",
        issuer,
        "tokenmgr-cc",
        "--flow",
        "client-credentials",
        "--client-secret-stdin",
        *extra,
    )


def vault_of(env: dict[str, str]) -> Vault:
    return Vault(home=Path(env["TOKENMGR_HOME"]), env=env)


def secret(env: dict[str, str], name: str, field: str) -> str | None:
    return vault_of(env).store.get(name, field)


def expire(env: dict[str, str], name: str, left: timedelta = timedelta(seconds=-1)) -> None:
    """Make the stored access token look issued an hour ago and expiring `left` from now
    (by default: expired a second ago). Only the index's times change."""
    vault = vault_of(env)
    entry = vault.entry(name)
    entry.issued_at = now_utc() - timedelta(hours=1)
    entry.expires_at = now_utc() + left
    vault.update_entry(entry)


def nothing_stored(env: dict[str, str]) -> bool:
    r = tm(env, "list", "--json")
    return r.returncode == 0 and json.loads(r.stdout) == []


def _segment(token: str, index: int) -> dict[str, Any]:
    seg = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))))


def jwt_header(token: str) -> dict[str, Any]:
    """The JOSE header of a JWT, not verified."""
    return _segment(token, 0)


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, not verified."""
    return _segment(token, 1)


class TrapEndpoint:
    """A local HTTP server that records every request and answers each with a token: where
a test points an edited index, to see that nothing (no secret) is sent there."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        trap = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                trap.requests.append((self.command, self.path, self.rfile.read(n)))
                body = json.dumps({"access_token": "stolen", "token_type": "Bearer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _any  # noqa: N815

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
