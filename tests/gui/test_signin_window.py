"""Signing in from the window, end to end: the add dialog's OAuth2 page → Sign in →
QtWebEngine with the provider's own pages → the new entry selected, its tokens in the real
gnome-keyring; then "Sign in again" from the details pane. Real oidc-provider (default
policy), real keyring."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.gui.test_login_dialog import PLAY_THE_PERSON
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
    w.tasks.wait(10_000)
    w.ticker.stop()


def play_each_dialog(qtbot: Any, window: Any) -> list[Any]:
    """Script the provider's pages in every sign-in window the controller opens."""
    from tokenmgr.gui.login_dialog import LoginDialog

    seen: list[Any] = []

    def hook() -> None:
        for d in window.findChildren(LoginDialog):
            if d not in seen and d.page is not None:
                seen.append(d)
                d.page.loadFinished.connect(
                    lambda ok, d=d: d.page is not None and d.page.runJavaScript(PLAY_THE_PERSON)
                )

    from PySide6.QtCore import QTimer

    t = QTimer(window)
    t.setInterval(50)
    t.timeout.connect(hook)
    t.start()
    return seen


def test_sign_in_from_the_add_dialog_then_sign_in_again(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    oidc_server.reset()
    seen = play_each_dialog(qtbot, window)
    window.actions_by_name["sign_in_new"].trigger()
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
    assert done.args == ["work"]
    assert len(seen) == 1 and window.dialog is None  # the add dialog closed
    entry = window.vault.entry("work")
    assert {"access", "refresh", "id", "binding"} <= set(entry.secrets)
    assert window.selected_name() == "work"
    assert oidc_server.stats()["last_auth_params"]["prompt"] == "consent"
    first = window.vault.store.get("work", "refresh")

    # Later the provider refuses the refresh token: the details pane offers a new sign-in.
    window.vault.set_state("work", "sign_in_needed")
    window.reload()
    window.select("work")
    qtbot.waitUntil(lambda: window.details.sign_in_button.isVisible(), timeout=5000)
    assert window.actions_by_name["sign_in_again"].isVisible()
    with qtbot.waitSignal(window.signed_in, timeout=60000):
        window.details.sign_in_button.click()
    assert len(seen) == 2
    again = window.vault.entry("work")
    assert again.state is None
    assert window.vault.store.get("work", "refresh") not in (None, first)
    assert "Signed in: work" in window.status_message.text()


def test_a_failed_sign_in_keeps_the_dialog_with_a_sentence(
    qtbot: Any,
    window: Any,
    oidc_server: OIDCServer,  # noqa: F811
) -> None:
    window.actions_by_name["sign_in_new"].trigger()
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
