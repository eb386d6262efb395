"""Signing in from the window, end to end: the add dialog's OAuth2 page → Sign in →
QtWebEngine with the provider's own pages → the new entry selected, its tokens in the real
gnome-keyring; then "Sign in again" from the details pane. Real oidc-provider (default
policy), real keyring."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import secret_service  # noqa: F401 - fixture
from tests.integration.oidc_fixtures import OIDCServer, oidc_server  # noqa: F401 - fixture
from tests.support.secret_service import SecretServiceSession

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture
def window(qtbot: Any, secret_service: SecretServiceSession, tmp_path: Path) -> Any:  # noqa: F811
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.main_window import MainWindow
    from tokenmgr.gui.settings import Settings, SettingsFile

    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    home = tmp_path / "home"
    vault = Vault(home=home, env=env)
    w = MainWindow(vault, Settings(), SettingsFile(home), clipboard=Clipboard(30), env=env)
    qtbot.addWidget(w)
    w.use_vault(vault, "keyring")
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.signin is not None:
        w.signin.cancel()  # a sign-in a failed test left open must not outlive it
    w.tasks.wait(10_000)
    w.ticker.stop()


def play_when_it_opens(window: Any, seen: list[Any]) -> None:
    """Call right after the action that starts a sign-in: the controller and its embedded
    browser exist, the window opens later from the event loop, and `play` is connected
    in `dialog_opened`, before the provider's first page can finish loading."""
    from tests.gui.test_login_dialog import play
    from tokenmgr.gui.login_dialog import EmbeddedBrowser

    bridge = next(w for w in window.signin._windows if isinstance(w, EmbeddedBrowser))
    bridge.dialog_opened.connect(seen.append)
    bridge.dialog_opened.connect(play)


def test_sign_in_from_the_add_dialog_then_sign_in_again(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    oidc_server.reset()
    seen: list[Any] = []
    window.action_table["sign_in_new"].trigger()
    dialog = window.dialog
    assert dialog is not None and dialog.is_oauth() and dialog.save_button.text() == "Sign in"
    page = dialog.oauth_page
    qtbot.keyClicks(page.issuer, oidc_server.issuer)
    qtbot.keyClicks(page.name, "work")
    qtbot.keyClicks(page.client_id, "tokenmgr-native")
    assert page.scopes.text() == "openid offline_access"
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=5000)
    with qtbot.waitSignal(window.signed_in, timeout=60000) as done:
        dialog.save_button.click()
        play_when_it_opens(window, seen)
    assert done.args == ["work"]
    assert len(seen) == 1 and window.dialog is None  # the add dialog closed
    entry = window.vault.entry("work")
    assert {"access", "refresh", "id", "binding"} <= set(entry.secrets)
    assert window.token_list.current_name() == "work"
    assert oidc_server.stats()["last_auth_params"]["prompt"] == "consent"
    first = window.vault.store.get("work", "refresh")

    # Later the provider refuses the refresh token: the details pane offers a new sign-in.
    window.vault.set_state("work", "sign_in_needed")
    window.reload()
    window.select("work")
    qtbot.waitUntil(lambda: window.details.sign_in_button.isVisible(), timeout=5000)
    assert window.action_table["sign_in_again"].isVisible()
    with qtbot.waitSignal(window.signed_in, timeout=60000):
        window.details.sign_in_button.click()
        play_when_it_opens(window, seen)
    assert len(seen) == 2
    again = window.vault.entry("work")
    assert again.state is None
    assert window.vault.store.get("work", "refresh") not in (None, first)
    assert "Signed in: work" in window.status_bar.status_text()


def test_a_failed_sign_in_keeps_the_dialog_with_a_sentence(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    window.action_table["sign_in_new"].trigger()
    dialog = window.dialog
    page = dialog.oauth_page
    qtbot.keyClicks(page.issuer, oidc_server.issuer + "/missing")
    qtbot.keyClicks(page.name, "work")
    qtbot.keyClicks(page.client_id, "tokenmgr-native")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.save_error.isVisible(), timeout=30000)
    text = dialog.save_error.text()
    assert text.endswith(".") and "Traceback" not in text
    assert dialog.save_button.isEnabled() and dialog.save_button.text() == "Sign in"
    assert window.vault.list_entries() == []
    dialog.reject()


def test_closing_the_dialog_during_a_sign_in_cancels_it_cleanly(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    window.action_table["sign_in_new"].trigger()
    dialog = window.dialog
    page = dialog.oauth_page
    qtbot.keyClicks(page.issuer, oidc_server.issuer)
    qtbot.keyClicks(page.name, "work")
    qtbot.keyClicks(page.client_id, "tokenmgr-native")
    page.browser.setCurrentIndex(page.browser.findData("system"))
    opened: list[str] = []
    dialog.save_button.click()
    c = window.signin
    c._open_system = opened.append  # the person never comes back from their browser
    qtbot.waitUntil(lambda: bool(opened), timeout=20000)
    dialog.reject()  # closes (and deletes) the add dialog while the sign-in waits
    qtbot.waitUntil(lambda: "cancelled" in window.status_bar.status_text(), timeout=20000)
    assert window.vault.list_entries() == []
    qtbot.waitUntil(lambda: window.signin is None, timeout=5000)  # ended, and let go
