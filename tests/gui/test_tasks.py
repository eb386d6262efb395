"""Workers: results and errors come back on the GUI thread; store calls never overlap."""

from __future__ import annotations

import threading
import time

import pytest

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.gui.errors import INTERNAL, describe
from tokenmgr.gui.tasks import SerializedStore, Tasks

pytestmark = pytest.mark.gui


def test_results_and_errors_arrive_on_the_gui_thread(qtbot) -> None:
    tasks = Tasks()
    seen: list[tuple[str, object, bool]] = []
    busy: list[bool] = []
    tasks.busy_changed.connect(lambda b, _what: busy.append(b))
    main = threading.main_thread()

    def work() -> str:
        assert threading.current_thread() is not main
        return "done"

    def fail() -> str:
        raise StorageUnavailable("the keyring is locked")

    tasks.run("working", work, lambda r: seen.append(("ok", r, threading.current_thread() is main)))
    tasks.run("failing", fail, None,
              lambda e: seen.append(("err", describe(e), threading.current_thread() is main)))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=5000)
    assert ("ok", "done", True) in seen
    assert ("err", "The keyring is locked.", True) in seen
    assert busy[0] is True and busy[-1] is False and tasks.running == 0


def test_an_unexpected_error_is_a_plain_sentence(qtbot) -> None:
    tasks = Tasks()
    with qtbot.waitSignal(tasks.task_failed, timeout=5000) as sig:
        tasks.run("x", lambda: {}["missing"])
    assert describe(sig.args[1]) == INTERNAL


def test_store_calls_from_many_workers_never_overlap() -> None:
    inside = [0]
    worst = [0]

    class Slow:
        def get(self, name: str, field: str) -> str:
            inside[0] += 1
            worst[0] = max(worst[0], inside[0])
            time.sleep(0.01)
            inside[0] -= 1
            return name

    store = SerializedStore(Slow())
    threads = [threading.Thread(target=store.get, args=(str(i), "access")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert worst[0] == 1


def test_cli_sign_in_hints_read_as_the_apps_button() -> None:
    from tokenmgr.core.errors import SignInRequired
    from tokenmgr.gui.errors import describe

    text = describe(
        SignInRequired(
            "sign-in needed: the provider refused the refresh token of 'w'; "
            "sign in again with `tokenmgr login w ...`"
        )
    )
    assert "tokenmgr login" not in text and "`" not in text
    assert text.endswith("; sign in again.")
