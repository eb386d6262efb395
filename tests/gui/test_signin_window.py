"""Signing in from the window, end to end: the add dialog's OAuth2 page → Sign in →
the sign-in window (its own process) with the provider's own pages → the new entry
selected, its tokens in the real gnome-keyring; then "Sign in again" from the details
pane. Real oidc-provider (default policy), real keyring; the test plays the person
through DevTools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.oidc_server import OIDCServer
from tests.support.secret_service import SecretServiceSession
from tests.support.signin import AppEnv

pytestmark = [
    pytest.mark.gui,
    pytest.mark.integration,
    pytest.mark.usefixtures("no_window_left"),
]


@pytest.fixture
def window(
    qtbot: Any,
    secret_service: SecretServiceSession,
    tmp_path: Path,
    app_env: AppEnv,
) -> Any:
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.main_window import MainWindow
    from tokenmgr.gui.settings import Settings, SettingsFile

    env = dict(app_env.env)
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


def window_started(window: Any, seen: list[int]) -> None:
    """Call right after the action that starts a sign-in: its window's process runs."""
    assert window.signin is not None and window.signin.browser is not None
    seen.append(window.signin.browser.window.pid())


def test_sign_in_from_the_add_dialog_then_sign_in_again(
    qtbot: Any,
    window: Any,
    app_env: AppEnv,
    oidc_server: OIDCServer,
) -> None:
    oidc_server.reset()
    seen: list[int] = []
    person = app_env.person()
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
        window_started(window, seen)
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
        window_started(window, seen)
    person.stop()
    assert len(seen) == 2
    again = window.vault.entry("work")
    assert again.state is None
    assert window.vault.store.get("work", "refresh") not in (None, first)
    assert "Signed in: work" in window.status_bar.status_text()


def test_a_failed_sign_in_keeps_the_dialog_with_a_sentence(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,
) -> None:
    window.action_table["sign_in_new"].trigger()
    dialog = window.dialog
    page = dialog.oauth_page
    qtbot.keyClicks(page.issuer, oidc_server.issuer + "/missing")
    qtbot.keyClicks(page.name, "work")
    qtbot.keyClicks(page.client_id, "tokenmgr-native")
    window.status_bar.show_status("Checked the signature of old")  # what was there before
    dialog.save_button.click()
    assert window.status_bar.status_text() == "Signing in to work…"
    qtbot.waitUntil(lambda: dialog.save_error.isVisible(), timeout=30000)
    text = dialog.save_error.text()
    assert text.endswith(".") and "Traceback" not in text
    assert dialog.save_button.isEnabled() and dialog.save_button.text() == "Sign in"
    assert window.vault.list_entries() == []
    # The status bar says how the sign-in ended (in brief, the whole in its tooltip):
    # nothing stale is left there.
    said = window.status_bar.status_tooltip() or window.status_bar.status_text()
    assert said == f"⚠ {text}"
    assert window.status_bar.status_text().startswith(f"⚠ {text[:20]}")
    qtbot.waitUntil(lambda: window.status_bar.busy_text() == "", timeout=5000)
    dialog.reject()
    # The next "Sign in to a provider" starts from what this one used.
    window.action_table["sign_in_new"].trigger()
    again = window.dialog.oauth_page
    assert again.issuer.text() == oidc_server.issuer + "/missing"
    assert again.client_id.text() == "tokenmgr-native" and again.name.text() == ""
    import json

    saved = json.loads((window.vault.home / "settings.json").read_text())
    assert saved["last_sign_in"]["client_id"] == "tokenmgr-native"
    window.dialog.reject()


def test_closing_the_dialog_during_a_sign_in_cancels_it_cleanly(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,
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
