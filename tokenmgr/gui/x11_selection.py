"""An X11 selection another client owns: does it hold our text? If so, clear it.

Qt reads a selection it does not own on the GUI thread and waits up to five
seconds for the owner to answer (a fixed timeout inside its xcb plugin). A
clipboard manager that took over our token (CopyQ syncing the clipboard into
the mouse selection, Klipper or GPaste keeping the clipboard alive) must be
asked, though: the countdown has to clear the token wherever it went. So the
app asks the X server itself, on a connection of its own and with a short
deadline (`holds_then_clear`), the way `xclip -o` does: ConvertSelection
to UTF8_STRING, wait for SelectionNotify, read the property. libX11 is the
library Qt's xcb plugin itself links, so it is there wherever this runs.

The clear is `SetSelectionOwner(None)` at a server time taken *before* the
read: if anyone (the user copying something new) took the selection after
that moment, the X server ignores the clear, so what the user copied
meanwhile is never wiped. Every call opens and closes its own connection; it
may run on any thread.
"""

from __future__ import annotations

import ctypes
import enum
import select
import time
from typing import Any

SELECTION_NOTIFY = 31
PROPERTY_NOTIFY = 28
PROPERTY_CHANGE_MASK = 1 << 22
PROP_MODE_APPEND = 2
ANY_PROPERTY_TYPE = 0
XA_STRING = 31
NONE = 0
# A read larger than this is not a token of ours (a property is read in 32-bit units).
MAX_READ_UNITS = 1 << 20


class Outcome(enum.Enum):
    CLEARED = "cleared"  # it held our text and now has no owner
    NOT_OURS = "not ours"  # nobody owns it, or it holds something else
    UNKNOWN = "unknown"  # no answer in time, no X connection, or the owner took it back


class _SelectionEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("requestor", ctypes.c_ulong),
        ("selection", ctypes.c_ulong),
        ("target", ctypes.c_ulong),
        ("property", ctypes.c_ulong),
        ("time", ctypes.c_ulong),
    ]


class _PropertyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("atom", ctypes.c_ulong),
        ("time", ctypes.c_ulong),
        ("state", ctypes.c_int),
    ]


class _Event(ctypes.Union):
    _fields_ = [
        ("type", ctypes.c_int),
        ("xselection", _SelectionEvent),
        ("xproperty", _PropertyEvent),
        ("pad", ctypes.c_long * 24),
    ]


_lib: Any = None


def _xlib() -> Any:
    """libX11, with the prototypes used here; None where it cannot be loaded."""
    global _lib
    if _lib is not None:
        return _lib or None
    try:
        x = ctypes.CDLL("libX11.so.6")
    except OSError:
        _lib = False
        return None
    ptr, ulong, c_int = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "XOpenDisplay": (ptr, [ctypes.c_char_p]),
        "XCloseDisplay": (c_int, [ptr]),
        "XConnectionNumber": (c_int, [ptr]),
        "XDefaultRootWindow": (ulong, [ptr]),
        "XInternAtom": (ulong, [ptr, ctypes.c_char_p, c_int]),
        "XGetSelectionOwner": (ulong, [ptr, ulong]),
        "XSetSelectionOwner": (c_int, [ptr, ulong, ulong, ulong]),
        "XCreateSimpleWindow": (
            ulong, [ptr, ulong, c_int, c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint,
                    ulong, ulong],
        ),
        "XDestroyWindow": (c_int, [ptr, ulong]),
        "XSelectInput": (c_int, [ptr, ulong, ctypes.c_long]),
        "XChangeProperty": (
            c_int, [ptr, ulong, ulong, ulong, c_int, c_int, ctypes.c_char_p, c_int],
        ),
        "XConvertSelection": (c_int, [ptr, ulong, ulong, ulong, ulong, ulong]),
        "XGetWindowProperty": (
            c_int,
            [ptr, ulong, ulong, ctypes.c_long, ctypes.c_long, c_int, ulong,
             ctypes.POINTER(ulong), ctypes.POINTER(c_int), ctypes.POINTER(ulong),
             ctypes.POINTER(ulong), ctypes.POINTER(ctypes.c_void_p)],
        ),
        "XFree": (c_int, [ptr]),
        "XPending": (c_int, [ptr]),
        "XNextEvent": (c_int, [ptr, ctypes.POINTER(_Event)]),
        "XFlush": (c_int, [ptr]),
        "XSync": (c_int, [ptr, c_int]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(x, name)
        fn.restype, fn.argtypes = restype, argtypes
    _lib = x
    return x


def available() -> bool:
    return _xlib() is not None


class _Connection:
    """One X connection with a 1x1 unmapped window to receive the answer on."""

    def __init__(self, x: Any, display: str | None, deadline: float) -> None:
        self.x = x
        self.deadline = deadline
        self.dpy = x.XOpenDisplay(display.encode() if display else None)
        if not self.dpy:
            raise OSError(f"cannot open the display {display!r}")
        root = x.XDefaultRootWindow(self.dpy)
        self.win = x.XCreateSimpleWindow(self.dpy, root, 0, 0, 1, 1, 0, 0, 0)
        x.XSelectInput(self.dpy, self.win, PROPERTY_CHANGE_MASK)
        self.prop = self.atom("TOKENMGR_SELECTION")

    def atom(self, name: str) -> int:
        return int(self.x.XInternAtom(self.dpy, name.encode(), 0))

    def close(self) -> None:
        self.x.XDestroyWindow(self.dpy, self.win)
        self.x.XCloseDisplay(self.dpy)

    def wait(self, kind: int) -> _Event | None:
        """The next event of type `kind` for our window; None past the deadline."""
        x, fd = self.x, self.x.XConnectionNumber(self.dpy)
        event = _Event()
        x.XFlush(self.dpy)
        while True:
            while x.XPending(self.dpy):
                x.XNextEvent(self.dpy, ctypes.byref(event))
                if event.type == kind:
                    return event
            left = self.deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([fd], [], [], left)

    def server_time(self) -> int | None:
        """Now, in the server's clock: the time of an empty append to our own property."""
        self.x.XChangeProperty(self.dpy, self.win, self.prop, XA_STRING, 8, PROP_MODE_APPEND,
                               b"", 0)
        event = self.wait(PROPERTY_NOTIFY)
        return None if event is None else int(event.xproperty.time)

    def convert(self, selection: int, target: int, when: int) -> bytes | None:
        """The selection as `target`; b"" when refused; None when no answer came in time."""
        x = self.x
        x.XConvertSelection(self.dpy, selection, target, self.prop, self.win, when)
        while True:
            event = self.wait(SELECTION_NOTIFY)
            if event is None:
                return None
            if event.xselection.selection == selection:
                break
        if event.xselection.property == NONE:
            return b""
        kind, fmt = ctypes.c_ulong(), ctypes.c_int()
        count, after = ctypes.c_ulong(), ctypes.c_ulong()
        data = ctypes.c_void_p()
        status = x.XGetWindowProperty(
            self.dpy, self.win, self.prop, 0, MAX_READ_UNITS, 1, ANY_PROPERTY_TYPE,
            ctypes.byref(kind), ctypes.byref(fmt), ctypes.byref(count), ctypes.byref(after),
            ctypes.byref(data),
        )
        try:
            if status != 0 or fmt.value != 8 or after.value or kind.value == self.atom("INCR"):
                # Sent in pieces or too big: not a token's text.
                return b"\0not-text"
            return ctypes.string_at(data, count.value) if data.value else b""
        finally:
            if data.value:
                x.XFree(data)


def holds_then_clear(
    display: str | None, selection: str, text: str, timeout_s: float
) -> Outcome:
    """If the X selection `selection` ("CLIPBOARD" or "PRIMARY") holds exactly `text`,
    clear it. Answers within `timeout_s` seconds."""
    x = _xlib()
    if x is None:
        return Outcome.UNKNOWN
    deadline = time.monotonic() + timeout_s
    try:
        conn = _Connection(x, display, deadline)
    except OSError:
        return Outcome.UNKNOWN
    try:
        sel = conn.atom(selection)
        for _attempt in range(2):
            owner = x.XGetSelectionOwner(conn.dpy, sel)
            if owner == NONE:
                return Outcome.NOT_OURS
            when = conn.server_time()
            if when is None:
                return Outcome.UNKNOWN
            held = conn.convert(sel, conn.atom("UTF8_STRING"), when)
            if held == b"":  # no UTF8_STRING on offer: the Latin-1 form a token also has
                held = conn.convert(sel, XA_STRING, when)
            if held is None:
                return Outcome.UNKNOWN
            if held != text.encode():
                return Outcome.NOT_OURS
            x.XSetSelectionOwner(conn.dpy, sel, NONE, when)
            x.XSync(conn.dpy, 0)
            now = x.XGetSelectionOwner(conn.dpy, sel)
            if now == NONE:
                return Outcome.CLEARED
            if now != owner:
                return Outcome.NOT_OURS  # someone copied something new meanwhile: theirs
            # The same owner again: it took the selection back (a manager that keeps it
            # alive), or set it anew after our read began. Look once more.
        return Outcome.UNKNOWN
    finally:
        conn.close()
