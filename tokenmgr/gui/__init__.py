"""The desktop app: the only package that imports PySide6 (its entry is `gui.app.run`)."""
