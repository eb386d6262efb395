"""Import from a .env file and export as one, through the window's real dialogs (the
file chooser included): the preview names what it would create and never shows a
value, nothing is stored before Import, clashes are said on their row and block the
import until renamed or unticked; the export is what python-dotenv reads back, mode
0600, and says before writing that it replaces a file."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from tests.support import demo
from tests.support.gui_window import Fixture, all_text
from tokenmgr.gui.export_dialog import ExportDialog
from tokenmgr.gui.import_dialog import NAME, ImportDialog

pytestmark = pytest.mark.gui

GITHUB = "ghp_Wq3Lx8Zr2Nv6Tb1Kd9Hs4Mj7Yc0Fp5Ga2Ue"
STRIPE = "sk_live_51Hq2RqLkdIwHu7ixA7fIMPORTEDonly"
JWT = demo.jwt_token({"iss": "https://auth.acme.example/", "sub": "ci", "exp": 4102444800})
DOTENV = f"""# the project's settings
export GITHUB_TOKEN={GITHUB}
STRIPE_API_KEY='{STRIPE}'  # live key
API_PROD_TOKEN="{JWT}"
PORT=8080
EMPTY=
{GITHUB[:-4]}XXXX
"""
SECRETS = (GITHUB, STRIPE, JWT, GITHUB[:-4])


def choose_file(qtbot: Any, w: Any, action: str, path: Path) -> Any:
    """Trigger `action`, pick `path` in the file chooser it opens; the next dialog."""
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table[action].trigger()
    chooser = opened.args[0]
    assert isinstance(chooser, QFileDialog)
    with qtbot.waitSignal(w.commands.dialog_opened, timeout=10_000) as opened:
        chooser.selectFile(str(path))
        chooser.accept()
    return opened.args[0]


def shown_text(d: ImportDialog) -> str:
    cells = [d.table.item(r, c).text() for r in range(d.table.rowCount())
             for c in range(d.table.columnCount())]
    tips = [d.table.item(r, c).toolTip() for r in range(d.table.rowCount())
            for c in range(d.table.columnCount())]
    return "\n".join([all_text(d), *cells, *tips])


def test_import_previews_then_stores_what_was_ticked(
    qtbot: Any, make_window: Callable[..., Fixture], tmp_path: Path
) -> None:
    f = make_window()
    w = f.window
    env = tmp_path / "project" / ".env"  # a hidden file, as .env files are
    env.parent.mkdir()
    env.write_text(DOTENV)
    before = set(w.model.names())
    d = choose_file(qtbot, w, "import_env", env)
    assert isinstance(d, ImportDialog)
    assert d.rows() == [
        (True, "github", "GITHUB_TOKEN", "will be added"),
        (True, "stripe-api-key", "STRIPE_API_KEY", "will be added"),
        (False, "api-prod", "API_PROD_TOKEN", "⚠ the name is taken: rename it"),
        (False, "port", "PORT", ""),
    ]
    whats = [d.table.item(r, 2).text() for r in range(4)]
    assert whats[0] == "GitHub token" and whats[1] == "Stripe token"
    assert whats[2].startswith("Signed JWT") and whats[3] == "opaque, 4 characters"
    assert d.problems.text() == (
        "Not imported:\nLine 6: EMPTY is empty.\n"
        "Line 7: not NAME=value (the line is not shown: it may be a token)."
    )
    text = shown_text(d)
    assert not any(s in text for s in SECRETS)  # never a value, nor the odd line
    assert d.import_button.text() == "Import 2 tokens" and d.import_button.isEnabled()
    assert not any(c.method == "set" for c in f.store.calls)  # nothing stored yet
    # Ticking the clash blocks the import until it is renamed.
    d.table.item(2, NAME).setCheckState(Qt.CheckState.Checked)
    assert not d.import_button.isEnabled()
    assert d.error.text() == "api-prod: the name is taken: rename it, or untick it."
    d.table.item(2, NAME).setText("api-prod-ci")
    assert d.import_button.isEnabled() and d.import_button.text() == "Import 3 tokens"
    assert d.error.isHidden()
    with qtbot.waitSignal(w.commands.entries_changed, timeout=10_000):
        d.import_button.click()
    assert set(w.model.names()) - before == {"github", "stripe-api-key", "api-prod-ci"}
    assert w.status_bar.status_text() == (
        "Imported 3 tokens: github, stripe-api-key, api-prod-ci.")
    stored = {n: f.vault.get_token(n)[1] for n in ("github", "stripe-api-key", "api-prod-ci")}
    assert stored == {"github": GITHUB, "stripe-api-key": STRIPE, "api-prod-ci": JWT}
    e = w.token_list.entry("stripe-api-key")
    assert (e.env_var, e.service, e.note) == ("STRIPE_API_KEY", "Stripe", "Imported from .env")
    assert w.settings.env_dir == str(env.parent)  # the next chooser starts there


def test_a_cancelled_import_stores_nothing(
    qtbot: Any, make_window: Callable[..., Fixture], tmp_path: Path
) -> None:
    f = make_window(entries=False)
    w = f.window
    env = tmp_path / "x.env"
    env.write_text(DOTENV)
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.welcome.import_button.click()  # the first screen's way in
    chooser = opened.args[0]
    with qtbot.waitSignal(w.commands.dialog_opened, timeout=10_000) as opened:
        chooser.selectFile(str(env))
        chooser.accept()
    d = opened.args[0]
    assert d.rows()[0][:2] == (True, "github")
    d.reject()
    assert w.model.rowCount() == 0 and not any(c.method == "set" for c in f.store.calls)
    assert d._assignments == []  # the values went with the dialog


def test_a_file_that_is_not_a_env_file_is_a_sentence(
    qtbot: Any, make_window: Callable[..., Fixture], tmp_path: Path
) -> None:
    w = make_window().window
    binary = tmp_path / "photo.env"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["import_env"].trigger()
    with qtbot.waitSignal(w.commands.error_reported, timeout=10_000) as reported:
        opened.args[0].selectFile(str(binary))
        opened.args[0].accept()
    assert reported.args[0] == "Photo.env is not UTF-8 text: not a .env file."


def test_export_writes_what_python_dotenv_reads_back_only_for_its_owner(
    qtbot: Any, make_window: Callable[..., Fixture], tmp_path: Path
) -> None:
    f = make_window()
    w = f.window
    assert w.select("github-ci")
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["export_env"].trigger()
    d = opened.args[0]
    assert isinstance(d, ExportDialog)
    assert d.names() == ["github-ci"]  # the selected one, to start with
    assert "readable only by you (mode 0600)" in all_text(d)
    for i in range(d.list.count()):
        if d.list.item(i).text().startswith("api-prod"):
            d.list.item(i).setCheckState(Qt.CheckState.Checked)
    target = tmp_path / "deploy" / ".env"
    target.parent.mkdir()
    target.write_text("OLD=1\n")
    d.path.setText(str(target))
    assert d.replaces.text() == "⚠ .env exists; exporting replaces it."
    assert d.export_button.text() == "Export 2 tokens"
    with qtbot.waitSignal(w.commands.status_reported, timeout=10_000) as said:
        d.export_button.click()
    assert said.args[0] == f"Exported 2 tokens to {target} (readable only by you)."
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    api_prod = f.vault.get_token("api-prod")[1]
    assert dotenv_values(target) == {"API_PROD_TOKEN": api_prod, "GITHUB_CI_TOKEN": demo.GITHUB}


def test_export_refuses_two_tokens_for_one_variable(
    qtbot: Any, make_window: Callable[..., Fixture], tmp_path: Path
) -> None:
    f = make_window()
    w = f.window
    f.vault.edit_metadata("sandbox", {"env_var": "GITHUB_CI_TOKEN"})
    w.reload()
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["export_env"].trigger()
    d = opened.args[0]
    d._tick_all(Qt.CheckState.Checked)
    d.path.setText(str(tmp_path / "all.env"))
    assert not d.export_button.isEnabled()
    assert d.error.text() == (
        "github-ci and sandbox both set GITHUB_CI_TOKEN; a .env file holds one value per "
        "variable: untick one.")
    assert not (tmp_path / "all.env").exists()
    d.reject()
