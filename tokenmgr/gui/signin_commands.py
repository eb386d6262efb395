"""The OAuth sign-ins the user starts: "Sign in again" on an entry (with its stored
settings), and the add dialog's Sign in; one at a time.

The sign-in itself is gui/signin.py's; this starts it, keeps the one running, says how
it ended (to the add dialog that asked, else through the context's signals), and
readies the embedded sign-in window's process while the add dialog would use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from tokenmgr.core.errors import TokenMgrError
from tokenmgr.gui.command_context import alive
from tokenmgr.gui.errors import sentence

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.oauth.signin import SignInRequest
    from tokenmgr.gui.command_context import CommandContext
    from tokenmgr.gui.entry_dialog import EntryDialog
    from tokenmgr.gui.signin import SignInController
    from tokenmgr.gui.signin_process import WindowProcess


class SignInCommands(QObject):
    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self._ctx = ctx
        self._signin: SignInController | None = None
        self._spare_window: WindowProcess | None = None  # readied while the dialog is open

    @property
    def signin(self) -> SignInController | None:
        """The running sign-in, if any (quitting cancels it)."""
        return self._signin

    def sign_in_again(self, name: str | None = None) -> None:
        """Repeat an OAuth entry's sign-in with its stored settings (and client secret)."""
        from tokenmgr.core.oauth.signin import request_again

        ctx = self._ctx
        entry = ctx.tokens.entry(name) if name else ctx.tokens.current_entry()
        if entry is None or entry.kind != "oauth2":
            ctx.status_reported.emit("Select an OAuth2 entry to sign in again.")
            return
        ctx.window_needed.emit()
        try:
            request_again(entry)  # an entry it cannot repeat says so now
        except TokenMgrError as e:
            ctx.report_error(e)
            return
        self.sign_in(None, None, again=entry)

    def sign_in(
        self, dialog: EntryDialog | None, req: SignInRequest | None, again: Entry | None = None
    ) -> None:
        """Run an OAuth sign-in (gui/signin.py): `req` from the add `dialog` (which hears
        how it ended; its windows go on top of it), or `again` an entry's stored sign-in."""
        from tokenmgr.gui.signin import SignInController

        ctx = self._ctx

        def tell(text: str, *, error: bool = False) -> None:
            if alive(dialog):
                dialog.failed(text)
                # The status bar said "Signing in…": it says how that ended, too.
                ctx.status_reported.emit(f"⚠ {text}" if error else text)
            elif error:
                ctx.error_reported.emit(text, False)
            else:
                ctx.status_reported.emit(text)

        if self._signin is not None:
            tell("Another sign-in is still open: finish or cancel it first.")
            return
        vault = ctx.need_store(
            lambda: self.sign_in(dialog, req, again) if again or alive(dialog) else None,
            lambda: tell("The vault file is still locked: nothing was started.", error=True),
        )
        if vault is None:
            if alive(dialog) and not ctx.locked:
                tell("The secret store is not ready; set it up first.")
            return
        # Owned here, not by the dialog: closing the dialog cancels it, and it ends cleanly.
        c = SignInController(
            vault, ctx.tasks, self, windows_parent=dialog or ctx.window, env=ctx.env
        )
        self._signin = c
        if alive(dialog) and dialog.oauth_page is not None:
            ctx.settings.last_sign_in = dialog.oauth_page.remembered()
            ctx.settings_changed.emit()
        if req is not None and req.flow == "code" and req.browser == "embedded":
            c.window = self._spare_window  # the process readied for it, if it still runs
            self._spare_window = None

        def signed_in(entry: Entry, note: str) -> None:
            if alive(dialog):
                dialog.saved()
            ctx.entries_changed.emit(entry.name)
            ctx.signed_in.emit(entry.name)
            ctx.status_reported.emit(
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
            ctx.status_reported.emit(f"Signing in to {again.name} again…")
            c.start_again(again)
        elif req is not None:
            ctx.status_reported.emit(f"Signing in to {req.name}…")
            c.start(req)

    def ready_window(self, wanted: bool) -> None:
        """While the add dialog would sign in in the embedded window, that window's process
        starts (its browser is up by the time the person has typed what the provider
        needs, so the page shows at once); it goes when no longer wanted."""
        from tokenmgr.gui.signin_process import WindowProcess

        spare = self._spare_window
        if wanted and spare is None:
            spare = WindowProcess(self._ctx.env, self)
            spare.start()
            self._spare_window = spare
        elif not wanted and spare is not None:
            self._spare_window = None
            spare.close()

    def _on_signin_ended(self) -> None:
        if self._signin is not None:
            self._signin.deleteLater()
            self._signin = None
