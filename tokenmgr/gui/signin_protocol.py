"""The pipe between the app and the process that shows its sign-in window.

One JSON object per line (UTF-8), each with a "type": the app writes to the window
process's stdin, the window process answers on its stdout. None of it goes on the
command line, which every local user can read (/proc/PID/cmdline), nor in the
environment, which the window process hands on to whatever it starts.

App → window:
- `open`: `url` (the authorization URL), `redirect_uri` (the loopback listener's
  address, where the captured redirect goes), `provider` (for the title), and
  `transient_for` (the native id of the app's window to stay above, 0 for none).
- `close`: the sign-in ended (done, failed or cancelled in the app): close now.

Window → app:
- `ready`: the browser is up and waits for `open`.
- `shown`: the window is on screen (`window`: its native id).
- `delivered`: the captured redirect reached the listener (`status`: its HTTP status).
- `closed`: the person closed the window (Cancel, Escape, the title bar).
- `system_browser`: the sign-in goes on in the system browser (`why`, "" when the
  person chose it).
- `refused`: the provider answered the authorization request with an error page
  (`status`, and what the page names: `error`, `description`).
- `failed`: the window cannot go on (`why`, a sentence).

After `closed`, `system_browser`, `refused` or `failed` the window process exits by
itself. Any other end of it (killed, crashed) is the app's to notice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger("tokenmgr.signin.pipe")

MAX_LINE = 64 * 1024

OPEN = "open"
CLOSE = "close"
READY = "ready"
SHOWN = "shown"
DELIVERED = "delivered"
CLOSED = "closed"
SYSTEM_BROWSER = "system_browser"
REFUSED = "refused"
FAILED = "failed"
# What the window process says last before it exits by itself.
FINAL = frozenset({CLOSED, SYSTEM_BROWSER, REFUSED, FAILED})


def encode(kind: str, **fields: Any) -> bytes:
    """One message as a line."""
    return json.dumps({"type": kind, **fields}, ensure_ascii=True).encode("ascii") + b"\n"


def decode(line: bytes) -> dict[str, Any] | None:
    """The message a line holds; None (and a DEBUG line) when it holds none."""
    if len(line) > MAX_LINE:
        log.debug("sign-in window pipe: a line over %d bytes, ignored", MAX_LINE)
        return None
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        log.debug("sign-in window pipe: a line that is not JSON, ignored")
        return None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        log.debug("sign-in window pipe: a message without a type, ignored")
        return None
    return message


def text(message: dict[str, Any], key: str, limit: int = 300) -> str:
    """A string field of `message` ("" when absent or not a string), at most `limit`."""
    value = message.get(key)
    return value[:limit] if isinstance(value, str) else ""


def number(message: dict[str, Any], key: str) -> int:
    """An integer field of `message` (0 when absent or not an integer)."""
    value = message.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
