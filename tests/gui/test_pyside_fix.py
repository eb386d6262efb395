"""The guard against PySide6's emit() dropping a reference to True (Python 3.11)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.gui


def test_many_emits_do_not_kill_the_interpreter() -> None:
    code = textwrap.dedent(
        """
        import sys
        import tokenmgr.gui  # applies the guard
        from PySide6.QtCore import QObject, Signal

        class A(QObject):
            changed = Signal(int)

        a = A()
        for i in range(20_000):  # far more than True's count without the guard
            a.changed.emit(i)
        assert sys.getrefcount(True) > 1_000_000 or sys.version_info >= (3, 12)
        print("ok")
        """
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_the_guard_is_idempotent() -> None:
    from tokenmgr.gui import _pyside_fix

    before = sys.getrefcount(True)
    applied = _pyside_fix.apply()
    assert abs(sys.getrefcount(True) - before) < 1000  # not added twice
    assert applied == _pyside_fix._applied
