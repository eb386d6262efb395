"""A real clipboard manager for tests: CopyQ on a test X display.

`CopyQ(xserver).start(copy_clipboard=True)` runs the CopyQ server with a
throw-away HOME (its own settings and history) under a session name of its
own, and waits until its client answers. CopyQ records every clipboard change
in its history unless the copy carries `application/x-copyq-hidden: 1` (the
only concealment hint CopyQ 6.4, Debian 12's, honours). With `copy_clipboard`
on (a CopyQ option, off by default) it copies each new clipboard text into the
mouse selection and owns it there, so the text outlives the program that
copied it: the way clipboard managers keep a token alive. `take_clipboard()`
makes CopyQ take the clipboard over with what it holds now, as managers that
keep the clipboard alive (Klipper, GPaste) do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.xvfb import XServer


class CopyQUnavailable(RuntimeError):
    pass


class CopyQ:
    def __init__(self, x: XServer) -> None:
        self.x = x
        self.dir = Path(tempfile.mkdtemp(prefix="tokenmgr-copyq-"))
        # At most 16 letters, digits, "-" or "_" (CopyQ refuses longer names).
        self.session = f"tm{os.getpid()}-{id(self) % 100000}"[:16]
        self._proc: subprocess.Popen[bytes] | None = None
        self.log = self.dir / "copyq.log"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in self.x.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        home = self.dir / "home"
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_DATA_HOME=str(home / ".local/share"), XDG_RUNTIME_DIR=str(self.dir),
                   QT_QPA_PLATFORM="xcb")
        return env

    def start(self, *, copy_clipboard: bool = False) -> CopyQ:
        if shutil.which("copyq") is None:
            raise CopyQUnavailable("missing copyq: run `make test` (it installs it) "
                                   "or apt-get install copyq")
        (self.dir / "home").mkdir(mode=0o700)
        self._proc = subprocess.Popen(
            ["copyq", "-s", self.session], env=self.env,
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        # Up once its clipboard monitor runs (a process the server starts after it answers).
        while self.run("eval", "monitoring()", check=False).stdout.strip() != "true":
            if time.monotonic() > deadline or self._proc.poll() is not None:
                said = self.log.read_text(errors="replace")[-2000:]
                self.stop()
                raise CopyQUnavailable(f"copyq did not start: {said}")
            time.sleep(0.1)
        if copy_clipboard:
            self.run("config", "copy_clipboard", "true")
        # Monitoring for sure (a changed option restarts the monitor): a probe copy shows
        # in the history, and in the mouse selection too with copy_clipboard.
        for attempt in range(100):
            probe = f"copyq-ready-{attempt}"
            self.x.write_selection(probe)
            until = time.monotonic() + 1
            while time.monotonic() < until:
                if probe in self.history() and (
                    not copy_clipboard or self.x.read_selection("primary") == probe
                ):
                    return self
                time.sleep(0.1)
            if time.monotonic() > deadline:
                break
        said = self.log.read_text(errors="replace")[-2000:]
        self.stop()
        raise CopyQUnavailable(f"copyq does not monitor the clipboard: {said}")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(["copyq", "-s", self.session, *args], env=self.env,
                           capture_output=True, text=True, timeout=20, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"copyq {args} failed ({r.returncode}): {r.stderr}")
        return r

    def history(self) -> list[str]:
        """Every text CopyQ keeps in its history, newest first."""
        out = self.run("eval", "var s = []; for (var i = 0; i < size(); ++i) "
                       "s.push(str(read(i))); JSON.stringify(s)").stdout
        import json

        return list(json.loads(out))

    def take_clipboard(self) -> None:
        """CopyQ owns the clipboard from now on, with the text it holds (still marked
        hidden, as a manager that keeps every format would)."""
        self.run("eval", "copy(mimeText, clipboard(), mimeHidden, '1')")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
