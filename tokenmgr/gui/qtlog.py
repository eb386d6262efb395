"""Every message Qt writes goes through Python's logging, and so through the redaction
filter (core/redact.py), instead of straight to stderr.

Qt's own warnings, QtWebEngine's, and a web page's console messages when nothing else
takes them (category "js": a provider's page may log its URL, with a code in it) would
otherwise reach the terminal or the journal as Qt wrote them. One handler, installed
before the QApplication in the app and in the sign-in window's process: debug and info
messages log at DEBUG, warnings at WARNING, critical and fatal ones at ERROR, each under
the logger "tokenmgr.qt" with its category. A page's console messages ("js") log at
DEBUG whatever their level: what a page logs is no message for the user.
"""

from __future__ import annotations

import logging

log = logging.getLogger("tokenmgr.qt")

_installed = False


def install() -> None:
    """Route Qt's messages through logging (idempotent)."""
    global _installed
    if _installed:
        return
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.DEBUG,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.ERROR,
    }

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        category = context.category or "default"
        level = logging.DEBUG if category == "js" else levels.get(kind, logging.WARNING)
        if not log.isEnabledFor(level):
            return
        if category == "default":
            log.log(level, "%s", message)
        else:
            log.log(level, "%s: %s", category, message)

    qInstallMessageHandler(handler)
    _installed = True
