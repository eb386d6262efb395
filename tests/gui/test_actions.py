"""The action table: every action named and tipped, shortcuts as key sequences, and what
each one needs of the selection (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget

from tests.support import demo
from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.gui.actions import ACTIONS, CONTEXT_MENU, Actions

pytestmark = pytest.mark.gui

NOW = datetime.now(UTC)
STATIC = Entry("static", expires_at=NOW + timedelta(days=1))
OAUTH = Entry("oauth", kind="oauth2", oauth=OAuthConfig(issuer="https://i.example",
                                                        client_id="c"),
              expires_at=NOW + timedelta(hours=1), secrets=["access", "refresh"])
REFUSED = Entry("refused", kind="oauth2", state="sign_in_needed",
                oauth=OAuthConfig(issuer="https://i.example", client_id="c"))
NEEDS_ENTRY = ("copy_header", "copy_raw", "copy_env", "copy_dotenv", "copy_curl",
               "copy_chosen", "edit", "delete")


@pytest.fixture
def acts(qtbot) -> Iterator[Actions]:
    w = QWidget()  # the actions' owner, alive for the test
    qtbot.addWidget(w)
    yield Actions(w)


def test_every_action_has_words_and_a_tip_with_no_secret(acts: Actions) -> None:
    assert {a.objectName() for a in acts} == {spec.name for spec in ACTIONS}
    for a in acts:
        assert a.text()
        assert demo.GITHUB not in a.toolTip()


@pytest.mark.parametrize(("name", "keys"), [
    ("add", "Ctrl+N"), ("sign_in_new", "Ctrl+Shift+N"), ("edit", "F2"), ("refresh", "F5"),
    ("paste_decode", "Ctrl+Shift+V"), ("filter", "Ctrl+F"), ("quit", "Ctrl+Q"),
])
def test_shortcuts(acts: Actions, name: str, keys: str) -> None:
    assert acts[name].shortcut() == QKeySequence(keys)
    assert acts[name].shortcutContext() == Qt.ShortcutContext.WindowShortcut


def test_with_nothing_selected_only_what_needs_no_entry_is_enabled(acts: Actions) -> None:
    acts.update_for(None, NOW)
    for name in NEEDS_ENTRY:
        assert not acts[name].isEnabled(), name
    for name in ("add", "sign_in_new", "paste_decode", "filter", "preferences", "quit"):
        assert acts[name].isEnabled(), name
    assert not acts["refresh"].isVisible() and not acts["sign_in_again"].isVisible()


def test_a_static_token_can_be_copied_edited_deleted_not_refreshed(acts: Actions) -> None:
    acts.update_for(STATIC, NOW)
    for name in NEEDS_ENTRY:
        assert acts[name].isEnabled(), name
    assert not acts["refresh"].isVisible() and not acts["refresh"].isEnabled()
    assert not acts["sign_in_again"].isVisible()


def test_an_oauth_entry_can_be_refreshed_and_signed_in_again_when_refused(acts: Actions) -> None:
    acts.update_for(OAUTH, NOW)
    assert acts["refresh"].isVisible() and acts["refresh"].isEnabled()
    assert not acts["sign_in_again"].isVisible()
    acts.update_for(REFUSED, NOW)
    assert acts["sign_in_again"].isVisible() and acts["sign_in_again"].isEnabled()
    expired = Entry("gone", kind="oauth2", expires_at=NOW - timedelta(minutes=1),
                    oauth=OAuthConfig(issuer="https://i.example", client_id="c"),
                    secrets=["access"])  # no refresh token: only a new sign-in renews it
    acts.update_for(expired, NOW)
    assert acts["sign_in_again"].isVisible()


def test_menus_are_built_from_the_layouts(acts: Actions, qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    menu = acts.menu(CONTEXT_MENU, parent)
    names = [a.objectName() or None for a in menu.actions()]
    assert names == list(CONTEXT_MENU)


def test_the_selection_drives_the_windows_actions(make_window, qtbot) -> None:
    w = make_window().window
    assert w.select("staging")
    assert w.action_table["refresh"].isVisible()
    assert w.select("github-ci")
    assert not w.action_table["refresh"].isVisible()
    w.token_list.filter_edit.setText("no-such-token")
    assert not w.action_table["copy_header"].isEnabled()
