"""The desktop app: the only package that imports PySide6."""

from tokenmgr.gui._pyside_fix import quicker_feature_scan as _quicker_feature_scan

# Before the app's own modules are imported (see _pyside_fix).
_quicker_feature_scan()
