"""The frozen bundle's entry point: the same `tokenmgr` command as the pip install.

PyInstaller needs a script; this one only calls `tokenmgr.cli:main` (the console
script of pyproject.toml), so the bundle's GUI and CLI are the installed ones; started
through a link named `docker-credential-tokenmgr` (the .deb ships one), it is that
console script, `tokenmgr.cli:docker_credential`, as docker runs it. Before
that it notes what the bundle's runtime hooks set in the environment, so programs the
app starts get the user's environment back (tokenmgr.core.childenv).
"""

from __future__ import annotations

import os
import sys

from tokenmgr.cli import DOCKER_HELPER, docker_credential, main
from tokenmgr.core import childenv

if __name__ == "__main__":
    childenv.remember_bundle()
    if os.path.basename(sys.argv[0]) == DOCKER_HELPER:
        sys.exit(docker_credential())
    sys.exit(main())
