"""The real oidc-provider (tests/oidc-server) and the `tokenmgr` sign-ins the tests run
against it.

The fixtures that start it for the session are in tests/support/fixtures_oidc.py, a
plugin of the root conftest, so any test can request ``oidc_server`` by name::

    from tests.support.oidc_server import OIDCServer

    def test_something(oidc_server):
        tokens = oidc_server.get_tokens(client="tokenmgr-es256", scope="openid email")
        id_token = tokens["id_token"]            # a real ES256 ID token
        at = oidc_server.get_tokens(client="tokenmgr-cc",
                                    resource="https://api.example.test")["access_token"]

API of the object the `oidc_server` fixture yields (an `OIDCServer`):

- ``issuer`` (``http://127.0.0.1:PORT/oidc`` - it has a path), ``base``
  (``http://127.0.0.1:PORT``), ``port``, ``jwks_uri``, ``discovery()`` (the metadata dict).
- ``get_tokens(client="tokenmgr-native", scope="openid", resource=None, login="alice")``:
  a real token response (dict with ``access_token``, ``token_type``, ``expires_in`` and, for the
  code flow, ``id_token`` and ``refresh_token``). ``client="tokenmgr-cc"`` uses client credentials
  (no ID token); any other client runs the scripted code + PKCE flow.
  A refresh token comes only with ``offline_access`` in ``scope`` (sent with ``prompt=consent``,
  as the server's default policy wants).
  ID tokens are RS256 except for ``tokenmgr-es256`` (ES256). Access tokens are opaque unless
  ``resource`` is given: ``https://api.example.test`` gives an RS256 JWT access token,
  ``https://api-es.example.test`` an ES256 one (``aud`` = the resource).
- ``browse(auth_url, login="alice")``: plays the person's browser with plain ``requests``
  (login page, consent page) and returns the URL the provider redirects to (the client's
  redirect URI with ``code``, ``state`` and ``iss``); the redirect itself is NOT followed.
- ``approve_device(verification_uri_complete)`` or ``approve_device(verification_uri,
  user_code=CODE)``: enters/confirms a device user code, signs in and consents.
- ``CliProcess(args, env)``: a ``tokenmgr`` subprocess whose stderr lines can be awaited
  (``wait_for_line(prefix)``); ``browser_login(server, env, args)``, which runs ``tokenmgr
  ARGS``, reads the ``Open this URL to sign in:`` line, drives the pages and lets the redirect
  hit tokenmgr's loopback listener; ``scripted_login(server, env, NAME, *extra)``, the same for
  ``tokenmgr login NAME --issuer ... --browser none``; ``device_login(server, env)``, which
  runs ``tokenmgr login tv --flow device`` and approves the code it shows.
- ``fresh_server``: a fixture that resets the server's counters, faults and config
  (``pytestmark = pytest.mark.usefixtures("fresh_server")``).
- ``split_metadata_server``: a second server, for the session, in the named configuration
  ``split-metadata`` (server.mjs): issuer ``http://127.0.0.1:PORT/realms/tokenmgr``; its
  OpenID document leaves out the revocation, introspection and device authorization
  endpoints, which only its RFC 8414 metadata (``rfc8414()``) lists;
  ``configure(metadata="none")`` takes them out of both (they still work), ``"full"``
  puts them in both. ``fresh_split_metadata_server`` resets it for one test.
- Test knobs (see server.mjs): ``stats()``, ``reset()`` (counters, faults, config),
  ``fault(endpoint, mode, count=1, grant_type=None)`` with endpoint ``token`` /
  ``revocation`` / ``discovery`` and mode ``html`` / ``500`` / ``no_access_token`` /
  ``slow_down`` / ``drop`` / ``error`` (with ``error="access_denied"`` etc.),
  ``configure(oidc_discovery=..., device_interval=..., access_token_ttl=..., short_ttl=...,
  metadata=...)``; ``stats()`` counts token requests, refreshes, revocations (with their
  hints), device polls and introspections.

Clients registered in server.mjs (``CLIENTS``): ``tokenmgr-native`` (public, code+PKCE,
refresh, device; redirect ``http://127.0.0.1/callback`` on any port), ``tokenmgr-short`` (same,
access tokens live OIDC_SHORT_TTL = 4 s), ``tokenmgr-norotate`` (refresh tokens not rotated),
``tokenmgr-norefresh`` (no refresh_token grant: never a refresh token),
``tokenmgr-device`` (device flow only), ``tokenmgr-cc`` (confidential, client credentials,
secret ``CC_SECRET`` holding ``: % + / =`` and a space), ``tokenmgr-es256`` (ES256 ID tokens).
The server keeps oidc-provider's default policies: refresh tokens only for ``offline_access``
requested with ``prompt=consent``; public clients' refresh tokens rotate, except for
``tokenmgr-norotate`` (a named quirk).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.oauth import device_args, login_args

SERVER_DIR = Path(__file__).resolve().parent.parent / "oidc-server"
CC_SECRET = "c0nf:dential%20+/=secret with space"
CLIENTS = (
    "tokenmgr-native",
    "tokenmgr-short",
    "tokenmgr-norotate",
    "tokenmgr-norefresh",
    "tokenmgr-device",
    "tokenmgr-cc",
    "tokenmgr-es256",
)
API_RS256 = "https://api.example.test"
API_ES256 = "https://api-es.example.test"
DEFAULT_REDIRECT = "http://127.0.0.1:9/callback"  # any port is accepted for native clients


class _Forms(HTMLParser):
    """Collects <form> elements with their <input> fields (name → value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._current = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "id": a.get("id", ""),
                "fields": {},
            }
            self.forms.append(self._current)
        elif tag == "input" and "name" in a:
            target = self._current
            if a.get("form"):
                target = next((f for f in self.forms if f["id"] == a["form"]), target)
            if target is not None:
                target["fields"][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


class OIDCServer:
    """A running oidc-provider; see the module docstring for the API."""

    def __init__(self, proc: subprocess.Popen[bytes], info: dict[str, Any], log: Path) -> None:
        self.proc = proc
        self.issuer: str = info["issuer"]
        self.base: str = info["base"]
        self.port: int = int(info["port"])
        self.profile: str = info.get("profile", "default")
        self.log = log
        self.cc_secret = CC_SECRET
        self.jwks_uri = self.issuer + "/jwks"
        self.token_endpoint = self.issuer + "/token"
        self.authorization_endpoint = self.issuer + "/auth"
        self.revocation_endpoint = self.issuer + "/token/revocation"
        self.introspection_endpoint = self.issuer + "/token/introspection"
        self.device_authorization_endpoint = self.issuer + "/device/auth"

    # ------------------------------------------------------------ test knobs

    def _post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        r = requests.post(self.base + path, json=data or {}, timeout=10)
        r.raise_for_status()
        return r.json()

    def stats(self) -> dict[str, Any]:
        r = requests.get(self.base + "/test/stats", timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def reset(self) -> None:
        self._post("/test/reset")

    def fault(
        self,
        endpoint: str,
        mode: str,
        count: int = 1,
        grant_type: str | None = None,
        error: str | None = None,
    ) -> None:
        data: dict[str, Any] = {"endpoint": endpoint, "mode": mode, "count": count}
        if grant_type:
            data["grant_type"] = grant_type
        if error:
            data["error"] = error
        self._post("/test/fault", data)

    def configure(self, **knobs: Any) -> dict[str, Any]:
        return dict(self._post("/test/config", knobs))

    def discovery(self) -> dict[str, Any]:
        """The OpenID discovery document."""
        r = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def rfc8414(self) -> dict[str, Any]:
        """The RFC 8414 metadata (the issuer's path after the well-known suffix, §3.1)."""
        path = self.issuer[len(self.base) :]
        r = requests.get(
            self.base + "/.well-known/oauth-authorization-server" + path, timeout=10
        )
        r.raise_for_status()
        return dict(r.json())

    # ------------------------------------------------------- browser playing

    def browse(
        self,
        url: str,
        *,
        login: str = "alice",
        user_code: str | None = None,
        session: requests.Session | None = None,
        max_steps: int = 25,
    ) -> str | None:
        """Follow `url` through the provider's pages like a person would.

        Returns the first redirect that leaves the provider (the client's redirect
        URI, not fetched), or None when the flow ends on a page without a form
        (the device flow's "success" page).
        """
        s = session or requests.Session()
        method, data = "GET", None
        for _ in range(max_steps):
            if method == "GET":
                r = s.get(url, allow_redirects=False, timeout=10)
            else:
                r = s.post(url, data=data, allow_redirects=False, timeout=10)
            if r.is_redirect or r.status_code in (301, 302, 303, 307, 308):
                nxt = urllib.parse.urljoin(url, r.headers["Location"])
                if not nxt.startswith(self.base + "/"):
                    return nxt
                url, method, data = nxt, "GET", None
                continue
            if r.status_code >= 400:
                raise AssertionError(f"provider answered {r.status_code} at {url}: {r.text[:500]}")
            parser = _Forms()
            parser.feed(r.text)
            forms = [f for f in parser.forms if f["method"] == "post"]
            forms = [f for f in forms if "abort" not in f["fields"]] or forms
            if not forms:
                return None
            form = forms[0]
            fields = dict(form["fields"])
            if "login" in fields:
                fields["login"] = login
            if "password" in fields:
                fields["password"] = "any-password"
            if "user_code" in fields and user_code and not fields["user_code"]:
                fields["user_code"] = user_code
            url = urllib.parse.urljoin(r.url, form["action"] or r.url)
            method, data = "POST", fields
        raise AssertionError(f"the sign-in pages did not end after {max_steps} steps")

    def approve_device(
        self, verification_uri: str, *, user_code: str | None = None, login: str = "alice"
    ) -> None:
        """Approve a device sign-in: `verification_uri_complete`, or the URI and the code."""
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(verification_uri).query)
        code = user_code or q.get("user_code", [None])[0]
        self.browse(verification_uri, login=login, user_code=code)

    # ----------------------------------------------------------- real tokens

    def authorization_url(
        self,
        *,
        client: str = "tokenmgr-native",
        scope: str = "openid",
        redirect_uri: str = DEFAULT_REDIRECT,
        state: str | None = None,
        nonce: str | None = None,
        code_challenge: str | None = None,
        resource: str | None = None,
        **extra: str,
    ) -> str:
        params = {
            "response_type": "code",
            "client_id": client,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state or secrets.token_urlsafe(16),
        }
        if nonce:
            params["nonce"] = nonce
        if code_challenge:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        if resource:
            params["resource"] = resource
        params.update(extra)
        return self.authorization_endpoint + "?" + urllib.parse.urlencode(params)

    def get_tokens(
        self,
        client: str = "tokenmgr-native",
        scope: str = "openid",
        resource: str | None = None,
        login: str = "alice",
        prompt: str | None = "auto",
    ) -> dict[str, Any]:
        """A real token response from the provider (see the module docstring).

        `prompt`: "auto" sends prompt=consent when offline_access is asked for; None
        sends no prompt; any other value is sent as it is."""
        if client == "tokenmgr-cc":
            data = {"grant_type": "client_credentials"}
            if resource:
                data["resource"] = resource
                data["scope"] = "api:read"
            r = requests.post(
                self.token_endpoint,
                data=data,
                auth=(
                    urllib.parse.quote_plus("tokenmgr-cc"),
                    urllib.parse.quote_plus(CC_SECRET),
                ),
                timeout=10,
            )
            r.raise_for_status()
            return dict(r.json())
        verifier, challenge = pkce_pair()
        nonce = secrets.token_urlsafe(16)
        # offline_access counts only with prompt=consent (OIDC Core §11; the server's default).
        if prompt == "auto":
            prompt = "consent" if "offline_access" in scope.split() else None
        extra = {"prompt": prompt} if prompt else {}
        url = self.authorization_url(
            client=client,
            scope=scope,
            nonce=nonce,
            code_challenge=challenge,
            resource=resource,
            **extra,
        )
        redirect = self.browse(url, login=login)
        assert redirect is not None, "the provider did not redirect back"
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)
        assert "code" in q, f"no code in the redirect: {q.get('error')}"
        data = {
            "grant_type": "authorization_code",
            "code": q["code"][0],
            "redirect_uri": DEFAULT_REDIRECT,
            "client_id": client,
            "code_verifier": verifier,
        }
        if resource:
            data["resource"] = resource
        r = requests.post(self.token_endpoint, data=data, timeout=10)
        r.raise_for_status()
        out = dict(r.json())
        out["nonce"] = nonce
        return out

    # ----------------------------------------------------------------- life

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def ensure_node_modules() -> None:
    if (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: cannot run the oidc-provider test server (make deps)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SERVER_DIR, check=True, timeout=300)


def start_server(log: Path, env: dict[str, str] | None = None) -> OIDCServer:
    ensure_node_modules()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: cannot run the oidc-provider test server (make deps)")
    errf = open(log, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [node, "server.mjs"],
        cwd=SERVER_DIR,
        stdout=subprocess.PIPE,
        stderr=errf,
        env={**os.environ, **(env or {})},
    )
    errf.close()
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(90)  # node compiles oidc-provider and makes RSA keys: slow on a busy machine
    if not line or not line[0].strip():
        proc.kill()
        raise RuntimeError(f"oidc-provider did not start; see {log}:\n{log.read_text()[-2000:]}")
    info = json.loads(line[0])
    server = OIDCServer(proc, info, log)
    deadline = time.monotonic() + 15
    while True:
        try:
            server.discovery()
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.1)
    return server


# --------------------------------------------------------------- CLI helpers


class CliProcess:
    """A running `tokenmgr ...` subprocess whose stderr is read line by line as it comes."""

    def __init__(self, args: list[str], env: dict[str, str], stdin: bytes | None = None) -> None:
        import queue
        import sys

        self.args = args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin is not None
        if stdin is not None:
            self.proc.stdin.write(stdin)
        self.proc.stdin.close()
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_lines: list[str] = []
        self._out: list[bytes] = []

        def pump_err() -> None:
            assert self.proc.stderr is not None
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.stderr_lines.append(line)
                self.lines.put(line)
            self.lines.put(None)

        def pump_out() -> None:
            assert self.proc.stdout is not None
            self._out.append(self.proc.stdout.read())

        self._threads = [
            threading.Thread(target=pump_err, daemon=True),
            threading.Thread(target=pump_out, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def wait_for_line(self, prefix: str, timeout: float = 30) -> str:
        """The rest of the first stderr line starting with `prefix`."""
        import queue

        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {prefix!r} line; stderr so far: {self.stderr_lines}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(5)
                raise AssertionError(
                    f"tokenmgr exited ({self.proc.returncode}) before {prefix!r}: "
                    f"{self.stderr_lines}"
                )
            if line.startswith(prefix):
                return line[len(prefix) :]

    def finish(self, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise
        for t in self._threads:
            t.join(5)
        return subprocess.CompletedProcess(
            self.args,
            self.proc.returncode,
            b"".join(self._out).decode("utf-8", "replace"),
            "\n".join(self.stderr_lines) + ("\n" if self.stderr_lines else ""),
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


SIGN_IN_PREFIX = "Open this URL to sign in: "


def browser_login(
    server: OIDCServer,
    env: dict[str, str],
    args: list[str],
    *,
    login: str = "alice",
    timeout: float = 60,
    tamper: Callable[[str], str] | None = None,
    on_redirect: Callable[[str], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`tokenmgr ARGS` (a sign-in with ``--browser none``) completed by the scripted browser.

    `tamper` may change the sign-in URL before the browser opens it; `on_redirect` sees the
    redirect back to tokenmgr before it is delivered (and must answer 200).
    """
    p = CliProcess(args, env)
    try:
        url = p.wait_for_line(SIGN_IN_PREFIX)
        redirect = server.browse(tamper(url) if tamper else url, login=login)
        assert redirect is not None
        if on_redirect is not None:
            on_redirect(redirect)
        page = requests.get(redirect, timeout=10)
        assert page.status_code == 200, page.text
        return p.finish(timeout)
    finally:
        p.kill()


def scripted_login(
    server: OIDCServer,
    env: dict[str, str],
    name: str,
    *extra: str,
    client: str = "tokenmgr-native",
    debug: bool = False,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    """`tokenmgr login NAME --issuer ... --browser none` completed by the scripted browser
    (keyword arguments as for `browser_login`)."""
    args = login_args(name, server.issuer, client, "--browser", "none", *extra)
    return browser_login(server, env, ["--debug", *args] if debug else args, **kwargs)


def device_login(
    server: OIDCServer, env: dict[str, str], *, debug: bool = False
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """`tokenmgr login tv --flow device`, approved with the code it shows.

    Returns the finished process, the verification URL and the user code it printed.
    """
    args = device_args(server.issuer)
    p = CliProcess(["--debug", *args] if debug else args, env)
    try:
        url = p.wait_for_line("Verification URL: ")
        code = p.wait_for_line("User code: ")
        server.approve_device(url, user_code=code)
        return p.finish(), url, code
    finally:
        p.kill()
