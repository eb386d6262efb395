"""gui/earlyinit: what runs before Qt (the display check, automatic garbage collection off,
the quicker source scan) and the garbage collector that collects on the GUI thread."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from PySide6.QtCore import QObject, Qt

from tokenmgr.gui import earlyinit

pytestmark = pytest.mark.gui


def _fresh(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


# ------------------------------------------------------------------------- init


def test_no_display_is_said_before_pyside6_is_imported() -> None:
    r = _fresh(
        """
        import sys
        from tokenmgr.gui import earlyinit
        try:
            earlyinit.init({})
        except earlyinit.NoDisplay as e:
            print(str(e))
        print(sorted(m for m in sys.modules if m.startswith("PySide6")))
        """
    )
    assert r.returncode == 0, r.stderr
    sentence, loaded = r.stdout.strip().splitlines()
    assert sentence.startswith("no display to open the window on") and "\n" not in sentence
    assert loaded == "[]"


def test_automatic_collection_is_off_before_pyside6_is_imported() -> None:
    """No automatic collection runs while init imports PySide6 (gc.callbacks sees every
    collection), and it stays off afterwards."""
    r = _fresh(
        """
        import gc, sys
        collections = []
        gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))
        from tokenmgr.gui import earlyinit
        collections.clear()
        collector = earlyinit.init({"QT_QPA_PLATFORM": "offscreen"})
        print("PySide6.QtCore" in sys.modules, gc.isenabled(), len(collections))
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False", "0"]


# ------------------------------------------------------------- the collector


class _Cycle:
    """Garbage only the cyclic collector can free, holding a QObject."""

    def __init__(self, deleted_on: list[str]) -> None:
        self.me = self
        self.obj = QObject()
        # Direct: run in whichever thread deletes it.
        self.obj.destroyed.connect(lambda: deleted_on.append(threading.current_thread().name),
                                   Qt.ConnectionType.DirectConnection)


def _allocate_in_a_worker() -> None:
    """Cyclic garbage made in a worker thread: enough to cross the young generation's
    threshold many times over."""

    def churn() -> None:
        for _ in range(20_000):
            cycle: list[object] = []
            cycle.append(cycle)

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()


@pytest.fixture
def collector(qapp: object):  # type: ignore[no-untyped-def]
    was_enabled = gc.isenabled()
    gc.collect()
    made = earlyinit.GarbageCollector()
    yield made
    made.stop()
    assert gc.isenabled() == was_enabled  # stop() puts automatic collection back


def test_garbage_holding_a_qobject_is_collected_on_the_gui_thread(collector, qapp, qtbot
                                                                   ) -> None:
    deleted_on: list[str] = []
    _Cycle(deleted_on)
    _allocate_in_a_worker()  # with automatic collection on, the worker would collect it
    assert deleted_on == []
    collector.start(qapp, interval_ms=20)
    qtbot.waitUntil(lambda: bool(deleted_on), timeout=5000)
    assert deleted_on == [threading.main_thread().name]


def test_stopping_collects_what_is_left(collector) -> None:
    deleted_on: list[str] = []
    _Cycle(deleted_on)
    collector.stop()
    assert deleted_on == [threading.main_thread().name]


# ------------------------------------------------------- the quicker source scan


def test_the_quicker_feature_scan_answers_as_pyside_does() -> None:
    """The direct read of a module's .py file says "uses PySide6" exactly when PySide6's
    own inspect.getsource check does, for our modules, the stdlib, and ones without a file."""
    import json
    import types

    import tokenmgr.core.entries
    import tokenmgr.gui.main_window
    from tokenmgr.gui import earlyinit

    assert earlyinit.quicker_feature_scan()
    feature = sys.modules["shibokensupport.feature"]
    quick = feature._mod_uses_pyside
    assert quick.direct_read
    original = quick.original
    built = types.ModuleType("made_here")  # no file: handed to PySide6's check
    for module in (tokenmgr.gui.main_window, tokenmgr.core.entries, json, sys, built,
                   earlyinit):
        assert quick(module) == original(module), module.__name__
    assert quick(tokenmgr.gui.main_window) is True
    assert quick(tokenmgr.core.entries) is False
    assert earlyinit.quicker_feature_scan()  # a second call keeps the one in place
    assert feature._mod_uses_pyside is quick


def test_the_quicker_feature_scan_reads_no_source_through_inspect() -> None:
    """In a fresh process: importing the app's window after earlyinit asks inspect for the
    source of no module that has a .py file (PySide6's own check would, for each); only
    built-in and extension modules still go to PySide6's check."""
    code = textwrap.dedent(
        """
        import inspect, sys
        from tokenmgr.gui import earlyinit
        earlyinit.init({"QT_QPA_PLATFORM": "offscreen"})
        calls = []
        original = inspect.getsource
        inspect.getsource = lambda obj: calls.append(obj) or original(obj)
        import tokenmgr.gui.main_window
        with_source = [m.__name__ for m in calls
                       if str(getattr(m, "__file__", "")).endswith(".py")]
        print(len(with_source), with_source, len(calls))
        """
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "0", r.stdout


@pytest.mark.parametrize("source", ["import PySide6.QtCore\n", "import json\n", None, "raise"])
def test_a_module_with_only_bytecode_gets_pysides_answer(tmp_path, source) -> None:
    """A frozen bundle's modules have a .pyc __file__ and no .py: the quick scan asks the
    loader for the source, where inspect ends up, and answers as PySide6's check does."""
    import types

    from tokenmgr.gui import earlyinit

    assert earlyinit.quicker_feature_scan()
    quick = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    original = quick.original

    class Loader:
        def get_source(self, name: str) -> str | None:
            if source == "raise":
                raise ImportError(name)
            return source

    name = f"bytecode_only_{abs(hash(source))}"
    module = types.ModuleType(name)
    module.__file__ = str(tmp_path / f"{name}.pyc")
    module.__loader__ = Loader()
    sys.modules[name] = module  # inspect looks modules up there
    try:
        assert quick(module) == original(module)
        assert quick(module) is (source == "import PySide6.QtCore\n")
    finally:
        del sys.modules[name]
