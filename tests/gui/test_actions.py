"""The action table: every action named and tipped, shortcuts as key sequences, and what
each one needs of the selection (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

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


def test_the_table_makes_every_action(acts: Actions) -> None:
    assert {a.objectName() for a in acts} == {spec.name for spec in ACTIONS}


# Accessible roles a user acts on: each must have a name a screen reader can say.
ACTIONABLE = frozenset({
    QAccessible.Role.PushButton, QAccessible.Role.ButtonMenu, QAccessible.Role.ButtonDropDown,
    QAccessible.Role.CheckBox, QAccessible.Role.MenuItem, QAccessible.Role.ComboBox,
    QAccessible.Role.EditableText, QAccessible.Role.SpinBox,
})


def accessible_tree(iface: QAccessibleInterface | None, depth: int = 0
                    ) -> Iterator[QAccessibleInterface]:
    if iface is None or not iface.isValid() or depth > 40:
        return
    yield iface
    for i in range(iface.childCount()):
        yield from accessible_tree(iface.child(i), depth + 1)


def test_every_action_has_an_accessible_name_and_no_secret(make_window, qtbot) -> None:
    """The window as a screen reader walks it, with a token revealed, one copied (the
    countdown running) and the context menu built: everything a user acts on has a
    name, and no name, description, tooltip or action text holds a secret."""
    f = make_window()
    w = f.window
    secrets = [v for v in f.keyring.items.values() if len(v) >= 12]
    assert demo.GITHUB in secrets
    assert w.select("github-ci")
    w.details.token_row.reveal_button.click()
    qtbot.waitUntil(lambda: w.details.revealed, timeout=5000)
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        w.copy_selected("header")
    w._on_token_list_context_menu_requested(w.mapToGlobal(w.rect().center()))
    menu = w._context_menu
    qtbot.waitUntil(menu.isVisible, timeout=5000)

    def holds_secret(text: str) -> bool:
        return any(v[:12] in text for v in secrets)

    # The window's actions and every menu's items (a toolbar's widgets and the menus'
    # own menu actions have no words of their own: the walk below names their widgets).
    actions = list(w.action_table) + [
        a for menu in w.findChildren(QMenu) for a in menu.actions() if not a.isSeparator()]
    assert {spec.name for spec in ACTIONS} <= {a.objectName() for a in actions}
    for a in actions:
        words = a.text().replace("&&", "&").replace("&", "")
        assert words.strip(), a.objectName()
        for text in (a.text(), a.toolTip(), a.statusTip(), a.whatsThis(), a.iconText()):
            assert not holds_secret(text), (a.objectName(), text)
    named: list[str] = []
    for root in (w, menu):
        for iface in accessible_tree(QAccessible.queryAccessibleInterface(root)):
            name = iface.text(QAccessible.Text.Name)
            for text in (name, iface.text(QAccessible.Text.Description),
                         iface.text(QAccessible.Text.Help)):
                assert not holds_secret(text), (iface.role(), text)
            if iface.role() in ACTIONABLE and not iface.state().invisible:
                assert name.strip(), (iface.role(), iface.object())
                named.append(name)
    menu.hide()
    # The walk met the toolbar's buttons and the context menu's items, by name.
    said = {n.replace("&", "") for n in named}
    for name in ("Add", "Copy header", "Edit…", "Delete…", "Filter tokens", "Hide the token"):
        assert name in said, "|".join(sorted(said))
    assert w.details.revealed  # the walk happened with the token on screen


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
