"""What the app does with what providers say: the details pane's line and Check now, the
add dialog asking as the token is pasted, background checks in the keeper, refusals
notified at once with the provider's page, tiered expiry notices (offscreen, in-memory
keyring, HTTPS provider stand-ins trusted through REQUESTS_CA_BUNDLE)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from tests.support.canary import leaked_run
from tests.support.gui_window import all_text
from tests.support.memkeyring import MemoryKeyring
from tests.support.notifications import NotificationDaemon, notify_calls
from tests.support.providers import (
    CheckUrlStandIn,
    GitHubStandIn,
    GitHubToken,
    TestCA,
)
from tokenmgr.core.entries import Entry, ProviderCheck
from tokenmgr.core.rules import now_utc
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui

TOKEN = "ghp_GuiStandInT0ken0123456789abcdefABCD"
KEY = "sk-test-GuiCheckUrlKey0123456789"


@pytest.fixture
def trusted(ca: TestCA, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The environment of an app whose user named the private CA."""
    env = {
        "REQUESTS_CA_BUNDLE": str(ca.bundle),
        "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


class RecordingNotifier:
    """Records what the keeper asks to show (the D-Bus path: test_notify.py)."""

    def __init__(self) -> None:
        class _S(QObject):
            action_invoked = Signal(str, str)

        self._s = _S()
        self.action_invoked = self._s.action_invoked
        self.calls: list[tuple[str, str, str, Any]] = []

    def notify(self, entry: str, summary: str, body: str, **kw: Any) -> None:
        self.calls.append((entry, summary, body, kw.get("action")))


def checked(name: str, **kw: Any) -> ProviderCheck:
    return ProviderCheck(provider="GitHub", kind="github", verdict="accepted", **kw)


# ------------------------------------------------------------------ details pane


def test_the_details_pane_says_what_the_provider_said(qtbot: Any) -> None:
    from tokenmgr.gui.details import DetailsPane

    pane = DetailsPane()
    qtbot.addWidget(pane)
    now = now_utc().replace(microsecond=0)
    exp = now + timedelta(days=60, hours=1)
    entry = Entry(name="gh", expires_at=exp, issued_at=now - timedelta(days=1))
    entry.provider_check = checked(
        "gh", expires_at=exp, scopes=["repo", "read:org"],
        checked_at=now - timedelta(minutes=2), attempted_at=now - timedelta(minutes=2),
        token_issued_at=entry.issued_at,
    )
    pane.set_entry(entry, now)
    assert pane.provider_label.text() == (
        f"GitHub says: expires {exp:%Y-%m-%d %H:%M} UTC (in 60 days) · scopes repo, read:org"
        " · checked 2 min ago"
    )
    assert not pane.provider_row.isHidden()
    pane.tick(now + timedelta(hours=2))
    assert pane.provider_label.text().endswith("checked 2 h ago")
    with qtbot.waitSignal(pane.check_requested) as asked:
        pane.check_button.click()
    assert asked.args == ["gh"]
    # Refused, and an entry never asked (no row at all).
    entry.provider_check = replace(entry.provider_check, verdict="refused",
                                   reason="revoked or expired")
    pane.set_entry(entry, now)
    assert pane.provider_label.text() == "Refused by GitHub: revoked or expired · checked 2 min ago"
    pane.set_entry(Entry(name="plain"), now)
    assert pane.provider_row.isHidden()


def test_check_now_asks_the_provider_and_redraws(
    make_window: Any, qtbot: Any, trusted: dict[str, str], github: GitHubStandIn
) -> None:
    github.tokens[TOKEN] = GitHubToken(expires="2027-01-31 19:07:53 UTC", scopes="repo")
    f = make_window(entries=False, env=dict(trusted))
    f.vault.add("gh", TOKEN, service="GitHub", hosts=[github.hostport])
    f.store.calls.clear()  # (the set-up above ran here; what follows must not)
    w = f.window
    w.reload()
    assert w.select("gh")
    assert w.details.provider_row.isHidden()  # never asked yet
    with qtbot.waitSignal(w.commands.status_reported, timeout=10000) as said:
        w.commands.checks.check_provider("gh")
    assert said.args[0].startswith(f"gh: GitHub Enterprise at {github.hostport} says: expires")
    qtbot.waitUntil(lambda: not w.details.provider_row.isHidden(), timeout=5000)
    assert "scopes repo · checked just now" in w.details.provider_label.text()
    assert len(github.requests) == 1
    assert not any(c.on_main_thread for c in f.store.calls)
    assert TOKEN not in all_text(w)


# ------------------------------------------------------------------- add dialog


def test_the_add_dialog_asks_as_the_token_is_pasted_and_keeps_the_answer(
    make_window: Any, qtbot: Any, trusted: dict[str, str], ca: TestCA
) -> None:
    with CheckUrlStandIn(ca) as api:
        api.tokens.add(KEY)  # type: ignore[attr-defined]
        f = make_window(entries=False, env=dict(trusted))
        w = f.window
        with qtbot.waitSignal(w.commands.dialog_opened) as opened:
            w.action_table["add"].trigger()
        dialog = opened.args[0]
        page = dialog.static_page
        page.check_url.setText(api.url + "/v1/me")
        page.token.setText(KEY)
        qtbot.waitUntil(lambda: "says:" in page.provider_said.text(), timeout=10000)
        assert page.provider_said.text() == (
            f"{api.hostport} says: accepted (no expiry given) · checked just now"
        )
        assert len(api.requests) == 1 and api.requests[0].path == "/v1/me"
        page.name.setText("api")
        with qtbot.waitSignal(w.commands.entries_changed, timeout=10000):
            dialog.save_button.click()
        entry = f.vault.entry("api")
        assert entry.check_url == api.url + "/v1/me"
        assert entry.provider_check is not None and entry.provider_check.verdict == "accepted"
        assert entry.checked_now()
        assert len(api.requests) == 1  # the answer given as it was pasted was kept
        # A changed check URL is a new question: the old answer is not kept.
        with qtbot.waitSignal(w.commands.dialog_opened) as opened:
            w.action_table["add"].trigger()
        page = opened.args[0].static_page
        page.token.setText("sk-test-wrongKey0123456789abcdef")
        page.check_url.setText(api.url + "/v1/me")
        page.check_url.editingFinished.emit()  # the person leaves the field
        qtbot.waitUntil(lambda: "Refused by" in page.provider_said.text(), timeout=10000)
        assert page.provider_said.text().startswith(f"Refused by {api.hostport}: HTTP 401")
        page.check_url.setText("http://api.example.com/me")
        assert not page.provider_said.isVisible()
        assert "must use https" in page.check_url_error.text()
        assert not opened.args[0].save_button.isEnabled()
        assert len(api.requests) == 2
        opened.args[0].reject()


# ---------------------------------------------------------------------- keeper


def keeper_for(vault: Vault, notifier: Any, *, checks: bool = True, lead: int = 10) -> Any:
    from tokenmgr.gui.keeper import Keeper
    from tokenmgr.gui.tasks import Tasks

    return Keeper(vault, Tasks(), notifier, vault.list_entries, lambda: lead,
                  check_providers=(lambda: checks))


@pytest.fixture
def kvault(home: Path, trusted: dict[str, str]) -> Vault:
    return Vault(home=home, store=KeyringStore(backend=MemoryKeyring()), env=trusted)


def _ghes(vault: Vault, name: str, token: str, server: GitHubStandIn) -> None:
    # One entry per host and path prefix: the prefix tells them apart (for git); the
    # provider asked is the host's all the same.
    vault.add(name, token, hosts=[f"{server.hostport}/{name}"])


def test_background_checks_at_start_when_older_than_a_day_and_not_when_off(
    qtbot: Any, kvault: Vault, github: GitHubStandIn
) -> None:
    github.tokens[TOKEN] = GitHubToken(expires="2027-01-31 19:07:53 UTC")
    github.tokens[TOKEN + "2"] = GitHubToken(expires="2027-02-28 19:07:53 UTC")
    _ghes(kvault, "fresh", TOKEN, github)
    _ghes(kvault, "stale", TOKEN + "2", github)
    kvault.add("plain", "nothing-to-ask-about-here")
    now = now_utc()
    kvault.modify("fresh", lambda e: setattr(e, "provider_check", checked(
        "fresh", checked_at=now - timedelta(hours=2), attempted_at=now - timedelta(hours=2))))
    kvault.modify("stale", lambda e: setattr(e, "provider_check", checked(
        "stale", checked_at=now - timedelta(days=2), attempted_at=now - timedelta(days=2))))
    off = keeper_for(kvault, RecordingNotifier(), checks=False)
    off.tick()
    off.tasks.wait()
    assert github.requests == []
    keeper = keeper_for(kvault, RecordingNotifier())
    with qtbot.waitSignal(keeper.provider_checked, timeout=10000) as done:
        keeper.tick()
    assert done.args == ["stale"]
    keeper.tasks.wait()
    qtbot.waitUntil(lambda: keeper._checking is None, timeout=5000)
    assert len(github.requests) == 1  # "plain" had no provider; "fresh" is not due
    assert kvault.entry("stale").expires_at is not None
    assert kvault.entry("stale").expires_at.month == 2  # type: ignore[union-attr]
    keeper.tick()
    keeper.tasks.wait()
    assert len(github.requests) == 1  # nothing more due this run


def test_a_refused_token_is_notified_once_with_the_providers_page(
    qtbot: Any, kvault: Vault, github: GitHubStandIn
) -> None:
    _ghes(kvault, "gh", TOKEN, github)  # the stand-in does not know it: 401
    rec = RecordingNotifier()
    keeper = keeper_for(kvault, rec)
    keeper._entries = kvault.list_entries
    with qtbot.waitSignal(keeper.provider_checked, timeout=10000):
        keeper.tick()
    keeper.tick()  # the index now says refused: told at once
    assert [(c[0], c[1]) for c in rec.calls] == [("gh", "gh no longer works")]
    assert rec.calls[0][2] == (
        f"Revoked or expired at GitHub Enterprise at {github.hostport}: create a new one, "
        "then store it in Token Manager."
    )
    assert rec.calls[0][3] == ("default", "Create a new one")
    with qtbot.waitSignal(keeper.provider_page_requested, timeout=10000) as page:
        rec.action_invoked.emit("gh", "default")
    assert page.args == ["gh", f"https://{github.hostport}/settings/tokens"]
    keeper.tick()
    assert len(rec.calls) == 1
    # A restart: told already.
    rec2 = RecordingNotifier()
    keeper2 = keeper_for(kvault, rec2, checks=False)
    keeper2.tick()
    assert rec2.calls == []
    for calls in (rec.calls,):
        assert leaked_run([TOKEN], repr(calls)) is None


def test_expiry_tiers_through_the_keeper_and_a_restart(qtbot: Any, kvault: Vault) -> None:
    now = now_utc()
    kvault.add("pat", "long-lived-token-value", expires_at=now + timedelta(days=13, hours=20))

    def older(e: Entry) -> None:  # stored 76 days ago (a token just stored is not told)
        e.issued_at = e.updated_at = now - timedelta(days=76)

    kvault.modify("pat", older)
    rec = RecordingNotifier()
    keeper = keeper_for(kvault, rec, checks=False)
    keeper.tick()
    keeper.tick()
    assert [c[1] for c in rec.calls] == ["pat expires in 13 days"]
    rec2 = RecordingNotifier()
    keeper_for(kvault, rec2, checks=False).tick()
    assert rec2.calls == []
    kvault.modify("pat", lambda e: setattr(e, "expires_at", now + timedelta(days=2, hours=12)))
    keeper_for(kvault, rec2, checks=False).tick()
    assert [c[1] for c in rec2.calls] == ["pat expires in 2 days"]


def test_background_checks_are_a_setting(qtbot: Any, tmp_path: Path) -> None:
    from tokenmgr.gui.preferences import PreferencesDialog
    from tokenmgr.gui.settings import Settings, SettingsFile

    settings = Settings()
    assert settings.check_providers
    dialog = PreferencesDialog(settings, {})
    qtbot.addWidget(dialog)
    dialog.check_providers.setChecked(False)
    dialog.apply_to(settings)
    SettingsFile(tmp_path).save(settings)
    assert SettingsFile(tmp_path).load().check_providers is False


def test_a_refusal_on_a_real_notification_daemon_opens_the_providers_page(
    qtbot: Any,
    kvault: Vault,
    github: GitHubStandIn,
    notification_daemon: NotificationDaemon,
) -> None:
    """dunst shows the refusal (no token text in the D-Bus call); its default action,
    invoked as a click would, asks for the provider's page."""
    from tokenmgr.gui.notify import Notifier

    _ghes(kvault, "gh", TOKEN, github)  # unknown to the stand-in: refused
    notifier = Notifier()
    keeper = keeper_for(kvault, notifier)
    try:
        with qtbot.waitSignal(keeper.provider_checked, timeout=10000):
            keeper.tick()
        with qtbot.waitSignal(notifier.sent, timeout=10000) as sent:
            keeper.tick()
        assert sent.args == ["gh", "dbus"]
        (call,) = notify_calls(notification_daemon.monitor())
        assert "gh no longer works" in call and "create a new one" in call
        assert "Create a new one" in call and 'string "default"' in call
        assert leaked_run([TOKEN], call) is None
        qtbot.waitUntil(
            lambda: notification_daemon.dunstctl("count", "displayed").strip() == "1",
            timeout=5000,
        )
        with qtbot.waitSignal(keeper.provider_page_requested, timeout=10000) as page:
            notification_daemon.dunstctl("action", "0")
        assert page.args == ["gh", f"https://{github.hostport}/settings/tokens"]
    finally:
        keeper.tasks.wait()
        notifier.close()


def test_the_add_dialog_asks_the_server_its_host_names(
    make_window: Any, qtbot: Any, trusted: dict[str, str], github: GitHubStandIn
) -> None:
    """A GitHub token with a GitHub Enterprise host: asked there, and stored bound to it."""
    github.tokens[TOKEN] = GitHubToken(expires="2027-01-31 19:07:53 UTC", scopes="repo")
    f = make_window(entries=False, env=dict(trusted))
    w = f.window
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["add"].trigger()
    dialog = opened.args[0]
    page = dialog.static_page
    page.hosts.setText(github.hostport)
    page.token.setText(TOKEN)
    qtbot.waitUntil(lambda: "says:" in page.provider_said.text(), timeout=10000)
    assert page.provider_said.text().startswith(
        f"GitHub Enterprise at {github.hostport} says: expires 2027-01-31 19:07 UTC"
    )
    assert len(github.requests) == 1
    with qtbot.waitSignal(w.commands.entries_changed, timeout=10000):
        dialog.save_button.click()
    entry = f.vault.entry(page.name.text() or "github")
    assert entry.hosts == [github.hostport] and entry.expiry_source() == "provider"
    assert len(github.requests) == 1


def test_no_question_goes_to_an_address_still_being_typed(
    make_window: Any, qtbot: Any, trusted: dict[str, str], github: GitHubStandIn
) -> None:
    """A pause while typing the hosts must not send the token to half a host name: the
    question waits until the field is left, then goes to the whole one."""
    github.tokens[TOKEN] = GitHubToken(expires="2027-01-31 19:07:53 UTC", scopes="repo")
    f = make_window(entries=False, env=dict(trusted))
    w = f.window
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["add"].trigger()
    page = opened.args[0].static_page
    page.token.setText(TOKEN)
    page.hosts.setFocus()
    qtbot.keyClicks(page.hosts, github.hostport)
    assert not page.asking_soon and page.provider_said.text() == ""
    page.hosts.editingFinished.emit()  # the person leaves the field
    qtbot.waitUntil(lambda: "says:" in page.provider_said.text(), timeout=10000)
    assert page.provider_said.text().startswith(f"GitHub Enterprise at {github.hostport} says:")
    assert len(github.requests) == 1
