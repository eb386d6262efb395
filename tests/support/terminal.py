"""`tokenmgr` on a real pseudo-terminal: the pty is the process's controlling terminal
(what `/dev/tty` opens), as in a terminal window; stdin, stdout and stderr are pipes
unless stdin is asked to be the terminal too.

    with OnTerminal(["add", "ci"], env, stdin=b"tok") as t:
        t.expect("tokenmgr vault passphrase: ")
        t.type("secret\\r")
        result = t.finish()
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from types import TracebackType

# Run in the child's new session (start_new_session): opening the pty makes it the
# session's controlling terminal, then the real command replaces the launcher.
LAUNCHER = (
    "import fcntl, os, sys, termios\n"
    "fd = os.open(sys.argv[1], os.O_RDWR)\n"
    "fcntl.ioctl(fd, termios.TIOCSCTTY, 0)\n"
    "os.close(fd)\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n"
)


class OnTerminal:
    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        stdin: bytes | None = None,
        stdin_is_terminal: bool = False,
    ) -> None:
        self.master, slave = pty.openpty()
        name = os.ttyname(slave)
        # The shell's hold on the terminal: its input queue outlives the command.
        self.shell = os.open(name, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.screen = b""  # everything the process wrote to the terminal
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, name, "-m", "tokenmgr", *args],
            stdin=slave if stdin_is_terminal else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        if not stdin_is_terminal:
            assert self.proc.stdin is not None
            self.proc.stdin.write(stdin or b"")
            self.proc.stdin.close()
            self.proc.stdin = None  # communicate() must not flush it again

    def __enter__(self) -> OnTerminal:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        os.close(self.shell)
        os.close(self.master)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the process ended and closed the terminal
            return False
        self.screen += data
        return bool(data)

    def expect(self, text: str, timeout: float = 30) -> None:
        """Wait until the process has written `text` to the terminal (since the start)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(left) and self.proc.poll() is not None):
                raise AssertionError(f"never shown on the terminal: {text!r} ({self.screen!r})")

    def expect_again(self, text: str, count: int, timeout: float = 30) -> None:
        """Wait until `text` has been written `count` times."""
        deadline = time.monotonic() + timeout
        while self.screen.count(text.encode()) < count:
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(left) and self.proc.poll() is not None):
                raise AssertionError(f"{text!r} shown fewer than {count} times: {self.screen!r}")

    def type(self, text: str) -> None:
        """Keys typed at the terminal (Enter is "\\r", as a keyboard sends it)."""
        data = text.encode()
        while data:
            # A long paste fills the terminal's input queue: keep draining the output.
            _, writable, _ = select.select([], [self.master], [], 30)
            assert writable, "the terminal stopped taking input"
            written = os.write(self.master, data[:1024])
            data = data[written:]
            while self._read(0):
                pass

    def left_for_the_shell(self) -> bytes:
        """What is still queued on the terminal for the next program (the shell) to read."""
        try:
            return os.read(self.shell, 65536)
        except BlockingIOError:
            return b""

    def finish(self, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Wait for the exit; the result with stdout and stderr (the terminal's output in
        `screen`)."""
        out, err = self.proc.communicate(timeout=timeout)
        while self._read(0):
            pass
        return subprocess.CompletedProcess(
            self.proc.args, self.proc.returncode, out.decode(), err.decode()
        )
