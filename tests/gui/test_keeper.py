"""Background refresh and expiry notifications (gui/keeper.py) against the real pieces:
oidc-provider on its default policy, gnome-keyring, `tokenmgr get` processes, and dunst."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.keeper import RecordingNotifier, keeper_for
from tests.support.notifications import NotificationDaemon, notify_calls
from tests.support.oauth import expire, secret, tm, vault_of
from tests.support.oidc_server import OIDCServer, scripted_login
from tokenmgr.core.rules import now_utc

pytestmark = [pytest.mark.gui, pytest.mark.integration]


def test_background_refresh_and_four_cli_gets_refresh_once(
    qtbot: Any,
    oidc_server: OIDCServer,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tokenmgr.gui.notify import Notifier

    oidc_server.reset()
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    old = secret(cli_env, "w", "access")
    expire(cli_env, "w")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", cli_env["DBUS_SESSION_BUS_ADDRESS"])
    keeper = keeper_for(cli_env, Notifier())
    gets = [
        subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "get", "w"],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    with qtbot.waitSignal(keeper.refreshed, timeout=30000) as refreshed:
        keeper.tick()
    outs = [p.communicate(timeout=60) for p in gets]
    assert refreshed.args == ["w"]
    assert all(p.returncode == 0 for p in gets), [e for _, e in outs]
    new = secret(cli_env, "w", "access")
    assert new != old
    assert {o for o, _ in outs} == {new + "\n"}  # every get handed out the one fresh token
    assert oidc_server.stats()["token_requests"].get("refresh_token") == 1
    keeper.tasks.wait()


def test_expiring_static_token_is_notified_once_even_after_a_restart(
    qtbot: Any,
    cli_env: dict[str, str],
    notification_daemon: NotificationDaemon,
) -> None:
    from tokenmgr.gui.notify import Notifier

    soon = (now_utc() + timedelta(minutes=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = "s3cr3t-" + "k" * 30
    r = tm(cli_env, "add", "ci", "--expires-at", soon, stdin=token)
    assert r.returncode == 0, r.stderr
    # Stored an hour ago: a token stored in the last minute is not notified yet, and one
    # that lives 4 minutes is warned about in its last quarter only.
    vault = vault_of(cli_env)
    entries = vault.index.load()
    hour_ago = now_utc() - timedelta(hours=1)
    entries["ci"].issued_at = entries["ci"].created_at = entries["ci"].updated_at = hour_ago
    vault.index.save(entries)
    # The keeper's notifier talks to dunst's bus; the vault to gnome-keyring's.
    notifier = Notifier()
    keeper = keeper_for(cli_env, notifier)
    with qtbot.waitSignal(notifier.sent, timeout=10000) as sent:
        keeper.tick()
    assert sent.args == ["ci", "dbus"]
    calls = notify_calls(notification_daemon.monitor())
    assert len(calls) == 1
    assert "ci expires in 3 min" in calls[0] or "ci expires in 4 min" in calls[0]
    assert token[:8] not in calls[0] and "k" * 8 not in calls[0]
    keeper.tick()
    notifier.close()
    # A restart: a new keeper, the same home. Its notifier records calls synchronously, so
    # "nothing was sent" is checked, not waited for.
    asked: list[str] = []
    notifier2 = Notifier()
    notifier2.notify = lambda entry, *a, **k: asked.append(entry)  # type: ignore[method-assign]
    keeper2 = keeper_for(cli_env, notifier2)
    keeper2.tick()
    assert asked == []
    # Not even once more for a later expiry check of the same token.
    keeper2.tick()
    assert asked == [] and len(notify_calls(notification_daemon.monitor())) == 1
    notifier2.close()
    assert oct(os.stat(Path(cli_env["TOKENMGR_HOME"]) / "notified.json").st_mode & 0o777) == "0o600"


def settle(keeper: Any) -> None:
    """Whatever the last tick started has run and been delivered: its workers are done
    and their results (queued to this thread) handled. Then "nothing more" can be told."""
    from PySide6.QtCore import QCoreApplication

    assert keeper.tasks.wait(30_000)
    QCoreApplication.processEvents()


def test_failed_background_refresh_is_notified_once_and_retried_later(
    qtbot: Any,
    oidc_server: OIDCServer,
    cli_env: dict[str, str],
) -> None:
    oidc_server.reset()
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w")

    rec = RecordingNotifier()
    keeper = keeper_for(cli_env, rec)
    oidc_server.fault("token", "500", count=5, grant_type="refresh_token")
    with qtbot.waitSignal(keeper.refresh_failed, timeout=30000):
        keeper.tick()
    keeper.tick()  # within the pause: no second try
    settle(keeper)
    assert oidc_server.stats()["token_requests"].get("refresh_token") == 1
    assert [c[:2] for c in rec.calls] == [("w", "Couldn't refresh w")]
    keeper._retry_at["w"] = 0.0  # the pause is over
    oidc_server.reset()
    oidc_server.fault("token", "error", grant_type="refresh_token", error="invalid_grant")
    with qtbot.waitSignal(keeper.sign_in_needed, timeout=30000) as needed:
        keeper.tick()
    assert needed.args == ["w"]
    # Only a sign-in helps now: said once more, then not again.
    assert [c[:2] for c in rec.calls][1:] == [("w", "Couldn't refresh w")]
    assert "sign in again" in rec.calls[1][2].lower()
    keeper.tick()
    settle(keeper)
    assert len(rec.calls) == 2
    assert vault_of(cli_env).entry("w").state == "sign_in_needed"
    keeper.tasks.wait()


def test_a_sign_in_from_the_cli_restarts_the_care_of_a_refused_entry(
    qtbot: Any,
    oidc_server: OIDCServer,
    cli_env: dict[str, str],
) -> None:
    oidc_server.reset()
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w")

    keeper = keeper_for(cli_env, RecordingNotifier())
    oidc_server.fault("token", "error", grant_type="refresh_token", error="invalid_grant")
    with qtbot.waitSignal(keeper.sign_in_needed, timeout=30000):
        keeper.tick()
    assert keeper.state()["retry_at"]["w"] == float("inf")
    # A sign-in from a terminal (not through the window): the keeper takes it up again.
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w", left=timedelta(seconds=-30))  # a new token, expired another time
    with qtbot.waitSignal(keeper.refreshed, timeout=30000):
        keeper.tick()
    keeper.tasks.wait()
