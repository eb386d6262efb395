"""Run core calls off the GUI thread; results come back as signals (Picard's pattern).

Every keyring read or write, every network call and every scrypt derivation
goes through `Tasks.run`. The function runs on a QThreadPool thread and must
not touch widgets; its result (or exception) is delivered to the callbacks on
the GUI thread through a queued signal. `busy_changed` drives the status bar's
busy indicator.

The job functions the app uses live here too, so the window code only says
what to do, not how the core does it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger("tokenmgr.gui.tasks")

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class _WorkerSignals(QObject):
    finished = Signal(int, object)
    failed = Signal(int, object)


class _Worker(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[], Any], signals: _WorkerSignals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._id = task_id
        self._fn: Callable[[], Any] | None = fn
        self._signals = signals

    def run(self) -> None:
        assert self._fn is not None  # a runnable runs once
        try:
            result = self._fn()
        except BaseException as e:  # delivered to the GUI thread, never lost
            self._signals.failed.emit(self._id, e)
        else:
            self._signals.finished.emit(self._id, result)
        finally:
            self._fn = None  # drop references to secrets early


@dataclass
class _Pending:
    what: str
    on_done: Done | None
    on_error: Failed | None
    signals: _WorkerSignals


class Tasks(QObject):
    """Runs functions in a thread pool; delivers results on the GUI thread."""

    busy_changed = Signal(bool, str)  # busy, what the newest running task does
    task_failed = Signal(str, object)  # what, exception (when no on_error was given)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool(self)
        # A sign-in holds a worker while the person is on the provider's page, a refresh
        # may wait on a slow network: enough threads that a copy never queues behind them.
        self._pool.setMaxThreadCount(max(6, self._pool.maxThreadCount()))
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}

    @property
    def running(self) -> int:
        return len(self._pending)

    def run(
        self,
        what: str,
        fn: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
    ) -> int:
        """Run `fn()` in a worker. `what` is a short phrase for the busy indicator."""
        task_id = next(self._ids)
        # Parented, so C++ owns it: the worker thread dropping its Python reference can
        # never delete it there; _finish deletes it on the GUI thread.
        signals = _WorkerSignals(self)
        signals.finished.connect(self._on_worker_finished)
        signals.failed.connect(self._on_worker_failed)
        self._pending[task_id] = _Pending(what, on_done, on_error, signals)
        self.busy_changed.emit(True, what)
        self._pool.start(_Worker(task_id, fn, signals))
        return task_id

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until every worker is done (tests and quit only)."""
        return bool(self._pool.waitForDone(timeout_ms))

    def _finish(self, task_id: int) -> _Pending | None:
        pending = self._pending.pop(task_id, None)
        if pending is not None:
            pending.signals.deleteLater()
        if self._pending:
            newest = self._pending[max(self._pending)]
            self.busy_changed.emit(True, newest.what)
        else:
            self.busy_changed.emit(False, "")
        return pending

    @Slot(int, object)
    def _on_worker_finished(self, task_id: int, result: Any) -> None:
        pending = self._finish(task_id)
        if pending is not None and pending.on_done is not None:
            pending.on_done(result)

    @Slot(int, object)
    def _on_worker_failed(self, task_id: int, exc: BaseException) -> None:
        pending = self._finish(task_id)
        if pending is None:
            return
        if pending.on_error is not None:
            pending.on_error(exc)
        else:
            self.task_failed.emit(pending.what, exc)


# ---------------------------------------------------------------- the jobs


class SerializedStore:
    """A secret store whose calls run one at a time, whichever worker makes them.

    Workers run in parallel (a Verify may wait on the network while a copy reads the
    keyring); the stores were written for one caller at a time (one D-Bus connection,
    the vault file's key cache), so every call takes one lock."""

    def __init__(self, inner: Any) -> None:
        import threading

        self._inner = inner
        self._lock = threading.RLock()

    @property
    def inner(self) -> Any:
        return self._inner

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return target(*args, **kwargs)

        return call


def shutdown(tasks: Tasks, timeout_ms: int = 3000) -> None:
    with contextlib.suppress(RuntimeError):
        tasks.wait(timeout_ms)
