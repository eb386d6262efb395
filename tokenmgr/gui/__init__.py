"""The desktop app: the only package that imports PySide6 (DESIGN §1)."""

from tokenmgr.gui._pyside_fix import apply as _guard_pyside_refcount
from tokenmgr.gui._pyside_fix import quicker_feature_scan as _quicker_feature_scan

# Before any of the app's signals is emitted (see _pyside_fix).
_guard_pyside_refcount()
# Before the app's own modules are imported (see _pyside_fix).
_quicker_feature_scan()
