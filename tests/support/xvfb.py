"""A real X server for tests: Xvfb on a free display, optionally with a tray host.

`XServer().start(tray=True)` runs `Xvfb -displayfd` (the server picks a free
display number and reports it), then `trayer` on it, which owns the
`_NET_SYSTEM_TRAY_S0` selection, so Qt's `QSystemTrayIcon.isSystemTrayAvailable()`
is True for clients of that display. `env` is what a client process needs.
`xclip` and `xdotool` read the clipboard and drive the pointer and keyboard
from outside, like a user would. `start(window_manager=True)` also runs openbox, a
standard window manager, where stacking and focus matter (which window comes to the
front, who gets the keyboard).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

TOOLS = ("Xvfb", "trayer", "xclip", "xdotool", "xprop")


class XServerUnavailable(RuntimeError):
    pass


def missing_tools(tools: tuple[str, ...] = TOOLS) -> list[str]:
    return [t for t in tools if shutil.which(t) is None]


def _xlib() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    xlib = ctypes.CDLL(name)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XGetSelectionOwner.restype = ctypes.c_ulong
    xlib.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    xlib.XDefaultRootWindow.restype = ctypes.c_ulong
    xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    xlib.XSetWindowBackground.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    xlib.XClearWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCreateSimpleWindow.restype = ctypes.c_ulong
    xlib.XCreateSimpleWindow.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
        ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_ulong]
    xlib.XSetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong,
                                        ctypes.c_ulong]
    xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return xlib


class HungOwner:
    """Owns an X selection on a connection of its own and never reads its events, so a
    request for the selection's content goes unanswered."""

    def __init__(self, display: str, selection: str) -> None:
        self._xlib = _xlib()
        self._dpy = self._xlib.XOpenDisplay(display.encode())
        if not self._dpy:
            raise XServerUnavailable(f"cannot open {display}")
        root = self._xlib.XDefaultRootWindow(self._dpy)
        self.window = int(self._xlib.XCreateSimpleWindow(self._dpy, root, 0, 0, 1, 1, 0, 0, 0))
        atom = self._xlib.XInternAtom(self._dpy, selection.encode(), False)
        self._xlib.XSetSelectionOwner(self._dpy, atom, self.window, 0)  # CurrentTime
        self._xlib.XSync(self._dpy, 0)

    def close(self) -> None:
        if self._dpy:
            self._xlib.XCloseDisplay(self._dpy)
            self._dpy = None


class XServer:
    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.width, self.height = width, height
        self.display = ""
        self.dir = Path(tempfile.mkdtemp(prefix="tokenmgr-x-"))
        self._procs: list[subprocess.Popen[bytes]] = []

    @property
    def env(self) -> dict[str, str]:
        """os.environ for a client of this display (xcb, no Wayland, no session bus leak)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XAUTHORITY")
        }
        env.update(DISPLAY=self.display, QT_QPA_PLATFORM="xcb")
        return env

    def start(
        self, tray: bool = False, panel_width: int | None = None, window_manager: bool = False
    ) -> XServer:
        """`panel_width`: trayer's width in pixels (default: just wide enough for the icons)."""
        missing = missing_tools()
        if missing:
            raise XServerUnavailable(
                f"missing {', '.join(missing)}: run `make test` (it installs them) "
                "or apt-get install xvfb trayer xclip xdotool x11-utils"
            )
        read_fd, write_fd = os.pipe()
        try:
            xvfb = subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_fd),
                    "-screen",
                    "0",
                    f"{self.width}x{self.height}x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                pass_fds=(write_fd,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            os.close(write_fd)
        self._procs.append(xvfb)
        number = b""
        deadline = time.monotonic() + 30
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                ready, _, _ = select.select([pipe], [], [], 0.5)
                if ready:
                    chunk = pipe.read(16)
                    if not chunk:
                        break
                    number += chunk
                elif xvfb.poll() is not None:
                    break
        if not number.strip().isdigit():
            self.stop()
            raise XServerUnavailable("Xvfb did not report a display number")
        self.display = f":{number.strip().decode()}"
        if window_manager:
            self.start_window_manager()
        if tray:
            self.start_tray(panel_width)
        return self

    def start_window_manager(self) -> None:
        """openbox with its stock configuration (no session manager)."""
        if shutil.which("openbox") is None:
            self.stop()
            raise XServerUnavailable(
                "missing openbox: run `make test` (it installs it) or apt-get install openbox"
            )
        proc = subprocess.Popen(
            ["openbox", "--sm-disable"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(proc)
        self._wait(self._wm_running, proc, "openbox")

    def _wm_running(self) -> bool:
        r = self.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"], check=False)
        return "window id" in r.stdout

    def stacking(self) -> list[int]:
        """The managed windows, bottom to top (the window manager's
        _NET_CLIENT_LIST_STACKING)."""
        out = self.run(["xprop", "-root", "_NET_CLIENT_LIST_STACKING"], check=False).stdout
        _, _, ids = out.partition("#")
        return [int(w.strip(), 16) for w in ids.split(",") if w.strip()]

    def active_window(self) -> int:
        out = self.run(["xprop", "-root", "_NET_ACTIVE_WINDOW"], check=False).stdout
        _, _, wid = out.partition("#")
        return int(wid.strip().split(",")[0], 16) if wid.strip() else 0

    def window_name(self, wid: int) -> str:
        out = self.run(["xprop", "-id", str(wid), "_NET_WM_NAME"], check=False).stdout
        _, _, value = out.partition("=")
        return value.strip().strip('"')

    def windows_named(self, name: str) -> list[int]:
        """Visible windows whose title is exactly `name`."""
        r = self.run(["xdotool", "search", "--onlyvisible", "--name", f"^{name}$"], check=False)
        return [int(w) for w in r.stdout.split()]

    def screenshot(self, path: Path) -> Path:
        """The whole screen as a PNG (ImageMagick's `import`)."""
        self.run(["import", "-window", "root", str(path)], timeout=30)
        return path

    def start_tray(self, panel_width: int | None = None) -> None:
        width = ["--widthtype", "request"]
        if panel_width:
            width = ["--widthtype", "pixel", "--width", str(panel_width)]
        proc = subprocess.Popen(
            [
                "trayer",
                "--edge", "top",
                "--align", "right",
                *width,
                "--height", "24",
                "--SetDockType", "true",
                "--transparent", "true",
                "--alpha", "0",
                "--tint", "0x2b2f36",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(proc)
        self._wait(lambda: self.selection_owned("_NET_SYSTEM_TRAY_S0"), proc, "trayer")

    def selection_owned(self, selection: str) -> bool:
        """Whether a client owns the X selection `selection` (XGetSelectionOwner)."""
        return bool(self.selection_owner(selection))

    def selection_owner(self, selection: str) -> int:
        """The window that owns the X selection `selection` (0: none)."""
        xlib = _xlib()
        dpy = xlib.XOpenDisplay(self.display.encode())
        if not dpy:
            return 0
        try:
            atom = xlib.XInternAtom(dpy, selection.encode(), False)
            return int(xlib.XGetSelectionOwner(dpy, atom))
        finally:
            xlib.XCloseDisplay(dpy)

    def hold_selection_silently(self, selection: str = "CLIPBOARD") -> HungOwner:
        """A client that takes `selection` and never answers a request for it (a hung
        clipboard manager); it lets go when closed."""
        return HungOwner(self.display, selection)

    def set_background(self, rgb: int) -> None:
        """Paint the root window one colour (0xRRGGBB; the screen is 24-bit TrueColor)."""
        xlib = _xlib()
        dpy = xlib.XOpenDisplay(self.display.encode())
        if not dpy:
            raise XServerUnavailable(f"cannot open {self.display}")
        try:
            root = xlib.XDefaultRootWindow(dpy)
            xlib.XSetWindowBackground(dpy, root, rgb)
            xlib.XClearWindow(dpy, root)
            xlib.XFlush(dpy)
        finally:
            xlib.XCloseDisplay(dpy)

    def _wait(self, ready: object, proc: subprocess.Popen[bytes], what: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ready():  # type: ignore[operator]
                return
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise XServerUnavailable(f"{what} did not come up on {self.display}")

    def run(
        self, args: list[str], *, input: bytes | None = None, check: bool = True,
        timeout: float = 20,
    ) -> subprocess.CompletedProcess[str]:
        """A client command on this display, its output as text."""
        proc = subprocess.run(
            args, input=input, env=self.env, capture_output=True, timeout=timeout, check=False
        )
        result = subprocess.CompletedProcess(
            proc.args, proc.returncode, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace"),
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} failed ({proc.returncode}): {result.stderr}")
        return result

    # ---------------------------------------------------------------- clipboard

    def read_selection(self, selection: str = "clipboard", target: str | None = None) -> str:
        """What `xclip -o` reads from `selection` ("" when nobody owns it)."""
        args = ["xclip", "-o", "-selection", selection]
        if target:
            args += ["-t", target]
        r = self.run(args, check=False)
        return r.stdout if r.returncode == 0 else ""

    def targets(self, selection: str = "clipboard") -> list[str]:
        return self.read_selection(selection, "TARGETS").split()

    def write_selection(self, text: str, selection: str = "clipboard") -> None:
        """Copy `text` from another client (xclip keeps serving it in the background)."""
        proc = subprocess.Popen(
            ["xclip", "-i", "-selection", selection],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
        )
        proc.communicate(text.encode(), timeout=20)
        # xclip forks a child that serves the selection; it exits when it loses it. The
        # child sends the ownership request when it first waits for events: until then
        # the selection is not yet its.
        deadline = time.monotonic() + 20
        while self.read_selection(selection) != text:
            if time.monotonic() > deadline:
                raise XServerUnavailable(f"xclip did not take the {selection} selection")
            time.sleep(0.02)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.dir)

    def __enter__(self) -> XServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# Longer than Qt's default double-click interval: two quick clicks stay two clicks.
DOUBLE_CLICK_GAP = 0.6


class TrayHand:
    """Clicks a tray icon and types like a hand: never two clicks within the
    double-click interval (Qt reports those as a double click, not as opening the
    menu). Users set `x` (the XServer) and `icon` (x, y, w, h)."""

    x: XServer
    icon: tuple[int, int, int, int]
    _last_click = 0.0

    def click_icon(self, button: int) -> None:
        gap = time.monotonic() - self._last_click
        if gap < DOUBLE_CLICK_GAP:
            time.sleep(DOUBLE_CLICK_GAP - gap)
        x, y, w, h = self.icon
        self.x.run(
            ["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", str(button)]
        )
        self._last_click = time.monotonic()

    def key(self, name: str) -> None:
        self.x.run(["xdotool", "key", name])
