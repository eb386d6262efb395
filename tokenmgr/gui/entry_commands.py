"""What the user can do to entries, one method per operation: copy, add, edit, delete,
refresh, sign in (new or again), paste & decode, reveal, verify, read the ID token.

Every store or network call runs in a worker (`Tasks`); results come back here on
the GUI thread. This class draws nothing itself beyond the dialogs it opens: it
says what happened with signals (`status_reported`, `error_reported`, …) and the
window shows it. It acts on the list's current entry, or on the entry named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QWidget
from shiboken6 import isValid

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import StorageUnavailable, TokenMgrError
from tokenmgr.core.rules import now_utc
from tokenmgr.core.usecases import envfiles, handout, probing, remove, verify
from tokenmgr.gui.actions import FORMAT_WORDS
from tokenmgr.gui.delete_dialog import DeleteDialog
from tokenmgr.gui.entry_request import EntryRequest, save_entry
from tokenmgr.gui.errors import describe, sentence

if TYPE_CHECKING:
    from tokenmgr.core.envfile import EnvFile
    from tokenmgr.core.jwt_inspect import TokenReport
    from tokenmgr.core.oauth.signin import SignInRequest
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.decode_dialog import VerifyRequest
    from tokenmgr.gui.details import DetailsPane
    from tokenmgr.gui.entry_dialog import EntryDialog
    from tokenmgr.gui.export_dialog import ExportDialog
    from tokenmgr.gui.import_dialog import ImportDialog
    from tokenmgr.gui.settings import Settings
    from tokenmgr.gui.signin import SignInController
    from tokenmgr.gui.signin_process import WindowProcess
    from tokenmgr.gui.tasks import Failed, Tasks
    from tokenmgr.gui.token_list import TokenList

_Q = TypeVar("_Q", bound=QObject)

STILL_LOCKED = "The vault file is still locked: nothing was saved."


class EntryCommands(QObject):
    status_reported = Signal(str)  # what just happened, for the status bar
    error_reported = Signal(str, bool)  # a sentence; True when the secret store failed
    store_needed = Signal()  # asked for the store before it was ready
    unlock_needed = Signal()  # asked for a secret while the vault file is locked
    window_needed = Signal()  # a sign-in again (from the tray, say) needs the window
    entries_changed = Signal(str)  # the index changed; the entry to select ("" for none)
    token_copied = Signal(str, str)  # entry name, format ("header", ...)
    signed_in = Signal(str)  # entry name
    dialog_opened = Signal(QDialog)  # one at a time; closing it deletes it
    setup_copied = Signal(str, str)  # tool ("git", "kubectl", "docker"), what was copied
    settings_changed = Signal()  # the settings hold something new (to save)

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
        super().__init__(window)
        self._window = window  # the dialogs' parent
        self._tokens = tokens
        self._details = details
        self._tasks = tasks
        self._settings = settings
        self.env = env
        self._clipboard = clipboard
        self._vault = vault  # drawn from its index until its store answers
        self._store_ready = False
        self._locked = False
        # What was asked while locked: (run it once unlocked, what to do if not unlocked).
        self._waiting: list[tuple[Callable[[], object], Callable[[], object] | None]] = []
        self._store_kind = ""
        self._dialog: QDialog | None = None
        self._signin: SignInController | None = None
        self._spare_window: WindowProcess | None = None  # readied while the dialog is open
        self._copy_seq = 0  # only the newest copy request writes the clipboard
        tasks.task_failed.connect(lambda _what, exc: self._error(exc))  # without on_error

    # ------------------------------------------------------------ the store

    def set_vault(self, vault: Vault, *, ready: bool, kind: str = "") -> None:
        """The vault to act on; `ready` once its store ("keyring" or "file") answered.
        Until then the commands that need the store say so instead."""
        self._vault, self._store_ready, self._store_kind = vault, ready, kind

    @property
    def locked(self) -> bool:
        return self._locked

    def set_locked(self, locked: bool) -> None:
        """Locked: whatever needs a secret asks for the passphrase first (`unlock_needed`)
        and goes on once unlocked. Unlocked: what waited runs now."""
        self._locked = locked
        if locked:
            self._copy_seq += 1  # a copy still reading leaves the clipboard alone
        else:
            waiting, self._waiting = self._waiting, []
            for retry, _gave_up in waiting:
                retry()

    def unlock_refused(self) -> None:
        """The person closed the passphrase dialog: what waited for it is given up."""
        waiting, self._waiting = self._waiting, []
        for _retry, gave_up in waiting:
            if gave_up is not None:
                gave_up()

    @property
    def dialog(self) -> QDialog | None:
        """The open dialog, if any."""
        return self._dialog

    @property
    def signin(self) -> SignInController | None:
        """The running sign-in, if any (quitting cancels it)."""
        return self._signin

    # ------------------------------------------------------------------ copy

    def copy_selected(self, fmt: str) -> None:
        entry = self._tokens.current_entry()
        if entry is None:
            self.status_reported.emit("Select a token first.")
            return
        self.copy(entry.name, fmt)

    def copy_chosen(self) -> None:
        """Copy the selected token in the format chosen last (Ctrl+C)."""
        self.copy_selected(self._settings.copy_format)

    def copy(self, name: str, fmt: str, how: str = "copy") -> None:
        """Read the token in a worker, render it, put it on the clipboard (on the access
        record as `how`: "copy" from the window, "tray" from the tray menu)."""
        vault = self._need_store(lambda: self.copy(name, fmt, how))
        if vault is None:
            return
        if fmt not in FORMAT_WORDS:
            fmt = "header"
        if fmt not in (self._settings.copy_format, "header"):
            self._settings.copy_format = fmt  # Ctrl+C repeats the last format chosen
        shell = self._settings.shell(self.env)
        self._copy_seq += 1
        seq = self._copy_seq

        def done(result: tuple[Entry, str]) -> None:
            entry, text = result
            if seq != self._copy_seq:
                return  # a later copy was asked for meanwhile: it wins the clipboard
            what = FORMAT_WORDS[fmt]
            if self._clipboard is not None:
                self._clipboard.copy(text, what)
            expired = expired_words(entry, now_utc())
            if expired:
                # Handed out all the same (the person may know better), but never quietly.
                self.error_reported.emit(f"Copied {what} of {entry.name}, but {expired}", False)
            else:
                self.status_reported.emit(f"Copied {what} of {entry.name}")
            self.token_copied.emit(entry.name, fmt)

        self._tasks.run(
            f"Reading {name}…",
            lambda: handout.copy_text(vault, name, fmt, shell, how=how),
            done,
            self._error,
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

        self._tasks.run("Asking kubectl for its version…", snippet, put, self._error)

    # ------------------------------------------------------ add, edit, delete

    def add_entry(self) -> None:
        self._add_dialog("static")

    def sign_in_new(self) -> None:
        self._add_dialog("oauth2")

    def edit_selected(self, *, rename: bool = False) -> None:
        """The Edit dialog for the selected entry; with `rename`, its name field focused
        (a new name there renames the entry)."""
        from tokenmgr.gui.entry_dialog import EntryDialog

        entry = self._tokens.current_entry()
        if entry is None:
            self.status_reported.emit(f"Select a token to {'rename' if rename else 'edit'}.")
            return
        dialog = EntryDialog(self._window, existing_names=self._tokens.names(), entry=entry)
        dialog.save_requested.connect(lambda req: self._save(dialog, req))
        if rename:
            dialog.static_page.name.setFocus()
            dialog.static_page.name.selectAll()
        self.open_dialog(dialog)

    def rename_selected(self) -> None:
        self.edit_selected(rename=True)

    def delete_selected(self) -> None:
        """Ask first ("Delete github-ci?"), offering to revoke an OAuth entry's grant."""
        entry = self._tokens.current_entry()
        if entry is None:
            self.status_reported.emit("Select a token to delete.")
            return
        if self._need_store(self.delete_selected) is None:
            return
        where = "the vault file" if self._store_kind == "file" else "the keyring"
        box = DeleteDialog(entry, where, self._window)
        box.finished.connect(lambda _result: self._on_delete_box_finished(box))
        self.open_dialog(box)

    def refresh_selected(self) -> None:
        """Get a fresh access token for the selected OAuth entry (F5)."""
        entry = self._tokens.current_entry()
        if entry is None or entry.kind != "oauth2":
            return
        vault = self._need_store(self.refresh_selected)
        if vault is None:
            return
        name = entry.name

        def done(e: Entry) -> None:
            self.entries_changed.emit(e.name)
            self.status_reported.emit(f"Refreshed {e.name}")

        self._tasks.run(f"Refreshing {name}…", lambda: handout.refresh_now(vault, name), done,
                        self._error)

    # ---------------------------------------------------------- .env files

    def import_env(self) -> None:
        """Choose a .env file; what it would create is shown before anything is stored."""
        from PySide6.QtCore import QDir
        from PySide6.QtWidgets import QFileDialog

        from tokenmgr.gui.export_dialog import ENV_FILTER

        dialog = QFileDialog(self._window, "Import a .env file", self._env_dir(), ENV_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setFilter(dialog.filter() | QDir.Filter.Hidden)  # `.env` is a hidden file
        dialog.fileSelected.connect(self._on_import_file_selected)
        self.open_dialog(dialog)

    def _on_import_file_selected(self, text: str) -> None:
        from tokenmgr.core import envfile

        path = Path(text)
        self._settings.env_dir = str(path.parent)
        self._tasks.run(f"Reading {path.name}…", lambda: envfile.read(path),
                        lambda parsed: self._preview_import(path, parsed), self._error)

    def _preview_import(self, path: Path, parsed: EnvFile) -> None:
        from tokenmgr.gui.import_dialog import ImportDialog

        dialog = ImportDialog(path, parsed, self._tokens.names(), self._window)
        dialog.import_requested.connect(lambda items: self._import(dialog, items))
        self.open_dialog(dialog)

    def _import(self, dialog: ImportDialog, items: list[envfiles.EnvImport]) -> None:
        vault = self._need_store(lambda: self._import(dialog, items) if _alive(dialog) else None,
                                 lambda: dialog.failed(STILL_LOCKED) if _alive(dialog) else None)
        if vault is None:
            if not self._locked:
                dialog.failed("The secret store is not ready; set it up first, then import.")
            return

        def done(result: envfiles.ImportResult) -> None:
            if _alive(dialog):
                dialog.saved()
            self.entries_changed.emit(result.added[0] if result.added else "")
            n = len(result.added)
            said = f"Imported {n} token{'s' if n != 1 else ''}"
            if n:
                said += f": {', '.join(result.added)}"
            if not result.failed:
                self.status_reported.emit(said + ".")
                return
            why = " ".join(f"{name}: {describe(exc)}" for name, exc in result.failed)
            rest = f" Not tried: {', '.join(result.not_tried)}." if result.not_tried else ""
            self.error_reported.emit(f"{said}. Not imported: {why}{rest}", False)

        self._tasks.run(f"Importing {len(items)} tokens…",
                        lambda: envfiles.import_env(vault, items), done,
                        lambda exc: dialog.failed(describe(exc)) if _alive(dialog)
                        else self._error(exc))

    def export_env(self) -> None:
        """Choose tokens and a file; they are written as a .env file only its owner reads."""
        from tokenmgr.gui.export_dialog import ExportDialog

        entries = self._tokens.entries
        if not entries:
            self.status_reported.emit("There are no tokens to export yet.")
            return
        path = Path(self._env_dir()) / ".env"
        dialog = ExportDialog(entries, self._tokens.current_name(), path, self._window)
        dialog.export_requested.connect(lambda names, p: self._export(dialog, names, Path(p)))
        self.open_dialog(dialog)

    def _export(self, dialog: ExportDialog, names: list[str], path: Path) -> None:
        vault = self._need_store(
            lambda: self._export(dialog, names, path) if _alive(dialog) else None,
            lambda: dialog.failed(STILL_LOCKED) if _alive(dialog) else None,
        )
        if vault is None:
            if not self._locked:
                dialog.failed("The secret store is not ready; set it up first, then export.")
            return
        self._settings.env_dir = str(path.parent)

        def done(n: int) -> None:
            if _alive(dialog):
                dialog.saved()
            self.status_reported.emit(
                f"Exported {n} token{'s' if n != 1 else ''} to {path} (readable only by you)."
            )

        def failed(exc: BaseException) -> None:
            if _alive(dialog):
                dialog.failed(describe(exc))
            else:
                self._error(exc)

        self._tasks.run(f"Exporting to {path.name}…",
                        lambda: envfiles.export_env(vault, names, path), done, failed)

    def _env_dir(self) -> str:
        remembered = Path(self._settings.env_dir) if self._settings.env_dir else None
        return str(remembered if remembered is not None else Path.home())

    # ------------------------------------------------------------- sign-in

    def sign_in_again(self, name: str | None = None) -> None:
        """Repeat an OAuth entry's sign-in with its stored settings (and client secret)."""
        from tokenmgr.core.oauth.signin import request_again

        entry = self._tokens.entry(name) if name else self._tokens.current_entry()
        if entry is None or entry.kind != "oauth2":
            self.status_reported.emit("Select an OAuth2 entry to sign in again.")
            return
        self.window_needed.emit()
        try:
            request_again(entry)  # an entry it cannot repeat says so now
        except TokenMgrError as e:
            self._error(e)
            return
        self._sign_in(None, None, again=entry)

    def _sign_in(
        self, dialog: EntryDialog | None, req: SignInRequest | None, again: Entry | None = None
    ) -> None:
        """Run an OAuth sign-in (gui/signin.py): `req` from the add `dialog` (which hears
        how it ended; its windows go on top of it), or `again` an entry's stored sign-in."""
        from tokenmgr.gui.signin import SignInController

        def tell(text: str, *, error: bool = False) -> None:
            if _alive(dialog):
                dialog.failed(text)
                # The status bar said "Signing in…": it says how that ended, too.
                self.status_reported.emit(f"⚠ {text}" if error else text)
            elif error:
                self.error_reported.emit(text, False)
            else:
                self.status_reported.emit(text)

        if self._signin is not None:
            tell("Another sign-in is still open: finish or cancel it first.")
            return
        vault = self._need_store(
            lambda: self._sign_in(dialog, req, again) if again or _alive(dialog) else None,
            lambda: tell("The vault file is still locked: nothing was started.", error=True),
        )
        if vault is None:
            if _alive(dialog) and not self._locked:
                tell("The secret store is not ready; set it up first.")
            return
        # Owned here, not by the dialog: closing the dialog cancels it, and it ends cleanly.
        c = SignInController(
            vault, self._tasks, self, windows_parent=dialog or self._window, env=self.env
        )
        self._signin = c
        if _alive(dialog) and dialog.oauth_page is not None:
            self._settings.last_sign_in = dialog.oauth_page.remembered()
            self.settings_changed.emit()
        if req is not None and req.flow == "code" and req.browser == "embedded":
            c.window = self._spare_window  # the process readied for it, if it still runs
            self._spare_window = None

        def signed_in(entry: Entry, note: str) -> None:
            if _alive(dialog):
                dialog.saved()
            self.entries_changed.emit(entry.name)
            self.signed_in.emit(entry.name)
            self.status_reported.emit(
                f"Signed in: {entry.name}" + (f". ⚠ {sentence(note)}" if note else "")
            )

        c.signed_in.connect(signed_in)
        c.failed.connect(lambda text: tell(text, error=True))
        c.cancelled.connect(lambda: tell("The sign-in was cancelled."))
        for ended in (c.signed_in, c.failed, c.cancelled):
            ended.connect(self._on_signin_ended)
        if dialog is not None:
            dialog.rejected.connect(c.cancel)
        if again is not None:
            self.status_reported.emit(f"Signing in to {again.name} again…")
            c.start_again(again)
        elif req is not None:
            self.status_reported.emit(f"Signing in to {req.name}…")
            c.start(req)

    def _on_signin_ended(self) -> None:
        if self._signin is not None:
            self._signin.deleteLater()
            self._signin = None

    # ------------------------------------------------------ looking at tokens

    def paste_decode(self) -> None:
        """Explain the token on the clipboard; nothing is stored."""
        from tokenmgr.gui.decode_dialog import DecodeDialog

        board = QGuiApplication.clipboard()
        text = board.text() if board is not None else ""
        dialog = DecodeDialog(text, self._window, verify=self._verify_pasted)
        del text  # no copy of what was on the clipboard is kept here
        dialog.add_requested.connect(self._on_decode_dialog_add_requested)
        self.open_dialog(dialog)  # on its own when the window is hidden (from the tray)

    def reveal(self, name: str) -> None:
        """Read the access token for the details pane's Reveal."""
        vault = self._need_store(lambda: self.reveal(name), self._details.reveal_failed)
        if vault is None:
            if not self._locked:
                self._details.reveal_failed()
            return

        def failed(exc: BaseException) -> None:
            self._details.reveal_failed()
            self._error(exc)

        self._tasks.run(f"Reading {name}…", lambda: handout.read_secret(vault, name),
                        lambda token: self._details.show_token(name, token), failed)

    def verify(self, name: str) -> None:
        """Check the access token's signature against its issuer's keys (pinned or not)."""
        vault = self._need_store(lambda: self.verify(name))
        if vault is None:
            return
        self._details.set_verifying(True)

        def done(report: TokenReport) -> None:
            from tokenmgr.gui.report_text import ReportData, badge

            self._details.set_verifying(False)
            self._details.set_access_report(name, report)
            mark, words = badge(ReportData.from_report(report))
            # The verdict, not just "checked": an invalid signature is no success.
            self.status_reported.emit(f"{name}: {mark} {words}")

        def failed(exc: BaseException) -> None:
            self._details.set_verifying(False)
            self._error(exc)

        self._tasks.run(
            f"Verifying {name}…",
            lambda: verify.inspect_stored(vault, name, "access", check_signature=True),
            done, failed,
        )

    def check_provider(self, name: str) -> None:
        """Ask the token's own provider about it now (the details pane's Check now)."""
        vault = self._need_store()
        if vault is None:
            return
        self._details.set_checking(name, True)

        def done(result: probing.Probed) -> None:
            from tokenmgr.core.probe.text import line
            from tokenmgr.core.rules import now_utc

            self._details.set_checking(name, False)
            self.entries_changed.emit(name)
            said = line(result.entry.provider_check, now_utc(), result.entry)
            self.status_reported.emit(f"{name}: {said}")

        def failed(exc: BaseException) -> None:
            self._details.set_checking(name, False)
            self._error(exc)

        self._tasks.run(f"Checking {name} with its provider…",
                        lambda: probing.probe(vault, name), done, failed)

    def read_id_token(self, name: str) -> None:
        """Read and explain the ID token (who signed in) for the details pane."""
        vault = self._need_store(lambda: self.read_id_token(name), self._details.id_failed)
        if vault is None:
            if not self._locked:
                self._details.id_failed()
            return

        def failed(exc: BaseException) -> None:
            self._details.id_failed()
            self._error(exc)

        self._tasks.run(f"Reading the ID token of {name}…",
                        lambda: verify.inspect_stored(vault, name, "id"),
                        lambda report: self._details.set_id_report(name, report), failed)

    # ---------------------------------------------------------------- inside

    def _need_store(
        self,
        retry: Callable[[], object] | None = None,
        gave_up: Callable[[], object] | None = None,
    ) -> Vault | None:
        """The vault when its store is ready; else None, and whoever shows it is told.
        While the vault file is locked, the passphrase is asked (`unlock_needed`) and
        `retry` runs once it is unlocked (`gave_up` if the person does not unlock)."""
        if self._locked:
            if retry is not None:
                self._waiting.append((retry, gave_up))
            self.unlock_needed.emit()
            return None
        if self._store_ready:
            return self._vault
        self.store_needed.emit()
        return None

    def _error(self, exc: BaseException) -> None:
        self.error_reported.emit(describe(exc), isinstance(exc, StorageUnavailable))

    def open_dialog(self, dialog: QDialog) -> None:
        """Open `dialog` window-modal; it is deleted when it closes."""
        self._dialog = dialog
        dialog.setModal(True)
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()
        self.dialog_opened.emit(dialog)

    def _on_dialog_finished(self, dialog: QDialog) -> None:
        if self._dialog is dialog:
            self._dialog = None
        dialog.deleteLater()

    def _add_dialog(self, kind: str, token: str | None = None) -> None:
        from tokenmgr.gui.entry_dialog import EntryDialog

        dialog = EntryDialog(
            self._window,
            existing_names=self._tokens.names(),
            tasks=self._tasks,
            kind=kind,
            token=token,
            env=self.env,
            remembered=self._settings.last_sign_in,
        )
        dialog.save_requested.connect(lambda req: self._save(dialog, req))
        dialog.embedded_sign_in_wanted.connect(self._ready_sign_in_window)
        dialog.finished.connect(lambda _result: self._ready_sign_in_window(False))
        dialog.sign_in_requested.connect(lambda req: self._sign_in(dialog, req))
        self.open_dialog(dialog)
        self._ready_sign_in_window(dialog.wants_embedded_sign_in())

    def _ready_sign_in_window(self, wanted: bool) -> None:
        """While the add dialog would sign in in the embedded window, that window's process
        starts (its browser is up by the time the person has typed what the provider
        needs, so the page shows at once); it goes when no longer wanted."""
        from tokenmgr.gui.signin_process import WindowProcess, sandbox_problem

        spare = self._spare_window
        if wanted and spare is None and sandbox_problem(self.env) is None:
            spare = WindowProcess(self.env, self)
            spare.start()
            self._spare_window = spare
        elif not wanted and spare is not None:
            self._spare_window = None
            spare.close()

    def _save(self, dialog: EntryDialog, req: EntryRequest) -> None:
        vault = self._vault
        if (req.token is not None or req.renames) and self._locked:
            self._need_store(lambda: self._save(dialog, req) if _alive(dialog) else None,
                             lambda: dialog.failed(STILL_LOCKED) if _alive(dialog) else None)
            return
        if (req.token is not None or req.renames) and not self._store_ready:
            # (An edit without a new token or name changes the index only: no store needed.)
            what = "rename it" if req.renames and req.token is None else "add the token"
            dialog.failed(f"The secret store is not ready; set it up first, then {what}.")
            return

        def done(entry: Entry) -> None:
            if _alive(dialog):  # the user may have closed it meanwhile
                dialog.saved()
            self.entries_changed.emit(entry.name)
            if req.renames:
                self.status_reported.emit(f"Renamed {req.old_name} to {entry.name}")
            else:
                self.status_reported.emit(
                    f"Saved {entry.name}" if req.editing else f"Added {entry.name}"
                )

        def failed(exc: BaseException) -> None:
            if _alive(dialog):
                dialog.failed(describe(exc))
            else:
                self._error(exc)

        self._tasks.run(f"Saving {req.name}…", lambda: save_entry(vault, req), done, failed)

    def _on_delete_box_finished(self, box: DeleteDialog) -> None:
        if not box.confirmed():
            return
        self._delete(box.name, box.revoke())

    def _delete(self, name: str, revoke: bool) -> None:
        vault = self._need_store(lambda: self._delete(name, revoke))
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

        self._tasks.run(f"Deleting {name}…", lambda: remove.remove(vault, name, revoke=revoke),
                        done, failed)

    def _verify_pasted(
        self, report: TokenReport, req: VerifyRequest, done: Callable[[Any], None], failed: Failed
    ) -> None:
        """Check a pasted token with what the user chose (the vault's pins come from the
        index only); a given secret or key is used in the worker and dropped with it."""
        vault = self._vault

        def check() -> TokenReport:
            return verify.verify_given(
                report, req.source, req.given, base64url=req.base64url, vault=vault
            )

        self._tasks.run("Verifying…", check, done, failed)

    def _on_decode_dialog_add_requested(self, token: str) -> None:
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


def _alive(obj: _Q | None) -> TypeGuard[_Q]:
    """Whether a Qt object still exists (a dialog may be closed and deleted meanwhile)."""
    return obj is not None and bool(isValid(obj))
