"""The device sign-in window against the real oidc-provider; client credentials need no
window at all. Tokens end in the real gnome-keyring."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.oidc_server import OIDCServer
from tests.support.secret_service import SecretServiceSession
from tokenmgr.core.oauth.signin import SignInRequest, sign_in
from tokenmgr.core.vault import Vault

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture
def vault(secret_service: SecretServiceSession, tmp_path: Path) -> Vault:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    return Vault(home=tmp_path / "home", env=env)


def run_sign_in(vault: Vault, req: SignInRequest, announce: Any, cancel: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["entry"] = sign_in(
                vault, req, open_url=_no_browser, announce=announce, cancel=cancel
            )
        except BaseException as e:  # noqa: BLE001 - the test reports it
            out["error"] = e

    out["thread"] = threading.Thread(target=work, daemon=True)
    out["thread"].start()
    return out


def _no_browser(*_args: Any) -> None:
    raise AssertionError("no browser for this flow")


def test_device_dialog_shows_the_code_and_closes_after_approval(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    from tokenmgr.gui.device_dialog import DeviceAnnouncer

    oidc_server.reset()
    cancel = threading.Event()
    opened: list[str] = []
    announcer = DeviceAnnouncer(cancel, open_url=opened.append)
    req = SignInRequest(
        name="tv",
        client_id="tokenmgr-device",
        issuer=oidc_server.issuer,
        flow="device",
        scopes=["openid", "offline_access"],
        timeout=60,
    )
    out = run_sign_in(vault, req, announcer, cancel)
    qtbot.waitUntil(lambda: announcer.dialog is not None, timeout=20000)
    dialog = announcer.dialog
    assert dialog is not None
    code = dialog.code_label.text()
    assert len(code) >= 8 and code.replace("-", "").isalnum()
    assert dialog.url_label.text().startswith(oidc_server.issuer)
    assert "expires in" in dialog.expiry_label.text()
    dialog.open_button.click()
    assert opened and opened[0].startswith(oidc_server.issuer)  # with the code filled in
    dialog.copy_button.click()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == code
    oidc_server.approve_device(dialog.url_label.text(), user_code=code)
    qtbot.waitUntil(lambda: not out["thread"].is_alive(), timeout=40000)
    assert "error" not in out, out.get("error")
    announcer.finish()
    entry = vault.entry("tv")
    assert {"access", "refresh"} <= set(entry.secrets)
    assert oidc_server.stats()["token_requests"].get("urn:ietf:params:oauth:grant-type:device_code")


def test_device_dialog_cancel_stops_the_polling(
    qtbot: Any,
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    from tokenmgr.core.oauth.loopback import SignInCancelled
    from tokenmgr.gui.device_dialog import DeviceAnnouncer

    cancel = threading.Event()
    announcer = DeviceAnnouncer(cancel)
    req = SignInRequest(
        name="tv", client_id="tokenmgr-device", issuer=oidc_server.issuer, flow="device"
    )
    out = run_sign_in(vault, req, announcer, cancel)
    qtbot.waitUntil(lambda: announcer.dialog is not None, timeout=20000)
    announcer.dialog.cancel_button.click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not out["thread"].is_alive(), timeout=15000)
    assert isinstance(out.get("error"), SignInCancelled)
    assert vault.list_entries() == []


def test_device_code_countdown_and_expiry() -> None:
    from tokenmgr.gui.device_dialog import DeviceDialog

    now = [100.0]
    d = DeviceDialog(
        "ABCD-EFGH", "https://id.example/device", 125, threading.Event(), clock=lambda: now[0]
    )
    assert d.expiry_label.text() == "The code expires in 2:05"
    now[0] += 130
    d._on_timer_timeout()
    assert d.expiry_label.text() == "Code expired"
    assert "start the sign-in again" in d.state_label.text()
    d.finish()


def test_client_credentials_need_no_window(
    vault: Vault,
    oidc_server: OIDCServer,
) -> None:
    req = SignInRequest(
        name="svc",
        client_id="tokenmgr-cc",
        issuer=oidc_server.issuer,
        flow="client-credentials",
        client_secret=oidc_server.cc_secret,
    )
    entry = sign_in(vault, req, open_url=_no_browser, announce=_no_browser)
    assert {"access", "client_secret"} <= set(entry.secrets)
