"""What the user can do to entries, one method per operation: copy (the token, or what
sets git, docker or kubectl up), add, edit, rename, delete, refresh.

`EntryCommands` is also the window's one handle on every user operation: it holds
what they share (gui/command_context.py: the vault, the lock, the open dialog, the
signals the window hears) and the other groups, each its own object:
`sign_ins` (gui/signin_commands.py), `checks` (gui/token_checks.py, the details
pane's buttons and paste & decode) and `env_files` (gui/env_commands.py). Every store
or network call runs in a worker (`Tasks`); results come back on the GUI thread.
It acts on the list's current entry, or on the entry named.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from tokenmgr.core.entries import Entry
from tokenmgr.core.rules import now_utc
from tokenmgr.core.usecases import handout, remove
from tokenmgr.gui.actions import FORMAT_WORDS
from tokenmgr.gui.command_context import STILL_LOCKED, CommandContext, alive
from tokenmgr.gui.delete_dialog import DeleteDialog
from tokenmgr.gui.entry_request import EntryRequest, save_entry
from tokenmgr.gui.env_commands import EnvFileCommands
from tokenmgr.gui.errors import describe
from tokenmgr.gui.signin_commands import SignInCommands
from tokenmgr.gui.token_checks import TokenChecks

if TYPE_CHECKING:
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.details import DetailsPane
    from tokenmgr.gui.entry_dialog import EntryDialog
    from tokenmgr.gui.settings import Settings
    from tokenmgr.gui.tasks import Tasks
    from tokenmgr.gui.token_list import TokenList


class EntryCommands(CommandContext):
    def __init__(
        self,
        window: QWidget,
        vault: Vault,
        tokens: TokenList,
        details: DetailsPane,
        tasks: Tasks,
        settings: Settings,
        env: Mapping[str, str],
        clipboard: Clipboard | None = None,
    ) -> None:
        super().__init__(window, vault, tokens, details, tasks, settings, env, clipboard)
        self._copy_seq = 0  # only the newest copy request writes the clipboard
        self.sign_ins = SignInCommands(self)
        self.checks = TokenChecks(self)
        self.checks.add_requested.connect(self._on_checks_add_requested)
        self.env_files = EnvFileCommands(self)

    def set_locked(self, locked: bool) -> None:
        if locked:
            self._copy_seq += 1  # a copy still reading leaves the clipboard alone
        super().set_locked(locked)

    # ------------------------------------------------------------------ copy

    def copy_selected(self, fmt: str) -> None:
        entry = self.tokens.current_entry()
        if entry is None:
            self.status_reported.emit("Select a token first.")
            return
        self.copy(entry.name, fmt)

    def copy_chosen(self) -> None:
        """Copy the selected token in the format chosen last (Ctrl+C)."""
        self.copy_selected(self.settings.copy_format)

    def copy(self, name: str, fmt: str, how: str = "copy") -> None:
        """Read the token in a worker, render it, put it on the clipboard (on the access
        record as `how`: "copy" from the window, "tray" from the tray menu)."""
        vault = self.need_store(lambda: self.copy(name, fmt, how))
        if vault is None:
            return
        if fmt not in FORMAT_WORDS:
            fmt = "header"
        if fmt not in (self.settings.copy_format, "header"):
            self.settings.copy_format = fmt  # Ctrl+C repeats the last format chosen
        shell = self.settings.shell(self.env)
        self._copy_seq += 1
        seq = self._copy_seq

        def done(result: tuple[Entry, str]) -> None:
            entry, text = result
            if seq != self._copy_seq:
                return  # a later copy was asked for meanwhile: it wins the clipboard
            what = FORMAT_WORDS[fmt]
            if self.clipboard is not None:
                self.clipboard.copy(text, what)
            expired = expired_words(entry, now_utc())
            if expired:
                # Handed out all the same (the person may know better), but never quietly.
                self.error_reported.emit(f"Copied {what} of {entry.name}, but {expired}", False)
            else:
                self.status_reported.emit(f"Copied {what} of {entry.name}")
            self.token_copied.emit(entry.name, fmt)

        self.tasks.run(
            f"Reading {name}…",
            lambda: handout.copy_text(vault, name, fmt, shell, how=how),
            done,
            self.report_error,
        )

    def copy_setup(self, name: str, tool: str) -> None:
        """Copy what sets `tool` up to ask Token Manager for this entry's hosts: the
        install command for git and docker, the kubeconfig `users[]` item for kubectl
        (in the exec API version the local kubectl takes: asking it runs it, in a
        worker). Nothing secret: plain text, not concealed, not cleared."""
        import shlex

        from tokenmgr.core.helpers import own_command

        command = own_command()
        words = {"git": "the git set-up command", "docker": "the docker set-up command",
                 "kubectl": "the kubeconfig entry"}

        def put(text: str) -> None:
            board = QGuiApplication.clipboard()
            if board is not None:
                board.setText(text)
            self.status_reported.emit(
                f"Copied {words[tool]} for {name}"
                + (": paste it into a terminal" if tool != "kubectl" else
                   ": paste it under users: in your kubeconfig")
            )
            self.setup_copied.emit(tool, text)

        if tool in ("git", "docker"):
            put(shlex.join([*command, "credential", tool, "--install"]))
            return

        def snippet() -> str:
            from tokenmgr.core.errors import TokenMgrError
            from tokenmgr.core.helpers import kubectl

            try:
                version = kubectl.local_api_version(env=self.env)
            except TokenMgrError:
                version = "v1"  # kubectl 1.22 and later; an older one is told by its error
            return kubectl.config_snippet(name, command, version)

        self.tasks.run("Asking kubectl for its version…", snippet, put, self.report_error)

    # ------------------------------------------------------ add, edit, delete

    def add_entry(self) -> None:
        self._add_dialog("static")

    def sign_in_new(self) -> None:
        self._add_dialog("oauth2")

    def edit_selected(self, *, rename: bool = False) -> None:
        """The Edit dialog for the selected entry; with `rename`, its name field focused
        (a new name there renames the entry)."""
        from tokenmgr.gui.entry_dialog import EntryDialog

        entry = self.tokens.current_entry()
        if entry is None:
            self.status_reported.emit(f"Select a token to {'rename' if rename else 'edit'}.")
            return
        dialog = EntryDialog(self.window, existing_names=self.tokens.names(), entry=entry)
        dialog.save_requested.connect(lambda req: self._save(dialog, req))
        if rename:
            dialog.static_page.name.setFocus()
            dialog.static_page.name.selectAll()
        self.open_dialog(dialog)

    def rename_selected(self) -> None:
        self.edit_selected(rename=True)

    def delete_selected(self) -> None:
        """Ask first ("Delete github-ci?"), offering to revoke an OAuth entry's grant."""
        entry = self.tokens.current_entry()
        if entry is None:
            self.status_reported.emit("Select a token to delete.")
            return
        if self.need_store(self.delete_selected) is None:
            return
        where = "the vault file" if self.store_kind == "file" else "the keyring"
        box = DeleteDialog(entry, where, self.window)
        box.finished.connect(lambda _result: self._on_delete_box_finished(box))
        self.open_dialog(box)

    def refresh_selected(self) -> None:
        """Get a fresh access token for the selected OAuth entry (F5)."""
        entry = self.tokens.current_entry()
        if entry is None or entry.kind != "oauth2":
            return
        vault = self.need_store(self.refresh_selected)
        if vault is None:
            return
        name = entry.name

        def done(e: Entry) -> None:
            self.entries_changed.emit(e.name)
            self.status_reported.emit(f"Refreshed {e.name}")

        self.tasks.run(f"Refreshing {name}…", lambda: handout.refresh_now(vault, name), done,
                       self.report_error)

    # ---------------------------------------------------------------- inside

    def _add_dialog(self, kind: str, token: str | None = None) -> None:
        from tokenmgr.gui.entry_dialog import EntryDialog

        dialog = EntryDialog(
            self.window,
            existing_names=self.tokens.names(),
            tasks=self.tasks,
            kind=kind,
            token=token,
            env=self.env,
            remembered=self.settings.last_sign_in,
        )
        dialog.save_requested.connect(lambda req: self._save(dialog, req))
        dialog.embedded_sign_in_wanted.connect(self.sign_ins.ready_window)
        dialog.finished.connect(lambda _result: self.sign_ins.ready_window(False))
        dialog.sign_in_requested.connect(lambda req: self.sign_ins.sign_in(dialog, req))
        self.open_dialog(dialog)
        self.sign_ins.ready_window(dialog.wants_embedded_sign_in())

    def _save(self, dialog: EntryDialog, req: EntryRequest) -> None:
        vault = self.vault
        if (req.token is not None or req.renames) and self.locked:
            self.need_store(lambda: self._save(dialog, req) if alive(dialog) else None,
                            lambda: dialog.failed(STILL_LOCKED) if alive(dialog) else None)
            return
        if (req.token is not None or req.renames) and not self.store_ready:
            # (An edit without a new token or name changes the index only: no store needed.)
            what = "rename it" if req.renames and req.token is None else "add the token"
            dialog.failed(f"The secret store is not ready; set it up first, then {what}.")
            return

        def done(entry: Entry) -> None:
            if alive(dialog):  # the user may have closed it meanwhile
                dialog.saved()
            self.entries_changed.emit(entry.name)
            if req.renames:
                self.status_reported.emit(f"Renamed {req.old_name} to {entry.name}")
            else:
                self.status_reported.emit(
                    f"Saved {entry.name}" if req.editing else f"Added {entry.name}"
                )

        def failed(exc: BaseException) -> None:
            if alive(dialog):
                dialog.failed(describe(exc))
            else:
                self.report_error(exc)

        self.tasks.run(f"Saving {req.name}…", lambda: save_entry(vault, req), done, failed)

    def _on_delete_box_finished(self, box: DeleteDialog) -> None:
        if not box.confirmed():
            return
        self._delete(box.name, box.revoke())

    def _delete(self, name: str, revoke: bool) -> None:
        vault = self.need_store(lambda: self._delete(name, revoke))
        if vault is None:
            return

        def done(notes: list[str]) -> None:
            self.entries_changed.emit("")
            self.status_reported.emit(" ".join([f"Deleted {name}.", *notes]))

        def failed(exc: BaseException) -> None:
            text = describe(exc)
            if revoke:
                text += " The token was kept; delete it again without revoking to remove it."
            self.error_reported.emit(text, False)

        self.tasks.run(f"Deleting {name}…", lambda: remove.remove(vault, name, revoke=revoke),
                       done, failed)

    def _on_checks_add_requested(self, token: str) -> None:
        """Paste & decode's "Add this token": the add dialog, with the token filled in."""
        self._add_dialog("static", token)


def expired_words(entry: Entry, now: datetime) -> str:
    """"it expired 3 days ago: …" with the way to a new token, for a copy of an expired
    token ("" when it has not expired)."""
    from tokenmgr.gui.timewords import relative

    if entry.expires_at is None or entry.expires_at > now:
        return ""
    if entry.kind == "oauth2":
        way = "sign in again to get a new one"
    else:
        way = "store a new one with Edit (F2)"
    return f"it expired {relative(entry.expires_at, now)}: {way}."

