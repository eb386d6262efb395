"""The guard against PySide6's emit() dropping a reference to True (Python 3.11)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gui


def test_emitting_signals_keeps_the_reference_count_of_true() -> None:
    """PySide6 6.12.0 drops a reference to True on every emit under Python 3.11 (the
    interpreter aborts once it runs out); pyproject.toml keeps to releases without that
    bug, and this test fails on one that has it."""
    code = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QObject, Signal

        class A(QObject):
            changed = Signal(int)

        a = A()
        a.changed.connect(lambda _value: None)
        before = sys.getrefcount(True)
        for i in range(100_000):
            a.changed.emit(i)
        print(before - sys.getrefcount(True))
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert abs(int(r.stdout.strip())) < 100, f"True lost {r.stdout.strip()} references"


def test_the_quicker_feature_scan_answers_as_pyside_does() -> None:
    """The direct read of a module's .py file says "uses PySide6" exactly when PySide6's
    own inspect.getsource check does, for our modules, the stdlib, and ones without a file."""
    import json
    import types

    import tokenmgr.core.entries
    import tokenmgr.gui.main_window
    from tokenmgr.gui import _pyside_fix

    assert _pyside_fix.quicker_feature_scan()
    feature = sys.modules["shibokensupport.feature"]
    quick = feature._mod_uses_pyside
    assert quick.direct_read, "tokenmgr.gui did not put the quicker scan in place"
    original = quick.original
    built = types.ModuleType("made_here")  # no file: handed to PySide6's check
    for module in (tokenmgr.gui.main_window, tokenmgr.core.entries, json, sys, built,
                   _pyside_fix):
        assert quick(module) == original(module), module.__name__
    assert quick(tokenmgr.gui.main_window) is True
    assert quick(tokenmgr.core.entries) is False
    assert _pyside_fix.quicker_feature_scan()  # a second call keeps the one in place
    assert feature._mod_uses_pyside is quick


def test_the_quicker_feature_scan_reads_no_source_through_inspect() -> None:
    """In a fresh process: importing the app's window after tokenmgr.gui asks inspect for
    the source of no module that has a .py file (PySide6's own check would, for each);
    only built-in and extension modules still go to PySide6's check."""
    code = textwrap.dedent(
        """
        import inspect, sys
        import tokenmgr.gui
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

    from tokenmgr.gui import _pyside_fix

    assert _pyside_fix.quicker_feature_scan()
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
