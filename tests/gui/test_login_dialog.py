"""The embedded sign-in window (QtWebEngine, offscreen) against the real oidc-provider on
its default policy, with the tokens stored in the real gnome-keyring.

The test plays the person on the provider's own login and consent pages by scripting
the page from the test (the app itself never runs script in the provider's page).
"""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QStandardPaths, QUrl

from tests.integration.conftest import secret_service  # noqa: F401 - fixture
from tests.integration.oidc_fixtures import OIDCServer, oidc_server  # noqa: F401 - fixture
from tests.support.secret_service import SecretServiceSession
from tokenmgr.core.oauth import flows
from tokenmgr.core.oauth.signin import SignInRequest, sign_in
from tokenmgr.core.vault import Vault

pytestmark = [pytest.mark.gui, pytest.mark.integration]

# Test-only: fill the provider's login form, or confirm its consent form.
PLAY_THE_PERSON = """
(function () {
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


@pytest.fixture
def vault(secret_service: SecretServiceSession, tmp_path: Path) -> Vault:  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    return Vault(home=tmp_path / "home", env=env)


def _snapshot(*roots: str) -> set[str]:
    out: set[str] = set()
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            out.update(os.path.join(dirpath, n) for n in dirnames + filenames)
    return out


class SignIn:
    """Runs `sign_in` on a worker thread with the GUI's embedded browser plugged in."""

    def __init__(
        self, vault: Vault, req: SignInRequest, *, play_pages: bool = False, **browser: Any
    ) -> None:
        from tokenmgr.gui.login_dialog import EmbeddedBrowser

        self.cancel = threading.Event()
        self.browser = EmbeddedBrowser(self.cancel, **browser)
        self.result: dict[str, Any] = {}
        self.dialogs: list[Any] = []
        self.browser.dialog_opened.connect(self.dialogs.append)
        if play_pages:
            # In the slot, before the event loop can deliver the page's first loadFinished.
            self.browser.dialog_opened.connect(play)
        flows.set_embedded_browser(self.browser)

        def work() -> None:
            try:
                self.result["entry"] = sign_in(
                    vault, req, open_url=self.browser, announce=self._unused, cancel=self.cancel
                )
            except BaseException as e:  # noqa: BLE001 - reported by the test
                self.result["error"] = e

        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()

    @staticmethod
    def _unused(*_args: Any) -> None:
        raise AssertionError("a code-flow sign-in announced a device code")

    def done(self) -> bool:
        return not self.thread.is_alive()

    def close(self) -> None:
        flows.set_embedded_browser(None)
        self.cancel.set()
        self.thread.join(10)


def play(dialog: Any) -> None:
    """Script the provider's pages (test side only) each time one finishes loading.
    Connect it when the dialog opens (`dialog_opened`), before its first page loads."""
    dialog.page.loadFinished.connect(
        lambda ok: dialog.page is not None and dialog.page.runJavaScript(PLAY_THE_PERSON)
    )


def request(server: OIDCServer, **kw: Any) -> SignInRequest:
    base: dict[str, Any] = {
        "name": "web",
        "client_id": "tokenmgr-native",
        "issuer": server.issuer,
        "browser": "embedded",
        "timeout": 60,
    }
    return SignInRequest(**{**base, **kw})


def test_embedded_sign_in_stores_access_and_refresh_tokens(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    oidc_server.reset()
    app_data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    cache = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    before = _snapshot(app_data, cache)
    s = SignIn(vault, request(oidc_server), play_pages=True)
    try:
        qtbot.waitUntil(lambda: bool(s.dialogs) or s.done(), timeout=20000)
        assert s.dialogs, s.result
        dialog = s.dialogs[0]
        profile = dialog.profile
        assert profile.isOffTheRecord()
        # The app adds no script and no web channel to the provider's page (DESIGN §4).
        assert dialog.page.scripts().isEmpty() and profile.scripts().isEmpty()
        assert dialog.page.webChannel() is None
        storage, http_cache = profile.persistentStoragePath(), profile.cachePath()
        # The address bar shows the provider's host and its connection state (local http).
        qtbot.waitUntil(lambda: dialog.host_label.text() == "127.0.0.1", timeout=20000)
        assert dialog.connection == "local" and dialog.state_label.text() == "This computer"
        qtbot.waitUntil(s.done, timeout=45000)
        assert "error" not in s.result, s.result.get("error")
        s.browser.finish()
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    finally:
        s.close()
    entry = vault.entry("web")
    assert {"access", "refresh", "id", "binding"} <= set(entry.secrets)
    assert vault.store.get("web", "refresh")  # in the real gnome-keyring
    auth = oidc_server.stats()["last_auth_params"]
    assert auth["prompt"] == "consent" and "offline_access" in auth["scope"].split()
    assert oidc_server.stats()["token_requests"] == {"authorization_code": 1}
    # Off the record: nothing written under the user's data or cache directories.
    assert not os.path.exists(storage) and not os.path.exists(http_cache)
    assert _snapshot(app_data, cache) - before == set()


def test_cancel_ends_the_sign_in_and_stores_nothing(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    from tokenmgr.core.oauth.loopback import SignInCancelled

    s = SignIn(vault, request(oidc_server))
    try:
        qtbot.waitUntil(lambda: bool(s.dialogs), timeout=20000)
        s.dialogs[0].cancel_button.click()
        qtbot.waitUntil(s.done, timeout=10000)
    finally:
        s.close()
    assert isinstance(s.result.get("error"), SignInCancelled)
    assert vault.list_entries() == []


class _RefusingProvider:
    """A local stand-in for a provider that refuses embedded browsers, as Google does:
    its authorization endpoint answers 403 with `disallowed_useragent`."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                body = (
                    b"<html><head><title>Error 403</title></head><body><h1>Access blocked"
                    b"</h1><p>Error 403: disallowed_useragent</p></body></html>"
                )
                self.send_response(403)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def refusing() -> Iterator[_RefusingProvider]:
    p = _RefusingProvider()
    yield p
    p.close()


def test_disallowed_useragent_switches_to_the_system_browser(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,  # noqa: F811
    refusing: _RefusingProvider,
) -> None:
    """The provider refuses the embedded page; the sign-in goes on in the system browser
    (here: the scripted browser, which completes it at the real server)."""
    import requests

    opened: list[str] = []

    def system_browser(url: str) -> None:
        opened.append(url)
        # The person signs in in their browser, whose redirect reaches the listener.
        real = url.replace(refusing.base + "/auth", oidc_server.authorization_endpoint)

        def person() -> None:
            redirect = oidc_server.browse(real)
            assert redirect is not None
            requests.get(redirect, timeout=10)

        threading.Thread(target=person, daemon=True).start()

    req = request(
        oidc_server,
        authorize_url=refusing.base + "/auth",
        token_url=oidc_server.token_endpoint,
        issuer=None,
        scopes=["openid", "offline_access"],
    )
    s = SignIn(vault, req, open_url=system_browser)
    try:
        qtbot.waitUntil(lambda: bool(s.dialogs), timeout=20000)
        dialog = s.dialogs[0]
        qtbot.waitUntil(lambda: bool(opened), timeout=20000)
        assert dialog.stack.currentWidget() is dialog.waiting
        assert "does not allow signing in from an embedded browser" in dialog.waiting.text()
        qtbot.waitUntil(s.done, timeout=45000)
        assert "error" not in s.result, s.result.get("error")
        s.browser.finish()
    finally:
        s.close()
    assert opened[0].startswith(refusing.base + "/auth?")
    assert "refresh" in vault.entry("web").secrets


def test_address_bar_states() -> None:
    from tokenmgr.gui.login_dialog import connection_state, is_redirect

    assert connection_state(QUrl("https://accounts.example.com/x")) == "secure"
    assert connection_state(QUrl("http://127.0.0.1:8080/x")) == "local"
    assert connection_state(QUrl("http://[::1]:8080/x")) == "local"
    assert connection_state(QUrl("http://localhost.evil.example/x")) == "insecure"
    assert connection_state(QUrl("http://id.example.com/x")) == "insecure"
    assert is_redirect(
        QUrl("http://127.0.0.1:5000/callback?code=x"), "http://127.0.0.1:5000/callback"
    )
    assert not is_redirect(QUrl("http://127.0.0.1:5001/callback"), "http://127.0.0.1:5000/callback")
    assert not is_redirect(QUrl("http://127.0.0.1:5000/other"), "http://127.0.0.1:5000/callback")
