"""Renaming an entry in the app: from the context menu's Rename… (or Edit, F2) the name
field of the Edit dialog; its secrets move with it (an OAuth entry keeps its refresh
token and binding), its env var stays, the list selects it by its new name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import demo
from tests.support.gui_window import Fixture, clipboard_text

pytestmark = pytest.mark.gui


def rename(qtbot: Any, w: Any, old: str, new: str, note: str | None = None) -> Any:
    assert w.select(old)
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["rename"].trigger()
    d = opened.args[0]
    page = d.static_page
    qtbot.waitUntil(lambda: d.focusWidget() is page.name)  # the name, selected, to type over
    assert page.name.selectedText() == old
    qtbot.keyClicks(page.name, new)
    if note is not None:
        page.note.setText(note)
    assert page.rename_hint.isVisible()
    with qtbot.waitSignal(w.commands.entries_changed, timeout=10_000):
        d.save_button.click()
    return d


def test_rename_moves_the_token_and_keeps_the_env_var(
    qtbot: Any, make_window: Callable[..., Fixture]
) -> None:
    f = make_window()
    w = f.window
    rename(qtbot, w, "github-ci", "gh-ci", note="renamed")
    assert "github-ci" not in w.model.names() and w.token_list.current_name() == "gh-ci"
    assert w.status_bar.status_text() == "Renamed github-ci to gh-ci"
    e = w.token_list.entry("gh-ci")
    assert (e.env_var, e.service, e.note) == ("GITHUB_CI_TOKEN", "GitHub", "renamed")
    assert not any(c.on_main_thread for c in f.store.calls)
    assert f.store.inner.get("github-ci", "access") is None  # nothing left under the old name
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("raw")
    assert clipboard_text() == demo.GITHUB


def test_an_oauth_entry_keeps_its_refresh_token(
    qtbot: Any, make_window: Callable[..., Fixture]
) -> None:
    f = make_window()
    w = f.window
    refresh = f.store.inner.get("staging", "refresh")
    rename(qtbot, w, "staging", "acme-staging")
    e = w.token_list.entry("acme-staging")
    assert e.kind == "oauth2" and e.oauth is not None and "refresh" in e.secrets
    assert f.store.inner.get("acme-staging", "refresh") == refresh
    assert f.store.inner.get("staging", "refresh") is None


def test_a_taken_name_is_refused_in_the_dialog(
    qtbot: Any, make_window: Callable[..., Fixture]
) -> None:
    f = make_window()
    w = f.window
    assert w.select("sandbox")
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["edit"].trigger()  # Edit (F2) renames too
    d = opened.args[0]
    d.static_page.name.setText("old-key")
    d.static_page.revalidate()
    assert not d.save_button.isEnabled()
    assert d.static_page.name_error.text() == (
        "A token named old-key exists already; choose another name.")
    d.reject()
    assert {c.method for c in f.store.calls} <= {"get", "probe", "check", "info"}
