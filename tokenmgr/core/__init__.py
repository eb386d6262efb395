"""Pure-Python core of tokenmgr. Nothing below this package imports PySide6."""
