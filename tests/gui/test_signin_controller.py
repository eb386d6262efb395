"""The window's sign-in controller (gui/signin.py) end to end against the real
oidc-provider and gnome-keyring: system browser, embedded browser, signing in again."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.oidc_server import OIDCServer
from tests.support.secret_service import SecretServiceSession
from tests.support.signin import AppEnv
from tokenmgr.core.oauth.signin import SignInRequest, request_again
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


def controller(vault: Vault, **kw: Any) -> Any:
    from tokenmgr.gui.signin import SignInController
    from tokenmgr.gui.tasks import Tasks

    return SignInController(vault, Tasks(), **kw)


def test_system_browser_sign_in_waits_then_stores_the_tokens(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    opened: list[str] = []

    def person_in_their_browser(url: str) -> None:
        opened.append(url)

        def go() -> None:
            redirect = oidc_server.browse(url)
            assert redirect is not None
            requests.get(redirect, timeout=10)

        threading.Thread(target=go, daemon=True).start()

    c = controller(vault, open_system_browser=person_in_their_browser)
    req = SignInRequest(
        name="work", client_id="tokenmgr-native", issuer=oidc_server.issuer, browser="system"
    )
    with qtbot.waitSignal(c.signed_in, timeout=45000) as done:
        c.start(req)
    entry, note = done.args
    assert entry.name == "work" and note == ""
    assert opened and opened[0].startswith(oidc_server.authorization_endpoint)
    assert {"access", "refresh"} <= set(vault.entry("work").secrets)
    assert not c.running()


def test_embedded_sign_in_through_the_controller_then_sign_in_again(
    qtbot: Any,
    vault: Vault,
    app_env: AppEnv,
    oidc_server: OIDCServer,
) -> None:
    c = controller(vault, env=app_env.env)
    windows: list[int] = []

    def on_started() -> None:
        # Right after start(): the sign-in window's process was started.
        assert c.browser is not None
        windows.append(c.browser.window.pid())

    req = SignInRequest(
        name="work", client_id="tokenmgr-native", issuer=oidc_server.issuer, browser="embedded"
    )
    person = app_env.person()
    try:
        with qtbot.waitSignal(c.signed_in, timeout=45000):
            c.start(req)
            on_started()
        first = vault.store.get("work", "refresh")
        assert first and len(windows) == 1
        # "Sign in again" repeats it with the same settings, in a new window process.
        again = request_again(vault.entry("work"))
        assert again.issuer == oidc_server.issuer and again.browser == "embedded"
        with qtbot.waitSignal(c.signed_in, timeout=45000):
            c.start_again(vault.entry("work"))
            on_started()
    finally:
        person.stop()
    assert len(windows) == 2 and windows[0] != windows[1]
    assert vault.store.get("work", "refresh") not in (None, first)


def test_client_credentials_sign_in_again_reuses_the_stored_secret(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    c = controller(vault)
    req = SignInRequest(
        name="svc",
        client_id="tokenmgr-cc",
        issuer=oidc_server.issuer,
        flow="client-credentials",
        client_secret=oidc_server.cc_secret,
    )
    with qtbot.waitSignal(c.signed_in, timeout=30000):
        c.start(req)
    old = vault.store.get("svc", "access")
    with qtbot.waitSignal(c.signed_in, timeout=30000):
        c.start_again(vault.entry("svc"))
    assert vault.store.get("svc", "client_secret") == oidc_server.cc_secret
    assert vault.store.get("svc", "access") != old


def test_cancel_and_a_failure_are_reported(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    c = controller(vault, open_system_browser=lambda url: None)
    req = SignInRequest(
        name="work", client_id="tokenmgr-native", issuer=oidc_server.issuer, browser="system"
    )
    with qtbot.waitSignal(c.cancelled, timeout=30000):
        c.start(req)
        qtbot.waitUntil(lambda: len(c._windows) == 2, timeout=20000)  # the waiting window
        c._windows[1].cancel_button.click()
    assert vault.list_entries() == []
    bad = SignInRequest(name="x", client_id="nobody", issuer=oidc_server.issuer + "/nope")
    with qtbot.waitSignal(c.failed, timeout=30000) as failed:
        c.start(bad)
    assert "Traceback" not in failed.args[0] and failed.args[0].endswith(".")


def test_sign_in_again_refuses_settings_the_index_changed(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    """An edited token_url must not receive the stored client secret: an entry's endpoints
    are bound to the secrets stored with them, so whoever can write entries.json cannot
    send them elsewhere."""
    from tests.support.oauth import TrapEndpoint

    c = controller(vault)
    req = SignInRequest(
        name="svc",
        client_id="tokenmgr-cc",
        issuer=None,
        token_url=oidc_server.token_endpoint,
        flow="client-credentials",
        client_secret=oidc_server.cc_secret,
    )
    with qtbot.waitSignal(c.signed_in, timeout=30000):
        c.start(req)
    trap = TrapEndpoint()
    try:
        entry = vault.entry("svc")
        assert entry.oauth is not None
        entry.oauth.token_url = trap.url  # what an edit of entries.json does
        vault.update_entry(entry)
        with qtbot.waitSignal(c.failed, timeout=30000) as failed:
            c.start_again(vault.entry("svc"))
        assert trap.requests == []
        assert "not used to sign in again" in failed.args[0]
        assert "nothing was sent" in failed.args[0]
    finally:
        trap.close()


def test_sign_in_again_with_an_edited_authorize_url_opens_nothing(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    """An entry made with explicit endpoints, its authorize_url edited in entries.json:
    "Sign in again" opens no browser and no window, and nothing reaches the edited URL."""
    from tests.support.oauth import TrapEndpoint

    opened: list[str] = []

    def person_in_their_browser(url: str) -> None:
        opened.append(url)

        def go() -> None:
            redirect = oidc_server.browse(url)
            assert redirect is not None
            requests.get(redirect, timeout=10)

        threading.Thread(target=go, daemon=True).start()

    c = controller(vault, open_system_browser=person_in_their_browser)
    req = SignInRequest(
        name="work",
        client_id="tokenmgr-native",
        authorize_url=oidc_server.authorization_endpoint,
        token_url=oidc_server.token_endpoint,
        scopes=["openid"],
        browser="system",
    )
    with qtbot.waitSignal(c.signed_in, timeout=45000):
        c.start(req)
    assert len(opened) == 1
    trap = TrapEndpoint()
    try:
        entry = vault.entry("work")
        assert entry.oauth is not None
        entry.oauth.authorize_url = trap.url  # what an edit of entries.json does
        vault.update_entry(entry)
        with qtbot.waitSignal(c.failed, timeout=30000) as failed:
            c.start_again(vault.entry("work"))
        assert "not used to sign in again" in failed.args[0]
        assert "nothing was sent" in failed.args[0]
        assert len(opened) == 1 and trap.requests == []
        assert not c.running() and c._windows == []
    finally:
        trap.close()


def test_sign_in_again_follows_the_checked_settings_not_the_lists_copy(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    """The windows are prepared from the list's copy of the entry; when the stored, bound
    settings say otherwise (the index changed meanwhile), nothing is opened or sent."""
    import dataclasses

    c = controller(vault)
    req = SignInRequest(
        name="svc",
        client_id="tokenmgr-cc",
        issuer=oidc_server.issuer,
        flow="client-credentials",
        client_secret=oidc_server.cc_secret,
    )
    with qtbot.waitSignal(c.signed_in, timeout=30000):
        c.start(req)
    before = oidc_server.stats()["token_requests"]
    stale = vault.entry("svc")
    assert stale.oauth is not None
    stale.oauth = dataclasses.replace(stale.oauth, flow="code", browser="embedded")
    shown: list[Any] = []
    with qtbot.waitSignal(c.failed, timeout=30000) as failed:
        c.start_again(stale)
        assert c.browser is not None  # its window's process started at once, empty
        c.browser.window.shown.connect(shown.append)
    assert "changed while its sign-in started" in failed.args[0]
    assert shown == [] and oidc_server.stats()["token_requests"] == before
