"""The frozen bundle's entry point: the same `tokenmgr` command as the pip install.

PyInstaller needs a script; this one only calls `tokenmgr.cli:main` (the console
script of pyproject.toml), so the bundle's GUI and CLI are the installed ones. Before
that it notes what the bundle's runtime hooks set in the environment, so programs the
app starts get the user's environment back (tokenmgr.core.childenv).
"""

from __future__ import annotations

import sys

from tokenmgr.cli import main
from tokenmgr.core import childenv

if __name__ == "__main__":
    childenv.remember_bundle()
    sys.exit(main())
