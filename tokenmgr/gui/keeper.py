"""Expiry care while the app runs: background refresh and expiry notifications.

Every few seconds, from the entries the window already holds (no index read, no
secret read to decide):
- OAuth entries that renew themselves and are due are refreshed in a worker
  through `handout.refresh_if_due` (the same cross-process entry lock as the CLI's
  `get`: whoever takes the lock first refreshes, the others find the fresh token
  when they re-read; a refresh is put on the access record). A failure is notified
  once per streak and retried with a growing pause; a refused refresh token asks
  for a new sign-in.
- Other entries get notified in tiers, 14 days, 3 days and 1 day before they end,
  then within the lead time (a setting), each tier once; an entry a host refused
  (git's `erase`) once when it was refused; remembered in `notified.json`, never the
  same one again after a restart (core/expiry.py).
- With background checks on (a setting), each token's provider is asked about it once
  a day, and at start when the last answer is older than a day (core/probe/
  schedule.py), one entry at a time in a worker, never while the desktop says the
  computer is offline or the connection metered. A token the provider now refuses is
  notified at once, with an action that opens the provider's page for a new token.
Notifications name the entry and say what to do; they never hold token text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from tokenmgr.core import expiry

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.notify import Notifier
    from tokenmgr.gui.tasks import Tasks

log = logging.getLogger("tokenmgr.gui.keeper")

TICK_MS = 5000
FIRST_TICK_MS = 1000
RETRY_FIRST_S = 30.0
RETRY_MAX_S = 600.0

# Action keys of the notifications ("default" is a click on the notification itself).
ACTION_OPEN = "default"
NEVER = datetime.max.replace(tzinfo=UTC)


class _Failed(Exception):
    """A background refresh's failure, with the expiry of the token it could not renew."""

    def __init__(self, error: BaseException, version: Any) -> None:
        super().__init__(str(error))
        self.error = error
        self.version = version


def _until(delta: timedelta) -> str:
    from tokenmgr.gui.tray import until

    return until(delta)


class Keeper(QObject):
    refreshed = Signal(str)  # entry name
    refresh_failed = Signal(str, str)  # entry name, sentence
    sign_in_needed = Signal(str)  # entry name: the refresh token was refused
    notification_clicked = Signal(str, bool)  # entry name, whether a sign-in is the way out
    provider_checked = Signal(str)  # entry name: its provider's answer is in the index
    provider_page_requested = Signal(str, str)  # entry name, the provider's new-token page

    def __init__(
        self,
        vault: Vault,
        tasks: Tasks,
        notifier: Notifier,
        entries: Callable[[], list[Entry]],
        lead_minutes: Callable[[], int],
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        check_providers: Callable[[], bool] | None = None,
    ) -> None:
        """`check_providers` says whether background checks are on (None: never)."""
        super().__init__(parent)
        self.vault = vault
        self.tasks = tasks
        self.notifier = notifier
        self._entries = entries
        self._lead = lead_minutes
        self._clock = clock
        self.log = expiry.NotifiedLog(vault.home)
        self._inflight: set[str] = set()
        self._retry_at: dict[str, float] = {}  # name → clock time of the next try
        self._pause: dict[str, float] = {}  # name → current pause between tries
        self._sign_in: dict[str, bool] = {}  # name → notified about a sign-in?
        self._failed_expiry: dict[str, Any] = {}  # name → its token's expiry when it failed
        self._checks = check_providers
        self._hold: dict[str, datetime] = {}  # name → not asked again before (this run)
        self._checking: str | None = None  # the entry whose provider is being asked
        self._page_on_click: set[str] = set()  # its last notice opens the provider's page
        self._stopped = False
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        notifier.action_invoked.connect(self._on_notifier_action_invoked)

    def start(self) -> None:
        self._stopped = False
        self.timer.start()
        QTimer.singleShot(FIRST_TICK_MS, self.tick)  # already inside the window: say so soon

    def stop(self) -> None:
        """No more ticks, and no further provider check (one running ends on its own)."""
        self._stopped = True
        self.timer.stop()

    # ------------------------------------------------------------------ tick

    def tick(self) -> None:
        entries = self._entries()
        now = self._clock()
        for entry in entries:
            # A new token since it failed (a sign-in or a refresh from the CLI): start
            # afresh. The expiry, because a failure never changes it, so a copy of the
            # index that predates the failure does not count as a change.
            name = entry.name
            if name in self._failed_expiry and entry.expires_at != self._failed_expiry[name]:
                self.forget(name)
        for entry in expiry.due_for_refresh(entries):
            name = entry.name
            if name in self._inflight or self._retry_at.get(name, 0.0) > now:
                continue
            self._refresh(name)
        self._check_providers(entries)
        lead = timedelta(minutes=max(0, self._lead()))
        seen = self.log.keys()
        due = expiry.due_warnings(entries, seen, lead)
        refused = expiry.due_refusals(entries, seen)
        unaccepted = expiry.due_provider_refusals(entries, seen)
        if not due and not refused and not unaccepted:
            return
        try:
            # First: a crash must not repeat them at every start.
            self.log.add([*due, *refused, *unaccepted])
        except OSError as e:
            log.warning("cannot record the expiry notifications (%s)", e.strerror)
        for p in unaccepted:
            self._warn_provider_refused(p)
        for w in due:
            if w.sign_in and self._sign_in.get(w.name):
                continue  # "Couldn't refresh …, sign in again" already said it
            self._warn(w)
        for r in refused:
            self._tell_refused(r)

    def _tell_refused(self, r: expiry.RefusedNotice) -> None:
        if r.sign_in:
            body = "Nothing was deleted; it is refreshed at its next use."
        else:
            body = "Nothing was deleted; store a new token for it in Token Manager."
        self.notifier.notify(
            r.name, f"{r.host} refused {r.name}", body, action=(ACTION_OPEN, "Open")
        )

    def _warn(self, w: expiry.ExpiryWarning) -> None:
        from tokenmgr.core.rules import now_utc

        if w.expired:
            summary = f"{w.name} has expired"
        else:
            summary = f"{w.name} expires in {_until(w.expires_at - now_utc())}"
        if w.sign_in:
            body = "Sign in again in Token Manager to keep it working."
            action = (ACTION_OPEN, "Sign in again")
        else:
            body = "Store a new token for it in Token Manager."
            action = (ACTION_OPEN, "Open")
        self._sign_in[w.name] = w.sign_in
        self._page_on_click.discard(w.name)
        self.notifier.notify(w.name, summary, body, action=action, critical=w.expired)

    def _warn_provider_refused(self, r: expiry.ProviderRefusal) -> None:
        from tokenmgr.core.redact import printable

        provider = printable(r.provider, 80)
        reason = printable(r.reason, 80) or "refused"
        self._sign_in[r.name] = r.sign_in
        if r.sign_in:
            body = f"{reason} at {provider}: sign in again in Token Manager."
            action = (ACTION_OPEN, "Sign in again")
        else:
            body = f"{reason} at {provider}: create a new one, then store it in Token Manager."
            action = (ACTION_OPEN, "Create a new one")
            self._page_on_click.add(r.name)
        self.notifier.notify(
            r.name, f"{r.name} no longer works", body[:1].upper() + body[1:], action=action,
            critical=True,
        )

    # ------------------------------------------------------------- providers

    def check_now(self) -> None:
        """Ask the providers that are due now (the setting permitting)."""
        self._check_providers(self._entries())

    def _check_providers(self, entries: list[Entry]) -> None:
        """Ask the next due entry's provider, one at a time (the next starts when it ends)."""
        if self._stopped or self._checks is None or not self._checks():
            return
        if self._checking is not None:
            return
        from tokenmgr.core.probe.schedule import AFTER_FAILURE, due_for_check
        from tokenmgr.core.rules import now_utc

        now = now_utc()
        due = due_for_check(entries, now, self._hold)
        if not due:
            return
        name = due[0]
        vault = self.vault
        self._checking = name
        # Held while it runs, and for an hour if it ends without an answer in the index.
        self._hold[name] = now + AFTER_FAILURE

        def job() -> Any:
            from tokenmgr.core.usecases import probing

            return probing.probe(vault, name, mind_network=True)

        self.tasks.run(
            f"Checking {name} with its provider",
            job,
            on_done=lambda result: self._on_check_done(name, result),
            on_error=lambda exc: self._on_check_failed(name, exc),
        )

    def _on_check_done(self, name: str, result: Any) -> None:
        self._checking = None
        if result.answer is None:
            log.info("not checking %r now: %s", name, result.skipped)
        else:
            self.provider_checked.emit(name)
        self.check_now()

    def _on_check_failed(self, name: str, exc: BaseException) -> None:
        from tokenmgr.core.probe.providers import NoTarget

        self._checking = None
        if isinstance(exc, NoTarget):
            self._hold[name] = NEVER  # only its token could say otherwise: not this run
        else:
            log.info("checking %r with its provider failed (%s)", name, type(exc).__name__)
        self.check_now()

    # --------------------------------------------------------------- refresh

    def _refresh(self, name: str) -> None:
        from tokenmgr.core.usecases.handout import refresh_if_due

        vault = self.vault
        self._inflight.add(name)

        def job() -> Entry:
            try:
                entry = refresh_if_due(vault, name)  # on the access record when it refreshed
            except Exception as e:
                # The expiry of the token that could not be renewed: a new token (a
                # sign-in from the CLI) restarts the care.
                try:
                    expires = vault.entry(name).expires_at
                except Exception:
                    expires = None
                raise _Failed(e, expires) from e
            return entry

        self.tasks.run(
            f"Refreshing {name}",
            job,
            on_done=lambda entry: self._on_refresh_done(name),
            on_error=lambda exc: self._on_refresh_failed(
                name,
                exc.error if isinstance(exc, _Failed) else exc,
                exc.version if isinstance(exc, _Failed) else None,
            ),
        )

    def _on_refresh_done(self, name: str) -> None:
        self._inflight.discard(name)
        self._retry_at.pop(name, None)
        self._pause.pop(name, None)
        self.refreshed.emit(name)

    def _on_refresh_failed(self, name: str, exc: BaseException, version: Any = None) -> None:
        from tokenmgr.core.errors import NotFound, SignInRequired
        from tokenmgr.gui.errors import describe

        self._inflight.discard(name)
        if isinstance(exc, NotFound):
            return  # removed meanwhile
        if version is not None:
            self._failed_expiry[name] = version
        first = name not in self._pause
        pause = min(RETRY_MAX_S, self._pause.get(name, RETRY_FIRST_S / 2) * 2)
        self._pause[name] = pause
        self._retry_at[name] = self._clock() + pause
        sentence = describe(exc)
        log.info("background refresh of %r failed; next try in %d s", name, pause)
        if isinstance(exc, SignInRequired):
            self.sign_in_needed.emit(name)
            self._retry_at[name] = float("inf")  # nothing to retry until a new sign-in
        self.refresh_failed.emit(name, sentence)
        sign_in = isinstance(exc, SignInRequired)
        # Once per streak of failures, and once more when only a sign-in can help.
        if first or (sign_in and not self._sign_in.get(name, False)):
            self._sign_in[name] = sign_in
            self._page_on_click.discard(name)
            self.notifier.notify(
                name,
                f"Couldn't refresh {name}",
                sentence,
                action=(ACTION_OPEN, "Sign in again" if sign_in else "Open"),
            )

    def forget(self, name: str) -> None:
        """A new sign-in or token: refresh, check and notify afresh."""
        for d in (self._retry_at, self._pause, self._sign_in, self._failed_expiry, self._hold):
            d.pop(name, None)

    def _on_notifier_action_invoked(self, name: str, key: str) -> None:
        if name not in self._page_on_click:
            self.notification_clicked.emit(name, self._sign_in.get(name, False))
            return
        vault = self.vault

        def job() -> str | None:
            from tokenmgr.core.usecases import probing

            return probing.provider_page(vault, name)

        def done(url: str | None) -> None:
            if url:
                self.provider_page_requested.emit(name, url)
            else:
                self.notification_clicked.emit(name, False)

        self.tasks.run(
            f"Finding {name}'s provider",
            job,
            on_done=done,
            on_error=lambda _exc: self.notification_clicked.emit(name, False),
        )

    # For tests: what the keeper is doing.
    def state(self) -> dict[str, Any]:
        return {"inflight": set(self._inflight), "retry_at": dict(self._retry_at)}
