"""The desktop app: the only package that imports PySide6 (DESIGN §1)."""

from tokenmgr.gui._pyside_fix import apply as _guard_pyside_refcount

# Before any of the app's signals is emitted (see _pyside_fix).
_guard_pyside_refcount()
