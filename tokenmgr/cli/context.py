"""What a command runs against: the Environment, exit statuses, messages, secrets given.

`Environment` is everything a command talks to (the standard streams, the process
environment, the vault, the terminal), so a test can hand in its own (httpie's
pattern), and the source of the vault file's passphrase. Secrets typed by the user are
read from the controlling terminal with echo off (terminal.py), never from stdin (stdin
may be carrying the token itself).
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

from tokenmgr.cli.terminal import ask_terminal, has_terminal

if TYPE_CHECKING:
    from tokenmgr.core.index import Index
    from tokenmgr.core.vault import Vault


class ExitStatus(enum.IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    STORAGE = 4
    AUTH = 5
    MALFORMED = 6
    CANNOT_EXECUTE = 126
    COMMAND_NOT_FOUND = 127
    INTERRUPTED = 130


PASSPHRASE_VAR = "TOKENMGR_PASSPHRASE"

NO_TERMINAL = (
    "the vault file needs its passphrase: set TOKENMGR_PASSPHRASE (there is no terminal to ask on)"
)


def _std_stream(name: str) -> IO[Any]:
    """The standard stream, or /dev/null when the caller closed it (`<&-`, `2>&-`)."""
    stream = getattr(sys, name)
    if stream is None:
        return open(os.devnull, "rb" if name == "stdin" else "w")  # noqa: SIM115
    return stream.buffer if name == "stdin" else stream  # type: ignore[no-any-return]


# ------------------------------------------------------------ environment


class Environment:
    """What the CLI talks to; tests inject their own (httpie's pattern).

    `env` (the process environment: tokens in `exec` children, the passphrase) and
    `passphrase` are kept out of `repr`. `ask` asks on the controlling terminal with
    echo off and answers None when there is none; `terminal` says whether there is one
    (None: look when it matters). (A plain class: `list` and `get` load nothing of
    dataclasses' machinery for it.)
    """

    def __init__(
        self,
        stdin: IO[bytes] | None = None,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        env: Mapping[str, str] | None = None,
        stdin_isatty: bool | None = None,
        terminal: bool | None = None,
        vault_factory: Callable[[Environment], Vault] | None = None,
        ask: Callable[[str], str | None] = ask_terminal,
        passphrase: str | None = None,
    ) -> None:
        self.stdin: IO[bytes] = _std_stream("stdin") if stdin is None else stdin
        self.stdout: IO[str] = _std_stream("stdout") if stdout is None else stdout
        self.stderr: IO[str] = _std_stream("stderr") if stderr is None else stderr
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.stdin_isatty = stdin_isatty
        self.terminal = terminal
        self.vault_factory = vault_factory
        self.ask = ask
        # The vault file's passphrase, moved out of the environment by take_passphrase().
        self.passphrase = passphrase

    def __repr__(self) -> str:
        return (
            f"Environment(stdin={self.stdin!r}, stdout={self.stdout!r}, "
            f"stderr={self.stderr!r}, stdin_isatty={self.stdin_isatty!r}, "
            f"terminal={self.terminal!r})"
        )

    def take_passphrase(self) -> None:
        """Move TOKENMGR_PASSPHRASE out of the environment into memory, once, at start-up.

        Children (the system browser, `exec`'s command, any helper) inherit os.environ,
        so it leaves os.environ whatever mapping `env` is; the file store gets it from
        `passphrase_source()`.
        """
        value = self.env.get(PASSPHRASE_VAR)
        if self.env is not os.environ and PASSPHRASE_VAR in self.env:
            self.env = {k: v for k, v in self.env.items() if k != PASSPHRASE_VAR}
        os.environ.pop(PASSPHRASE_VAR, None)
        if value is not None and self.passphrase is None:
            from tokenmgr.core.redact import register_secret

            register_secret(value)
            self.passphrase = value

    def passphrase_source(self) -> Callable[[bool], str] | None:
        """The vault file's passphrase: the one taken from TOKENMGR_PASSPHRASE at start-up,
        else asked on the controlling terminal (twice for a new vault), else None (the
        store then says how to give one)."""
        value = self.passphrase
        if value is not None:
            return lambda _new: value
        if not self.has_terminal():
            return None
        return self.ask_passphrase

    def ask_passphrase(self, new: bool) -> str:
        from tokenmgr.core.errors import StorageUnavailable

        first = self.ask("tokenmgr vault passphrase: ")
        if first is None:
            raise StorageUnavailable(NO_TERMINAL)
        if new:
            again = self.ask("repeat the passphrase: ")
            if again != first:
                raise StorageUnavailable(
                    "the passphrases differ: the vault file was not created; try again"
                )
        return first

    def index(self) -> Index:
        """The metadata index, for what reads metadata only (`list`): no secret store is
        opened, and the data model is not built."""
        if self.vault_factory is not None:
            return self.vault().index
        from tokenmgr.core import paths
        from tokenmgr.core.index import Index

        return Index(paths.home(self.env))

    def vault(self) -> Vault:
        if self.vault_factory is not None:
            vault = self.vault_factory(self)
        else:
            from tokenmgr.core.vault import Vault

            vault = Vault(env=self.env, passphrase=self.passphrase_source())
        vault.warn = lambda message: err(self, f"warning: {message}")
        return vault

    def is_tty(self) -> bool:
        """Is stdin a terminal (a person typing) rather than a pipe or a file?"""
        if self.stdin_isatty is not None:
            return self.stdin_isatty
        try:
            return os.isatty(self.stdin.fileno())
        except (AttributeError, ValueError, OSError):
            return False

    def has_terminal(self) -> bool:
        if self.terminal is None:
            self.terminal = has_terminal()
        return self.terminal


# ---------------------------------------------------------------- output


def err(env: Environment, message: str) -> None:
    """One `tokenmgr: …` line on stderr (every message and diagnostic goes there)."""
    with contextlib.suppress(OSError, ValueError):  # a closed stderr must not change the status
        env.stderr.write(f"tokenmgr: {message}\n")
        env.stderr.flush()


# ---------------------------------------------------------------- secrets


def read_input(env: Environment, prompt: str, limit: int) -> str | bytes:
    """What the user gives: typed at a no-echo prompt when stdin is a terminal, else
    all of stdin (at most `limit` + 1 bytes, undecoded, so the caller can tell an
    over-long input)."""
    if env.is_tty():
        value = env.ask(prompt)
        if value is None:
            from tokenmgr.core.errors import UsageError

            raise UsageError("there is no terminal to ask on: pipe the value on stdin")
        return value
    return env.stdin.read(limit + 1)


def read_secret(env: Environment, prompt: str) -> str:
    """A secret from stdin (not a terminal) or a no-echo prompt, validated: all of stdin
    less one trailing newline (`\\n` or `\\r\\n`), at most MAX_TOKEN_BYTES."""
    from tokenmgr.core.errors import InvalidSecret
    from tokenmgr.core.rules import MAX_TOKEN_BYTES, TOO_LONG, validate_token

    # Room for the trailing CR LF, and one byte more to tell an over-long input.
    raw = read_input(env, prompt, MAX_TOKEN_BYTES + 2)
    if isinstance(raw, bytes):
        if len(raw) > MAX_TOKEN_BYTES + 2:
            raise InvalidSecret(f"{TOO_LONG}: nothing was stored")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidSecret(
                "the token on stdin is not UTF-8 text: nothing was stored"
            ) from None
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
    else:
        if len(raw.encode("utf-8", "surrogatepass")) > MAX_TOKEN_BYTES:
            raise InvalidSecret(f"{TOO_LONG}: nothing was stored")
        value = raw
    return validate_token(value)
