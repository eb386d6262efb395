"""The .env files: import one (what it would create is shown before anything is
stored) and export chosen tokens to one that only its owner can read.

The file dialogs remember the folder last used; the work runs in a worker, and the
import or export dialog hears how it ended (the window too, when that dialog closed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from tokenmgr.core.usecases import envfiles
from tokenmgr.gui.command_context import STILL_LOCKED, alive
from tokenmgr.gui.errors import describe

if TYPE_CHECKING:
    from tokenmgr.core.envfile import EnvFile
    from tokenmgr.gui.command_context import CommandContext
    from tokenmgr.gui.export_dialog import ExportDialog
    from tokenmgr.gui.import_dialog import ImportDialog


class EnvFileCommands(QObject):
    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self._ctx = ctx

    def import_env(self) -> None:
        """Choose a .env file; what it would create is shown before anything is stored."""
        from PySide6.QtCore import QDir
        from PySide6.QtWidgets import QFileDialog

        from tokenmgr.gui.export_dialog import ENV_FILTER

        ctx = self._ctx
        dialog = QFileDialog(ctx.window, "Import a .env file", self._env_dir(), ENV_FILTER)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setFilter(dialog.filter() | QDir.Filter.Hidden)  # `.env` is a hidden file
        dialog.fileSelected.connect(self._on_import_file_selected)
        ctx.open_dialog(dialog)

    def _on_import_file_selected(self, text: str) -> None:
        from tokenmgr.core import envfile

        ctx = self._ctx
        path = Path(text)
        ctx.settings.env_dir = str(path.parent)
        ctx.tasks.run(f"Reading {path.name}…", lambda: envfile.read(path),
                      lambda parsed: self._preview_import(path, parsed), ctx.report_error)

    def _preview_import(self, path: Path, parsed: EnvFile) -> None:
        from tokenmgr.gui.import_dialog import ImportDialog

        ctx = self._ctx
        dialog = ImportDialog(path, parsed, ctx.tokens.names(), ctx.window)
        dialog.import_requested.connect(lambda items: self._import(dialog, items))
        ctx.open_dialog(dialog)

    def _import(self, dialog: ImportDialog, items: list[envfiles.EnvImport]) -> None:
        ctx = self._ctx
        vault = ctx.need_store(lambda: self._import(dialog, items) if alive(dialog) else None,
                               lambda: dialog.failed(STILL_LOCKED) if alive(dialog) else None)
        if vault is None:
            if not ctx.locked:
                dialog.failed("The secret store is not ready; set it up first, then import.")
            return

        def done(result: envfiles.ImportResult) -> None:
            if alive(dialog):
                dialog.saved()
            ctx.entries_changed.emit(result.added[0] if result.added else "")
            n = len(result.added)
            said = f"Imported {n} token{'s' if n != 1 else ''}"
            if n:
                said += f": {', '.join(result.added)}"
            if not result.failed:
                ctx.status_reported.emit(said + ".")
                return
            why = " ".join(f"{name}: {describe(exc)}" for name, exc in result.failed)
            rest = f" Not tried: {', '.join(result.not_tried)}." if result.not_tried else ""
            ctx.error_reported.emit(f"{said}. Not imported: {why}{rest}", False)

        ctx.tasks.run(f"Importing {len(items)} tokens…",
                      lambda: envfiles.import_env(vault, items), done,
                      lambda exc: dialog.failed(describe(exc)) if alive(dialog)
                      else ctx.report_error(exc))

    def export_env(self) -> None:
        """Choose tokens and a file; they are written as a .env file only its owner reads."""
        from tokenmgr.gui.export_dialog import ExportDialog

        ctx = self._ctx
        entries = ctx.tokens.entries
        if not entries:
            ctx.status_reported.emit("There are no tokens to export yet.")
            return
        path = Path(self._env_dir()) / ".env"
        dialog = ExportDialog(entries, ctx.tokens.current_name(), path, ctx.window)
        dialog.export_requested.connect(lambda names, p: self._export(dialog, names, Path(p)))
        ctx.open_dialog(dialog)

    def _export(self, dialog: ExportDialog, names: list[str], path: Path) -> None:
        ctx = self._ctx
        vault = ctx.need_store(
            lambda: self._export(dialog, names, path) if alive(dialog) else None,
            lambda: dialog.failed(STILL_LOCKED) if alive(dialog) else None,
        )
        if vault is None:
            if not ctx.locked:
                dialog.failed("The secret store is not ready; set it up first, then export.")
            return
        ctx.settings.env_dir = str(path.parent)

        def done(n: int) -> None:
            if alive(dialog):
                dialog.saved()
            ctx.status_reported.emit(
                f"Exported {n} token{'s' if n != 1 else ''} to {path} (readable only by you)."
            )

        def failed(exc: BaseException) -> None:
            if alive(dialog):
                dialog.failed(describe(exc))
            else:
                ctx.report_error(exc)

        ctx.tasks.run(f"Exporting to {path.name}…",
                      lambda: envfiles.export_env(vault, names, path), done, failed)

    def _env_dir(self) -> str:
        env_dir = self._ctx.settings.env_dir
        remembered = Path(env_dir) if env_dir else None
        return str(remembered if remembered is not None else Path.home())
