"""Asking a pasted token's provider about it before it is stored: a moment after the
token last changed, or once the check URL or the hosts field is left, in a worker, when
its prefix, its hosts or the check URL name a provider ("GitHub says: expires
2027-01-31 (in 60 days) · scopes repo"). Each change starts a new question; only the
answer to the newest one is shown (`said`) and kept (`answer`, saved with the entry so
that it is not asked twice). Never while an address is being typed: a pause in the
middle of `gitlab.example.com` must not send the token to `gitlab.ex`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.rules import now_utc
from tokenmgr.gui.form_fields import hosts_given, valid_check_url

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from tokenmgr.gui.tasks import Tasks

# How long typing pauses before the provider is asked (a token typed by hand is not
# sent piece by piece).
ASK_AFTER_MS = 700


class Question(NamedTuple):
    """What the form holds when the provider is asked."""

    token: str  # as it would be stored
    check_url: str
    scheme: str
    hosts: str  # as typed


class ProviderAsk(QObject):
    said = Signal(str)  # what to show under the token ("" for nothing)

    def __init__(
        self,
        tasks: Tasks | None,
        env: Mapping[str, str],
        form: QWidget,
        question: Callable[[], Question],
    ) -> None:
        super().__init__(form)
        self._tasks = tasks
        self._env = env
        self._form = form  # asked only while it is on screen
        self._question = question
        self._seq = 0
        self._asked: tuple[int, Any] | None = None  # (seq, (target, answer, when))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ASK_AFTER_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def waiting(self) -> bool:
        """A question is due to be asked in a moment."""
        return self._timer.isActive()

    @property
    def answer(self) -> Any:
        """(target, answer, when) for the form as it stands, or None."""
        return self._asked[1] if self._asked and self._asked[0] == self._seq else None

    def ask_later(self) -> None:
        """A new question: what was said of the old token no longer holds."""
        self._seq += 1
        self._asked = None
        self.said.emit("")
        if self._tasks is not None and self._question().token and self._form.isVisible():
            self._timer.start()
        else:
            self._timer.stop()

    def hold(self) -> None:
        """An address the question goes to is being typed: what was said no longer holds,
        and nothing is asked until `ask_later` (the field was left)."""
        self._seq += 1
        self._asked = None
        self.said.emit("")
        self._timer.stop()

    def forget(self) -> None:
        """Nothing asked is kept, nor asked any more (the token was cleared)."""
        self._timer.stop()
        self._seq += 1

    @Slot()
    def _on_timer_timeout(self) -> None:
        from tokenmgr.core.probe.providers import NoTarget, target_for
        from tokenmgr.core.usecases.probing import ask_before_storing

        q = self._question()
        token, check_url, scheme = q.token, q.check_url, q.scheme or "Bearer"
        if self._tasks is None or not token or not self._form.isVisible():
            return  # nothing to ask about, or the dialog is gone from the screen
        try:
            if check_url:
                valid_check_url(check_url)
            hosts = hosts_given(q.hosts)
            prospect = Entry(name="new", check_url=check_url or None, hosts=hosts)
            target = target_for(prospect, token)
        except (TokenMgrError, NoTarget):
            return  # nothing to ask, or nowhere it may go
        seq, env = self._seq, self._env

        def job() -> Any:
            return ask_before_storing(
                token, env, check_url=check_url or None, hosts=hosts, scheme=scheme
            )

        def failed(exc: BaseException) -> None:
            self._on_asked(seq, f"Could not ask {target.label} ({type(exc).__name__}).")

        self.said.emit(f"Asking {target.label}…")
        self._tasks.run(f"Asking {target.label}…", job, lambda r: self._on_asked(seq, r), failed)

    def _on_asked(self, seq: int, result: Any) -> None:
        if seq != self._seq:
            return  # the token or the check URL changed meanwhile
        if isinstance(result, str):
            self.said.emit(result)
            return
        from tokenmgr.core.entries import ProviderCheck
        from tokenmgr.core.probe.check import merge
        from tokenmgr.core.probe.text import line

        target, answer = result
        now = now_utc()
        self._asked = (seq, (target, answer, now))
        check: ProviderCheck = merge(None, target, answer, now=now, token_issued_at=None)
        said = line(check, now)
        self.said.emit(said[:1].upper() + said[1:])
