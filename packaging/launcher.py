"""The frozen bundle's entry point: the same `tokenmgr` command as the pip install.

PyInstaller needs a script; this one only calls `tokenmgr.cli:main` (the console
script of pyproject.toml), so the bundle's GUI and CLI are the installed ones.
"""

from __future__ import annotations

import sys

from tokenmgr.cli import main

if __name__ == "__main__":
    sys.exit(main())
