"""The system browser, opened on a URL with the environment the user started us with.

`QDesktopServices.openUrl` starts the desktop's opener (xdg-open on Linux) with the
app's own environment; in the frozen bundle that points `LD_LIBRARY_PATH` and Qt's
plugin paths at the bundle, and a browser started that way loads the bundle's libraries
instead of its own. On Linux the opener is started here, detached, with
`childenv.for_children()`; elsewhere (and where no xdg-open is installed) Qt opens it.
"""

from __future__ import annotations

import shutil
import sys

from PySide6.QtCore import QProcess, QProcessEnvironment, QUrl
from PySide6.QtGui import QDesktopServices


def open_url(url: str) -> bool:
    """Open `url` in the system browser; False when nothing could be started."""
    opener = shutil.which("xdg-open") if sys.platform.startswith("linux") else None
    if opener is None:
        return QDesktopServices.openUrl(QUrl(url))
    from tokenmgr.core.childenv import for_children

    env = QProcessEnvironment()
    for name, value in for_children().items():
        env.insert(name, value)
    process = QProcess()
    process.setProgram(opener)
    process.setArguments([url])
    process.setProcessEnvironment(env)
    started = process.startDetached()
    # The stubs type it (ok, pid), as the overload with a pid argument returns; this
    # overload returns ok alone.
    return started[0] if isinstance(started, tuple) else bool(started)
