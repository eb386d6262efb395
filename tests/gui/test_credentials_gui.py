"""The app's side of the credential helpers and the access record: the hosts field of
the add/edit dialog (a preset suggests its hosts), "Used by git, kubectl and docker" in
the details pane with the buttons that copy each tool's set-up, the last use and short
history from the record (read in a worker when it changes), copies from the window and
the tray on the record, the tray tooltips, and a refusal notified once."""

from __future__ import annotations

import json
import re
import shlex
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.gui_window import Fixture, all_text, clipboard_text
from tests.support.keeper import RecordingNotifier
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core import record
from tokenmgr.core.helpers import own_command
from tokenmgr.core.rules import now_utc
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui

TOKEN = "ghp_" + "Gu1T0k3n" * 5


def served(f: Fixture, *hosts: str, name: str = "gh") -> None:
    f.vault.add(name, TOKEN, service="GitHub", hosts=list(hosts))
    f.window.reload()
    assert f.window.select(name)


def test_used_by_shows_the_hosts_and_copies_the_git_set_up(
    make_window: Any, qtbot: Any
) -> None:
    f = make_window()
    served(f, "github.com", "github.com/acme")
    d = f.window.details
    assert d.used_by.hosts_label.text() == "Serves github.com, github.com/acme"
    assert not d.used_by.refused_label.isVisible()
    assert all(b.isEnabled() for b in d.used_by.setup_buttons.values())
    with qtbot.waitSignal(f.window.commands.setup_copied, timeout=5000) as copied:
        qtbot.mouseClick(d.used_by.setup_buttons["git"], qtbot_button())
    want = shlex.join([*own_command(), "credential", "git", "--install"])
    assert copied.args == ["git", want] and clipboard_text() == want
    assert "Copied the git set-up command for gh" in f.window.status_bar.status_text()
    with qtbot.waitSignal(f.window.commands.setup_copied, timeout=5000):
        qtbot.mouseClick(d.used_by.setup_buttons["docker"], qtbot_button())
    assert clipboard_text().endswith("credential docker --install")
    assert TOKEN[4:20] not in all_text(f.window)


def test_an_entry_without_hosts_says_so(make_window: Any) -> None:
    f = make_window()
    assert f.window.select("github-ci")
    d = f.window.details
    assert "Serves no host" in d.used_by.hosts_label.text()
    assert not any(b.isEnabled() for b in d.used_by.setup_buttons.values())


def test_docker_needs_a_host_without_a_prefix(make_window: Any) -> None:
    f = make_window()
    served(f, "github.com/acme")
    buttons = f.window.details.used_by.setup_buttons
    assert buttons["git"].isEnabled() and buttons["kubectl"].isEnabled()
    assert not buttons["docker"].isEnabled()


def test_the_kubeconfig_entry_speaks_the_local_kubectls_version(
    make_window: Any, qtbot: Any, tmp_path: Path
) -> None:
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    doc = {"clientVersion": {"major": "1", "minor": "20"}}
    fake.write_text(f"#!/bin/sh\necho '{json.dumps(doc)}'\n")
    fake.chmod(0o755)
    f = make_window(env={"SHELL": "/bin/bash", "PATH": str(fake.parent)})
    served(f, "k8s.example:6443", name="corp")
    with qtbot.waitSignal(f.window.commands.setup_copied, timeout=10000) as copied:
        qtbot.mouseClick(f.window.details.used_by.setup_buttons["kubectl"], qtbot_button())
    tool, text = copied.args
    assert tool == "kubectl" and clipboard_text() == text
    assert "apiVersion: client.authentication.k8s.io/v1beta1\n" in text
    assert '- name: "corp"' in text and "provideClusterInfo: true" in text


def test_a_refusal_shows_in_the_details(make_window: Any) -> None:
    f = make_window()
    served(f, "github.com")
    f.vault.set_refused("gh", "github.com")
    f.window.reload()
    label = f.window.details.used_by.refused_label
    assert label.isVisible()
    assert label.text().startswith("⚠ Refused by github.com ")
    assert "nothing was deleted; store a new token for it" in label.text()


def test_last_use_and_history_come_from_the_record(make_window: Any, qtbot: Any) -> None:
    f = make_window()
    served(f, "github.com")
    d = f.window.details
    usage = f.window.usage
    with qtbot.waitSignal(usage.loaded, timeout=5000):
        usage.reload()
    assert d.used_by.last_used_label.text() == "Not handed out yet."
    # Hand-outs by other processes (git, the CLI): the record changes, the app reads it.
    record.write(f.home, "gh", "get")
    record.write(f.home, "gh", "git", host="github.com/acme/app.git")
    qtbot.waitUntil(lambda: "git credential" in d.used_by.last_used_label.text(), timeout=5000)
    assert re.match(r"Last used \d+ s ago · git credential · ", d.used_by.last_used_label.text())
    assert "github.com/acme/app.git" in d.used_by.last_used_label.text()
    assert "(pid " in d.used_by.last_used_label.text()
    assert d.used_by.history_label.isVisible()
    assert re.match(r"· \d+ s ago · get · ", d.used_by.history_label.text())
    assert d.used_by.last_used_label.textFormat().name == "PlainText"
    # The app's own copy is on the record too, and the pane follows it.
    f.window.copy("gh", "header")
    qtbot.waitUntil(lambda: " · copy · " in d.used_by.last_used_label.text(), timeout=5000)
    assert re.match(r"Last used \d+ s ago · copy · ", d.used_by.last_used_label.text())


def test_window_and_tray_copies_are_on_the_record(make_window: Any, qtbot: Any) -> None:
    f = make_window()
    with qtbot.waitSignal(f.window.token_copied, timeout=5000):
        f.window.copy("github-ci", "header")
    with qtbot.waitSignal(f.window.token_copied, timeout=5000):
        f.window.copy_from_tray("sandbox", "raw")
    items = record.read(f.home)
    assert [(i["entry"], i["how"]) for i in items] == [("github-ci", "copy"), ("sandbox", "tray")]
    text = (f.home / record.RECORD_NAME).read_text()
    assert "opaque-sandbox-token" not in text


def test_a_record_not_written_is_said_in_the_status_bar(make_window: Any, qtbot: Any) -> None:
    f = make_window()
    (f.home / record.RECORD_NAME).mkdir()
    with qtbot.waitSignal(f.window.token_copied, timeout=5000):
        f.window.copy("github-ci", "header")
    qtbot.waitUntil(lambda: "access record" in f.window.status_bar.status_text())
    assert "was not written" in f.window.status_bar.status_text()


# ---------------------------------------------------------------- the dialog


def test_the_hosts_field_is_checked_and_saved(qtbot: Any) -> None:
    from tokenmgr.gui.entry_dialog import EntryDialog

    dialog = EntryDialog(existing_names=set())
    qtbot.addWidget(dialog)
    page = dialog.static_page
    page.token.setText(TOKEN)
    page.hosts.setText("https://github.com")
    page.revalidate()
    assert page.hosts_error.isVisibleTo(page) and "without a scheme" in page.hosts_error.text()
    assert not dialog.save_button.isEnabled()
    page.hosts.setText("GitHub.com, github.com/acme  registry.example:5000")
    page.revalidate()
    assert not page.hosts_error.isVisibleTo(page) and dialog.save_button.isEnabled()
    assert page.request().hosts == ["github.com", "github.com/acme", "registry.example:5000"]
    dialog.reject()


def test_editing_shows_the_hosts_and_saving_binds_them(tmp_path: Path, qtbot: Any) -> None:
    from tests.support.gui_window import RecordingStore
    from tokenmgr.core.helpers import serve
    from tokenmgr.gui.entry_dialog import EntryDialog
    from tokenmgr.gui.entry_request import save_entry

    store = RecordingStore(KeyringStore(backend=MemoryKeyring()))
    vault = Vault(home=tmp_path / "home", store=store)  # type: ignore[arg-type]
    # Added with its hosts: bound with the token.
    adding = EntryDialog(existing_names=set())
    qtbot.addWidget(adding)
    adding.static_page.token.setText(TOKEN)
    adding.static_page.name.setText("gh")
    adding.static_page.hosts.setText("github.com")
    entry = save_entry(vault, adding.static_page.request())
    assert entry.hosts == ["github.com"]
    got = serve(vault, "git", "https", "github.com")
    assert got is not None and got.token == TOKEN
    adding.reject()
    # Edited: the dialog shows them; a change is bound again.
    dialog = EntryDialog(existing_names={"gh"}, entry=entry)
    qtbot.addWidget(dialog)
    assert dialog.static_page.hosts.text() == "github.com"
    dialog.static_page.hosts.setText("github.com, ghcr.io")
    saved = save_entry(vault, dialog.static_page.request())
    assert saved.hosts == ["github.com", "ghcr.io"]
    got = serve(vault, "docker", "https", "ghcr.io")
    assert got is not None and got.token == TOKEN
    # An edit that leaves the hosts alone touches no secret (the binding stays).
    store.calls.clear()
    req = dialog.static_page.request()
    req.note = "no store needed"
    assert save_entry(vault, req).note == "no store needed"
    assert store.calls == []
    dialog.reject()


@pytest.mark.parametrize(
    ("preset", "values", "hosts"),
    [("github", "", "github.com"), ("gitlab", "host=gitlab.example.com", "gitlab.example.com"),
     ("google", "", "")],
)
def test_a_preset_suggests_its_hosts(qtbot: Any, preset: str, values: str, hosts: str) -> None:
    from tokenmgr.gui.oauth_profile import OAuthProfilePage

    page = OAuthProfilePage()
    qtbot.addWidget(page)
    page.preset.setCurrentIndex(page.preset.findData(preset))
    if values:
        key, _, value = values.partition("=")
        page.preset_fields[key].setText(value)
        page._on_field_changed()
    assert page.hosts.text() == hosts
    page.client_id.setText("client")
    page.revalidate()
    assert page.request().hosts == ([hosts] if hosts else [])
    # What the person types is theirs: a preset change no longer replaces it.
    qtbot.keyClicks(page.hosts, ", git.example")
    page.preset.setCurrentIndex(page.preset.findData("okta"))
    assert page.hosts.text().endswith(", git.example")


# ------------------------------------------------------------- tray, keeper


def test_the_tray_tooltip_says_when_each_token_was_last_used(qtbot: Any) -> None:
    from tokenmgr.core.entries import Entry
    from tokenmgr.gui.tray import Tray

    tray = Tray()
    now = now_utc()
    tray.set_entries([Entry(name="gh"), Entry(name="ci")], now)
    items = {"gh": [{"time": (now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "entry": "gh", "how": "git", "program": "git"}]}
    tray.set_last_used(items)
    tips = {a.text(): a.toolTip() for a in tray.menu.actions() if a.menu() is not None}
    assert tips == {"gh": "Last used 3 min ago (git credential by git)", "ci": "Not used yet"}
    assert tray.menu.toolTipsVisible()


def test_a_refusal_is_notified_once(qtbot: Any, tmp_path: Path) -> None:
    from tokenmgr.gui.keeper import Keeper
    from tokenmgr.gui.tasks import Tasks

    vault = Vault(home=tmp_path / "home", store=KeyringStore(backend=MemoryKeyring()))
    vault.add("gh", TOKEN, hosts=["github.com"])
    vault.set_refused("gh", "github.com")
    rec = RecordingNotifier()
    keeper = Keeper(vault, Tasks(), rec, vault.list_entries, lambda: 10)
    keeper.tick()
    keeper.tick()
    assert rec.calls == [
        ("gh", "github.com refused gh",
         "Nothing was deleted; store a new token for it in Token Manager.")
    ]
    again = RecordingNotifier()
    Keeper(vault, Tasks(), again, vault.list_entries, lambda: 10).tick()  # a restart
    assert again.calls == []
    # A later refusal is another one.
    entry = vault.entry("gh")
    entry.refused_at = now_utc() + timedelta(minutes=1)
    vault.update_entry(entry)
    Keeper(vault, Tasks(), again, vault.list_entries, lambda: 10).tick()
    assert len(again.calls) == 1


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


@pytest.mark.integration
def test_a_background_refresh_is_on_the_record(
    qtbot: Any,
    oidc_server: Any,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.support.keeper import keeper_for
    from tests.support.oauth import expire
    from tests.support.oidc_server import scripted_login

    oidc_server.reset()
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", cli_env["DBUS_SESSION_BUS_ADDRESS"])
    keeper = keeper_for(cli_env, RecordingNotifier())
    with qtbot.waitSignal(keeper.refreshed, timeout=30000):
        keeper.tick()
    keeper.tasks.wait()
    items = record.read(Path(cli_env["TOKENMGR_HOME"]))
    assert [(i["entry"], i["how"]) for i in items] == [("w", "refresh")]
    # Nothing due: a tick refreshes nothing, and records nothing.
    keeper.tick()
    keeper.tasks.wait()
    assert len(record.read(Path(cli_env["TOKENMGR_HOME"]))) == 1
