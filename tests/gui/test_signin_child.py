"""The embedded sign-in, end to end, with its window in a process of its own: the app's
sign-in controller (gui/signin.py) starts `tokenmgr sign-in-window`, the real
oidc-provider (default policy) serves its pages, the tokens go to the real
gnome-keyring. The test plays the person on the provider's pages through Chromium's
DevTools protocol (tests/support/devtools.py); the app has no hook for it.

Offscreen, as the rest of the window tests; what needs a window manager (stacking,
Escape, the person's Cancel, quitting) is in test_signin_xvfb.py.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from tests.support.oidc_server import OIDCServer
from tests.support.secret_service import SecretServiceSession
from tests.support.signin import (
    AppEnv,
    ListenerSpy,
    browser_helpers,
    session_members,
    wait_gone,
)
from tokenmgr.core.oauth.signin import SignInRequest
from tokenmgr.core.vault import Vault

pytestmark = [
    pytest.mark.gui,
    pytest.mark.integration,
    pytest.mark.usefixtures("no_window_left"),
]


@pytest.fixture
def vault(secret_service: SecretServiceSession, tmp_path: Path) -> Vault:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    return Vault(home=tmp_path / "home", env=env)


@pytest.fixture
def controller(qtbot: Any, vault: Vault, app_env: AppEnv) -> Any:
    from tokenmgr.gui.signin import SignInController
    from tokenmgr.gui.tasks import Tasks

    tasks = Tasks()
    c = SignInController(vault, tasks, env=app_env.env)
    started: list[int] = []
    yield c
    if c.browser is not None:
        started.append(c.browser.window.pid())
    c.cancel()
    tasks.wait(20_000)
    # A window a failed test left open must not outlive it.
    assert wait_gone(started, qtbot=qtbot) == []


def request(server: OIDCServer, **kw: Any) -> SignInRequest:
    base: dict[str, Any] = {
        "name": "web",
        "client_id": "tokenmgr-native",
        "issuer": server.issuer,
        "browser": "embedded",
        "timeout": 60,
    }
    return SignInRequest(**{**base, **kw})


def started_window(qtbot: Any, c: Any) -> Any:
    """The sign-in window's process, once it shows the provider's page."""
    assert c.browser is not None, "no sign-in window was started"
    window = c.browser.window
    with qtbot.waitSignal(window.shown, timeout=30_000):
        pass
    return window


def test_embedded_sign_in_stores_the_tokens_through_the_window_process(
    qtbot: Any,
    controller: Any,
    vault: Vault,
    app_env: AppEnv,
    oidc_server: OIDCServer,
    listener_spy: ListenerSpy,
) -> None:
    oidc_server.reset()
    person = app_env.person()
    delivered: list[int] = []
    try:
        with qtbot.waitSignal(controller.signed_in, timeout=60_000) as done:
            controller.start(request(oidc_server))
            window = controller.browser.window
            window.delivered.connect(delivered.append)
            pid = window.pid()
    finally:
        person.stop()
    entry, note = done.args
    assert entry.name == "web" and note == ""
    assert {"access", "refresh", "id", "binding"} <= set(vault.entry("web").secrets)
    assert vault.store.get("web", "refresh")  # in the real gnome-keyring
    assert oidc_server.stats()["token_requests"] == {"authorization_code": 1}
    # The page was shown by another process, which is gone with its browser.
    assert pid and pid != os.getpid()
    assert wait_gone([pid, *session_members(pid)], qtbot=qtbot) == []
    # The listener heard the redirect once, from the window's capture: a plain request,
    # not Chromium following the redirect (its User-Agent names the browser).
    assert delivered == [200]
    assert len(listener_spy.requests) == 1, listener_spy.requests
    assert listener_spy.requests[0][0] == "/callback"
    agent = listener_spy.user_agents()[0]
    assert agent.startswith("Python-urllib/") and "Mozilla" not in agent
    assert person.submitted >= 2  # the login page and the consent page
    # Off the record: nothing of the browser's written under the user's data or cache
    # directories (only the graphics driver's shader cache, which holds no page).
    written = [*app_env.data.rglob("*"), *app_env.cache.rglob("*")]
    assert [p for p in written if "mesa_shader_cache" not in p.parts] == []


def test_no_secret_and_no_url_on_the_window_process_command_line(
    qtbot: Any,
    controller: Any,
    oidc_server: OIDCServer,
) -> None:
    controller.start(request(oidc_server))
    window = started_window(qtbot, controller)
    with open(f"/proc/{window.pid()}/cmdline", "rb") as f:
        argv = f.read().rstrip(b"\0").decode().split("\0")
    with open(f"/proc/{window.pid()}/environ", "rb") as f:
        environ = f.read().decode(errors="replace")
    assert argv[-1] == "sign-in-window"
    assert not any("http" in a or "state" in a for a in argv)
    assert oidc_server.base not in environ and "code_challenge" not in environ
    with qtbot.waitSignal(controller.cancelled, timeout=20_000):
        controller.cancel()


def test_cancel_in_the_app_ends_the_sign_in_and_the_window(
    qtbot: Any,
    controller: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    controller.start(request(oidc_server))
    window = started_window(qtbot, controller)
    pid = window.pid()
    helpers = browser_helpers(pid)
    assert helpers
    with qtbot.waitSignal(controller.cancelled, timeout=20_000):
        controller.cancel()
    assert wait_gone([pid, *helpers], qtbot=qtbot) == []
    assert vault.list_entries() == []
    assert not controller.running()


def test_a_window_process_that_dies_ends_the_sign_in_with_a_sentence(
    qtbot: Any,
    controller: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    controller.start(request(oidc_server))
    window = started_window(qtbot, controller)
    redirect = controller.browser.redirect_uri
    assert port_open(redirect)  # the listener waits
    pid = window.pid()
    helpers = session_members(pid)
    assert browser_helpers(pid)  # its browser runs, in its session
    with qtbot.waitSignal(controller.failed, timeout=20_000) as failed:
        os.kill(pid, signal.SIGKILL)
    assert failed.args[0] == "The sign-in window closed unexpectedly; nothing was stored."
    assert vault.list_entries() == []
    assert not controller.running()
    assert not port_open(redirect)  # the listener is closed
    assert wait_gone(helpers, qtbot=qtbot) == []


def test_the_person_declining_at_the_provider_is_said_as_such(
    qtbot: Any,
    controller: Any,
    vault: Vault,
    app_env: AppEnv,
    oidc_server: OIDCServer,
) -> None:
    person = app_env.person(decline=True)
    try:
        with qtbot.waitSignal(controller.failed, timeout=60_000) as failed:
            controller.start(request(oidc_server))
    finally:
        person.stop()
    text = failed.args[0]
    assert text.startswith("The sign-in was declined at the provider (access_denied")
    assert "cancelled" not in text
    assert vault.list_entries() == []


def test_a_provider_error_page_names_the_client_id(
    qtbot: Any,
    controller: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    """An unknown client id: the provider cannot trust the redirect URI and shows its own
    error page. The sign-in ends at once, saying what the provider refused."""
    with qtbot.waitSignal(controller.failed, timeout=60_000) as failed:
        controller.start(request(oidc_server, client_id="no-such-client"))
    text = failed.args[0]
    assert text.startswith("The provider refused client id 'no-such-client' (invalid_client")
    assert "check the client id registered at the provider" in text
    assert vault.list_entries() == []


def port_open(url: str) -> bool:
    import socket
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


class _RefusingProvider:
    """A local stand-in for a provider that refuses embedded browsers, as Google does:
    its authorization endpoint answers 403 with `disallowed_useragent`."""

    def __init__(self) -> None:
        import http.server
        import threading

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


def test_disallowed_useragent_hands_the_sign_in_to_the_system_browser(
    qtbot: Any,
    vault: Vault,
    app_env: AppEnv,
    oidc_server: OIDCServer,
) -> None:
    """The provider refuses the embedded page: the window's process ends, the app opens
    the system browser (here a stand-in that completes the sign-in at the real server)
    and waits with a window that says why."""
    import threading

    import requests

    from tokenmgr.gui.signin import SignInController, WaitingDialog
    from tokenmgr.gui.tasks import Tasks

    refusing = _RefusingProvider()
    opened: list[str] = []

    def system_browser(url: str) -> None:
        opened.append(url)
        real = url.replace(refusing.base + "/auth", oidc_server.authorization_endpoint)

        def person() -> None:
            redirect = oidc_server.browse(real)
            assert redirect is not None
            requests.get(redirect, timeout=10)

        threading.Thread(target=person, daemon=True).start()

    tasks = Tasks()
    c = SignInController(vault, tasks, env=app_env.env, open_system_browser=system_browser)
    req = request(
        oidc_server,
        authorize_url=refusing.base + "/auth",
        token_url=oidc_server.token_endpoint,
        issuer=None,
        scopes=["openid", "offline_access"],
    )
    try:
        with qtbot.waitSignal(c.signed_in, timeout=60_000):
            c.start(req)
            window = c.browser.window
            pid = window.pid()
            qtbot.waitUntil(lambda: bool(opened), timeout=30_000)
            waiting = [w for w in c._windows if isinstance(w, WaitingDialog)]
            assert len(waiting) == 1
            assert "does not allow signing in from an embedded browser" in waiting[0].findChild(
                QLabel
            ).text()
            assert wait_gone([pid], qtbot=qtbot) == []  # the window's process went at once
    finally:
        c.cancel()
        tasks.wait(20_000)
        refusing.close()
    assert opened[0].startswith(refusing.base + "/auth?")
    assert "refresh" in vault.entry("web").secrets
