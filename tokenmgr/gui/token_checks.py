"""Looking at tokens without changing them: reveal the access token, verify its
signature, ask its provider about it, read the ID token (the details pane's buttons),
and paste & decode a token from the clipboard.

Each reads or asks in a worker and answers the details pane (or the decode dialog);
the status bar hears the verdict through the context's signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication

from tokenmgr.core.usecases import handout, probing, verify

if TYPE_CHECKING:
    from tokenmgr.core.jwt_inspect import TokenReport
    from tokenmgr.gui.command_context import CommandContext
    from tokenmgr.gui.decode_dialog import VerifyRequest
    from tokenmgr.gui.tasks import Failed


class TokenChecks(QObject):
    add_requested = Signal(str)  # paste & decode's "Add this token": the token

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self._ctx = ctx

    def paste_decode(self) -> None:
        """Explain the token on the clipboard; nothing is stored."""
        from tokenmgr.gui.decode_dialog import DecodeDialog

        board = QGuiApplication.clipboard()
        text = board.text() if board is not None else ""
        dialog = DecodeDialog(text, self._ctx.window, verify=self._verify_pasted)
        del text  # no copy of what was on the clipboard is kept here
        dialog.add_requested.connect(self.add_requested)
        self._ctx.open_dialog(dialog)  # on its own when the window is hidden (from the tray)

    def reveal(self, name: str) -> None:
        """Read the access token for the details pane's Reveal."""
        ctx, details = self._ctx, self._ctx.details
        vault = ctx.need_store(lambda: self.reveal(name), details.reveal_failed)
        if vault is None:
            if not ctx.locked:
                details.reveal_failed()
            return

        def failed(exc: BaseException) -> None:
            details.reveal_failed()
            ctx.report_error(exc)

        ctx.tasks.run(f"Reading {name}…", lambda: handout.read_secret(vault, name),
                      lambda token: details.show_token(name, token), failed)

    def verify(self, name: str) -> None:
        """Check the access token's signature against its issuer's keys (pinned or not)."""
        ctx, details = self._ctx, self._ctx.details
        vault = ctx.need_store(lambda: self.verify(name))
        if vault is None:
            return
        details.set_verifying(True)

        def done(report: TokenReport) -> None:
            from tokenmgr.gui.report_text import ReportData, badge

            details.set_verifying(False)
            details.set_access_report(name, report)
            mark, words = badge(ReportData.from_report(report))
            # The verdict, not just "checked": an invalid signature is no success.
            ctx.status_reported.emit(f"{name}: {mark} {words}")

        def failed(exc: BaseException) -> None:
            details.set_verifying(False)
            ctx.report_error(exc)

        ctx.tasks.run(
            f"Verifying {name}…",
            lambda: verify.inspect_stored(vault, name, "access", check_signature=True),
            done, failed,
        )

    def check_provider(self, name: str) -> None:
        """Ask the token's own provider about it now (the details pane's Check now)."""
        ctx, details = self._ctx, self._ctx.details
        vault = ctx.need_store()
        if vault is None:
            return
        details.set_checking(name, True)

        def done(result: probing.Probed) -> None:
            from tokenmgr.core.probe.text import line
            from tokenmgr.core.rules import now_utc

            details.set_checking(name, False)
            ctx.entries_changed.emit(name)
            said = line(result.entry.provider_check, now_utc(), result.entry)
            ctx.status_reported.emit(f"{name}: {said}")

        def failed(exc: BaseException) -> None:
            details.set_checking(name, False)
            ctx.report_error(exc)

        ctx.tasks.run(f"Checking {name} with its provider…",
                      lambda: probing.probe(vault, name), done, failed)

    def read_id_token(self, name: str) -> None:
        """Read and explain the ID token (who signed in) for the details pane."""
        ctx, details = self._ctx, self._ctx.details
        vault = ctx.need_store(lambda: self.read_id_token(name), details.id_failed)
        if vault is None:
            if not ctx.locked:
                details.id_failed()
            return

        def failed(exc: BaseException) -> None:
            details.id_failed()
            ctx.report_error(exc)

        ctx.tasks.run(f"Reading the ID token of {name}…",
                      lambda: verify.inspect_stored(vault, name, "id"),
                      lambda report: details.set_id_report(name, report), failed)

    def _verify_pasted(
        self, report: TokenReport, req: VerifyRequest, done: Callable[[Any], None], failed: Failed
    ) -> None:
        """Check a pasted token with what the user chose (the vault's pins come from the
        index only); a given secret or key is used in the worker and dropped with it."""
        vault = self._ctx.vault

        def check() -> TokenReport:
            return verify.verify_given(
                report, req.source, req.given, base64url=req.base64url, vault=vault
            )

        self._ctx.tasks.run("Verifying…", check, done, failed)

