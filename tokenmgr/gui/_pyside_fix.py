"""A guard against a PySide6 reference-count bug that kills the app on Python 3.11.

In PySide6 6.12, `SignalInstance.emit()` returns `True` without taking a reference
to it, so every emit from Python drops one reference to the `True` singleton. On
Python 3.11 (where `True` is not yet immortal) its count, a few hundred at start,
reaches zero after enough emits (a clipboard countdown emits once a second) and
the interpreter aborts with "deallocating True or False".

`apply()` checks for the bug with one emit and, only where it shows, gives `True`
a reference count no process will ever use up: what Python 3.12 does for every
interpreter (immortal objects). Nothing happens on 3.12+ or on a fixed PySide6.
"""

from __future__ import annotations

import sys

# 2**40 emits is over 30,000 years at a thousand emits a second.
_RESERVE = 1 << 40
_applied = False


def leaks_true() -> bool:
    """Does emitting a signal drop a reference to True here?"""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        probed = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    probe.probed.emit()
    return sys.getrefcount(True) < before


def apply() -> bool:
    """Apply the guard where needed; True when it was applied (now or before)."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # True is immortal there
    if not leaks_true():
        return False
    import ctypes

    count = ctypes.c_ssize_t.from_address(id(True))  # ob_refcnt, the first field
    before = sys.getrefcount(True)
    count.value += _RESERVE
    if sys.getrefcount(True) != before + _RESERVE:  # not the layout we expected: undo
        count.value -= _RESERVE
        return False
    _applied = True
    return True
