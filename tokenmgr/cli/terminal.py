"""Asking on the controlling terminal with echo off (the no-echo prompt).

Never stdin: a command's stdin may be carrying the token itself, and the vault's
passphrase is asked even while a token is piped in.
"""

from __future__ import annotations

import os
import sys

TTY = "/dev/tty"
MAX_ANSWER = 1024 * 1024  # an answer is cut just past this; the caller refuses it


def has_terminal() -> bool:
    """Does this process have a controlling terminal to ask on?"""
    if os.name != "posix":
        return sys.stdin is not None and sys.stdin.isatty()
    try:
        os.close(os.open(TTY, os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def ask_terminal(prompt: str) -> str | None:
    """Ask on the controlling terminal with echo off; None when there is no terminal.

    The terminal's line editing is switched off while asking: in canonical mode the
    kernel keeps at most one line buffer (4095 bytes on Linux) and drops the rest of a
    longer paste, and a JWT is often longer. Backspace, Ctrl+U and Ctrl+C keep working;
    Enter ends the answer.
    """
    if os.name != "posix":
        import getpass

        return getpass.getpass(prompt)  # Windows: the console, never stdin
    import termios

    try:
        fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    try:
        saved = termios.tcgetattr(fd)
        quiet = termios.tcgetattr(fd)
        quiet[3] &= ~(termios.ECHO | termios.ICANON)
        quiet[6][termios.VMIN] = 1
        quiet[6][termios.VTIME] = 0
        # Typed-ahead input is dropped (as getpass does); the prompt is written only
        # after the switch, so whoever waits for it and types is never dropped.
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            os.write(fd, prompt.encode("utf-8", "replace"))
            answer = _read_answer(fd, erase=saved[6][termios.VERASE], kill=saved[6][termios.VKILL])
        finally:
            # Flushed, as getpass does: what was pasted after the Enter (a second line
            # of a paste) must not stay queued for the shell to run once we exit.
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
            os.write(fd, b"\n")
    finally:
        os.close(fd)
    if len(answer) > MAX_ANSWER:
        return answer.decode("utf-8", "replace")  # over the cap: refused by its length
    try:
        return answer.decode("utf-8")
    except UnicodeDecodeError:
        from tokenmgr.core.errors import InvalidSecret

        raise InvalidSecret(
            "what was typed is not UTF-8 text (check the terminal's encoding): nothing was stored"
        ) from None


def _read_answer(fd: int, *, erase: bytes | int, kill: bytes | int) -> bytes:
    """One line from a terminal in non-canonical mode, with erase and kill applied."""
    erase_keys = {_byte(erase), b"\x7f", b"\b"}
    kill_key = _byte(kill)
    buf = bytearray()
    while True:
        key = os.read(fd, 1)  # one byte at a time: nothing after Enter is consumed
        if key in (b"", b"\n", b"\r", b"\x04"):  # end of file, Enter, Ctrl+D
            return bytes(buf)
        if key in erase_keys:
            # Drop one character: its UTF-8 continuation bytes, then its first byte.
            while buf and buf[-1] & 0xC0 == 0x80:
                buf.pop()
            if buf:
                buf.pop()
        elif key == kill_key:
            buf.clear()
        elif len(buf) <= MAX_ANSWER:  # past the cap: read on to Enter, keep nothing more
            buf += key


def _byte(value: bytes | int) -> bytes:
    return bytes([value]) if isinstance(value, int) else value
