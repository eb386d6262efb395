"""PyInstaller runtime hook, run before every other: remember the environment the user
started the bundle with, before PySide6's hook changes it (tokenmgr.core.childenv)."""

from tokenmgr.core import childenv

childenv.remember_start()
