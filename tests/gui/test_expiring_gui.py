"""One story about expiry in the app: the list's status, the tray's menu and tooltip and
the notifications (sent to a real daemon, dunst) name the same tokens as expiring, by
the rule of core/entries.py with the lead time of the settings; a token just added is
not notified; copying an expired token says so and still copies it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tests.support import demo
from tests.support.gui_window import Fixture, clipboard_text
from tests.support.notifications import NotificationDaemon, notify_calls
from tokenmgr.core.entries import OAuthConfig, TokenSet
from tokenmgr.core.rules import now_utc
from tokenmgr.core.vault import Vault
from tokenmgr.gui.entry_model import Column, Role

pytestmark = pytest.mark.gui
MIN, DAY = timedelta(minutes=1), timedelta(days=1)


def add(vault: Vault, name: str, left: timedelta, lifetime: timedelta, stored_ago: timedelta,
        **kw: Any) -> None:
    """A token with `left` of its `lifetime` to go, stored `stored_ago`."""
    now = now_utc()
    issued = now + left - lifetime
    token = demo.jwt_token({"sub": name, "iat": int(issued.timestamp()),
                            "exp": int((now + left).timestamp())})
    vault.add(name, token, **kw)
    backdate(vault, name, now - stored_ago)


def backdate(vault: Vault, name: str, stored: Any) -> None:
    entries = vault.index.load()
    entries[name].created_at = entries[name].updated_at = stored
    vault.index.save(entries)


def statuses(f: Fixture) -> dict[str, str]:
    proxy = f.window.token_list.proxy
    return {str(proxy.index(r, Column.NAME).data()): str(proxy.index(r, Column.NAME).data(
        Role.STATUS)) for r in range(proxy.rowCount())}


@pytest.fixture
def story(make_window: Callable[..., Fixture]) -> Fixture:
    f = make_window(entries=False)
    v = f.vault
    add(v, "five-min", 5 * MIN, 5 * MIN, timedelta(0))  # the reported case: just added
    add(v, "hour-left-5", 5 * MIN, 60 * MIN, 55 * MIN)
    add(v, "pat", 10 * DAY, 90 * DAY, 80 * DAY)  # inside its 14-day tier
    add(v, "fresh-pat", 10 * DAY, 10 * DAY, timedelta(0))
    add(v, "day-left-30m", 30 * MIN, DAY, DAY)
    add(v, "gone", -2 * DAY, 30 * DAY, 32 * DAY)
    # An OAuth entry that renews itself: never "expiring", whatever is left.
    cfg = OAuthConfig(issuer="https://login.acme.example", client_id="c")
    token = demo.jwt_token({"sub": "o", "exp": int((now_utc() + MIN * 2).timestamp()),
                            "iat": int((now_utc() - 58 * MIN).timestamp())})
    from tokenmgr.core.entries import Entry

    v.save_tokens(Entry(name="renews", kind="oauth2", oauth=cfg, issued_at=now_utc() - 58 * MIN),
                  TokenSet(access=token, refresh="r" * 40))
    backdate(v, "renews", now_utc() - 58 * MIN)
    f.window.reload()
    return f


def tray_notes(f: Fixture) -> tuple[dict[str, str], str]:
    from tokenmgr.gui.tray import Tray

    tray = Tray()
    tray.set_entries(f.window.model.entries, now_utc(), f.window.model.lead)
    titles = {sub.title().split(" (")[0]: sub.title() for sub in tray._submenus.values()}
    tooltip = tray.tooltip()
    tray.menu.deleteLater()
    return titles, tooltip


def test_list_tray_tooltip_and_notifications_agree(
    qtbot: Any, story: Fixture, notification_daemon: NotificationDaemon
) -> None:
    from tokenmgr.gui.keeper import Keeper
    from tokenmgr.gui.notify import Notifier

    f = story
    shown = statuses(f)
    assert shown == {
        "five-min": "valid", "hour-left-5": "expiring", "pat": "expiring",
        "fresh-pat": "valid", "day-left-30m": "valid", "gone": "expired", "renews": "valid",
    }  # fmt: skip
    titles, tooltip = tray_notes(f)
    marked = {n for n, t in titles.items() if "(" in t}
    assert marked == {"hour-left-5", "pat", "gone"}
    assert titles["pat"] == "pat (expires in 9 days)"
    assert tooltip.splitlines() == [
        "Token Manager: 7 tokens", "gone expired", "hour-left-5 expires in 4 min",
        "pat expires in 9 days",
    ]  # fmt: skip
    # The notifications, on a real daemon: the same three, nothing for the token just added.
    notifier = Notifier(None, f.window)
    keeper = Keeper(f.vault, f.window.tasks, notifier, lambda: list(f.window.model.entries),
                    lambda: f.window.settings.notify_lead_min, f.window)
    keeper.tick()
    daemon = notification_daemon
    qtbot.waitUntil(lambda: len(notify_calls(daemon.monitor())) >= 3, timeout=10_000)
    calls = notify_calls(daemon.monitor())
    told = {name for name in shown if any(f'string "{name} ' in c for c in calls)}
    assert told == {"hour-left-5", "pat", "gone"} and len(calls) == 3
    assert any('"pat expires in 9 days"' in c for c in calls)
    notifier.close()


def test_the_lead_time_setting_moves_list_and_tray_together(qtbot: Any, story: Fixture) -> None:
    from tokenmgr.gui.preferences import PreferencesDialog

    f = story
    assert statuses(f)["day-left-30m"] == "valid"
    dialog = PreferencesDialog(f.window.settings, {}, f.window)
    dialog.applied.connect(f.window._on_preferences_applied)
    dialog.lead.setValue(60)
    dialog.accept()
    assert f.window.settings.notify_lead_min == 60
    assert statuses(f)["day-left-30m"] == "expiring"
    titles, _ = tray_notes(f)
    assert titles["day-left-30m"] == "day-left-30m (expires in 29 min)"
    # A 5-minute token is still not expiring from birth: its last quarter, not the hour.
    assert statuses(f)["five-min"] == "valid"


def test_copying_an_expired_token_warns_and_still_copies_it(
    qtbot: Any, make_window: Callable[..., Fixture]
) -> None:
    f = make_window()  # the demo: old-key expired two days ago
    w = f.window
    assert w.select("old-key")
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("raw")
    assert clipboard_text() == demo.STRIPE
    assert w.status_bar.status_text() == (
        "⚠ Copied token of old-key, but it expired 2 days ago: store a new one with Edit (F2)."
    )
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("raw")
    assert w.status_bar.status_text() == "Copied token of github-ci"
