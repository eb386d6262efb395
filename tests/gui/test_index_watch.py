"""The index watch: a stat poll that fires once per change of the file's identity."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tokenmgr.gui.index_watch import POLL_MS, IndexWatcher

pytestmark = pytest.mark.gui


def test_the_window_polls_once_a_second() -> None:
    assert POLL_MS == 1000  # README: a CLI change shows within a second


def polls(qtbot, watcher: IndexWatcher, count: int = 2) -> None:
    """Wait until the watcher has looked at the file `count` more times (its own slot
    runs first: it was connected first)."""
    for _ in range(count):
        with qtbot.waitSignal(watcher._poll.timeout, timeout=5000):
            pass


def test_a_replaced_index_fires_once_and_a_seen_one_not_at_all(qtbot, tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    index.write_text("{}")
    watcher = IndexWatcher(index, poll_ms=30)
    fired: list[int] = []
    watcher.index_changed.connect(lambda: fired.append(1))
    polls(qtbot, watcher)
    assert fired == []  # nothing changed

    new = tmp_path / "index.json.tmp"  # how the CLI writes it: a new file, os.replace
    new.write_text('{"entries": []}')
    os.replace(new, index)
    qtbot.waitUntil(lambda: fired == [1], timeout=2000)
    polls(qtbot, watcher)
    assert fired == [1]  # once per change

    index.write_text('{"entries": [1]}')  # a change the window made and read itself
    watcher.mark_seen()
    polls(qtbot, watcher)
    assert fired == [1]

    index.unlink()  # gone is a change too (the window then says so)
    qtbot.waitUntil(lambda: fired == [1, 1], timeout=2000)
