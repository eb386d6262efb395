"""The PySide6 release in use: the guard against emit() dropping a reference to True
(Python 3.11)."""

from __future__ import annotations

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
