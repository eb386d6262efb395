"""The `tokenmgr` command line: argparse over `tokenmgr.core`.

Contract (scripts depend on it): stdout carries exactly the documented
output; every message goes to stderr; exit statuses are those of
`ExitStatus`. This module never imports PySide6 (only `gui` imports the GUI,
lazily), and imports nothing network-related unless a command needs it.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, NoReturn

from tokenmgr import __version__

if TYPE_CHECKING:
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


MAX_STDIN_SECRET = 1024 * 1024


def _std_stream(name: str) -> IO[Any]:
    """The standard stream, or /dev/null when the caller closed it (`<&-`, `2>&-`)."""
    stream = getattr(sys, name)
    if stream is None:
        return open(os.devnull, "rb" if name == "stdin" else "w")  # noqa: SIM115
    return stream.buffer if name == "stdin" else stream  # type: ignore[no-any-return]


PASSPHRASE_VAR = "TOKENMGR_PASSPHRASE"


@dataclass
class Environment:
    """What the CLI talks to; tests inject their own (httpie's pattern).

    `env` (the process environment: tokens in `exec` children, the passphrase) and
    `passphrase` are kept out of `repr`.
    """

    stdin: IO[bytes] = field(default_factory=lambda: _std_stream("stdin"))  # type: ignore[assignment]
    stdout: IO[str] = field(default_factory=lambda: _std_stream("stdout"))  # type: ignore[assignment]
    stderr: IO[str] = field(default_factory=lambda: _std_stream("stderr"))  # type: ignore[assignment]
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)
    stdin_isatty: bool | None = None
    vault_factory: Callable[[Environment], Vault] | None = None
    getpass: Callable[[str], str] | None = None
    # The vault file's passphrase, moved out of the environment by take_passphrase().
    passphrase: str | None = field(default=None, repr=False)

    def take_passphrase(self) -> None:
        """Move TOKENMGR_PASSPHRASE out of the environment into memory, once, at start-up.

        Children (the system browser, `exec`'s command, any helper) inherit os.environ,
        so it leaves os.environ whatever mapping `env` is; the file store gets it from
        `passphrase` (see vault()).
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
        """For the file store: the passphrase taken at start-up, else None (prompt)."""
        value = self.passphrase
        if value is None:
            return None
        return lambda _new: value

    def vault(self) -> Vault:
        if self.vault_factory is not None:
            return self.vault_factory(self)
        from tokenmgr.core.vault import Vault

        return Vault(env=self.env, passphrase=self.passphrase_source())

    def is_tty(self) -> bool:
        if self.stdin_isatty is not None:
            return self.stdin_isatty
        try:
            return os.isatty(self.stdin.fileno())
        except (AttributeError, ValueError, OSError):
            return False


class CliUsageError(Exception):
    """Raised by our ArgumentParser instead of exiting, so main() owns the exit."""


# `--opt=VALUE` and argparse's "explicit argument 'VALUE'": VALUE may be a pasted token.
_EXPLICIT_VALUE = re.compile(r"(-{1,2}[A-Za-z0-9][\w-]*)=\S*")


def scrub_usage(text: str) -> str:
    """Usage errors never echo option values: a mistyped `--token=ghp_...` stays private."""
    text = _EXPLICIT_VALUE.sub(r"\1=(not shown)", text)
    text = re.sub(r"invalid (\w+ )?(choice|value): '.*?'", r"invalid \1\2 (not shown)", text)
    return re.sub(r"explicit argument '.*?'", "explicit argument (not shown)", text)


def _option_name(arg: str) -> str:
    """`--x=VALUE` → `--x`, `-tVALUE` → `-t`: the name without what may be a secret."""
    return arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--s=VALUE` must not guess at an option
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = scrub_usage(message)
        raise CliUsageError(f"{self.prog}: {message}\n(see `{self.prog} --help`)")


SHELLS = ("bash", "zsh", "fish", "powershell", "cmd")
FORMATS = ("raw", "header", "env", "dotenv", "json")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="tokenmgr",
        description="Keep API tokens in the OS keyring and hand them out ready to use.",
    )
    p.add_argument("--version", action="version", version=f"tokenmgr {__version__}")
    p.add_argument("--debug", action="store_true", help="log at DEBUG to stderr (secrets redacted)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("gui", help="start the desktop app (the default)")
    s.add_argument("--minimized", action="store_true", help="start in the tray")
    s.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)

    s = sub.add_parser(
        "add",
        help="store a token (read from stdin or a no-echo prompt)",
        description="Store a token. The token is read from stdin when it is not a terminal "
        "(all of it, less one trailing newline), else from a prompt that does not echo. "
        "Tokens are never taken as arguments.",
    )
    s.add_argument("name")
    s.add_argument("--service", default="", help='a free label, e.g. "GitHub"')
    s.add_argument("--env-var", help="variable name for env/export/exec (default NAME_TOKEN)")
    s.add_argument("--scheme", default="Bearer", help="Authorization scheme (default Bearer)")
    s.add_argument("--expires-at", metavar="ISO8601", help="expiry of an opaque token")
    s.add_argument("--note", default="")
    s.add_argument("--force", action="store_true", help="replace an existing entry's token")

    s = sub.add_parser("list", help="list entries (no secrets)")
    s.add_argument("--json", action="store_true")

    s = sub.add_parser("get", help="print a token, as raw text, a header, an export line, ...")
    s.add_argument("name")
    s.add_argument("--format", choices=FORMATS, default="raw")
    s.add_argument("--shell", choices=SHELLS, help="for --format env (default: from $SHELL)")
    s.add_argument("--no-refresh", action="store_true", help="never refresh an OAuth2 token")

    s = sub.add_parser("export", help="print export lines for entries (all when none named)")
    s.add_argument("names", nargs="*", metavar="NAME")
    s.add_argument("--shell", choices=SHELLS)

    s = sub.add_parser(
        "exec",
        help="run a command with tokens in its environment",
        usage="tokenmgr exec NAME [NAME ...] -- COMMAND [ARG ...]",
    )
    s.add_argument("names", nargs="+", metavar="NAME")

    s = sub.add_parser("rm", help="delete an entry and its secrets")
    s.add_argument("name")
    s.add_argument(
        "--revoke", action="store_true", help="revoke OAuth2 tokens at the provider first"
    )

    s = sub.add_parser("decode", help="explain a token: header, claims, expiry, signature")
    s.add_argument("token", nargs="?", metavar="TOKEN | -")
    s.add_argument("--json", action="store_true")
    s.add_argument("--verify", action="store_true")
    s.add_argument("--issuer", metavar="URL")
    s.add_argument("--jwks", metavar="URL")
    s.add_argument("--audience", metavar="AUD")

    s = sub.add_parser("login", help="sign in to an OAuth2 / OpenID Connect provider")
    s.add_argument("name")
    src = s.add_mutually_exclusive_group()
    src.add_argument("--issuer", metavar="URL")
    src.add_argument("--preset", metavar="NAME")
    s.add_argument("--authorize-url", metavar="U")
    s.add_argument("--token-url", metavar="U")
    s.add_argument("--client-id", metavar="ID")
    s.add_argument("--client-secret-stdin", action="store_true")
    s.add_argument("--scope", metavar='"a b"')
    s.add_argument("--audience", metavar="A")
    s.add_argument("--resource", metavar="R")
    s.add_argument("--param", action="append", default=[], metavar="K=V")
    s.add_argument("--flow", choices=("code", "device", "client-credentials"), default="code")
    s.add_argument("--browser", choices=("embedded", "system", "none"), default="system")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS")

    s = sub.add_parser("refresh", help="refresh an OAuth2 entry's access token now")
    s.add_argument("name")

    s = sub.add_parser("doctor", help="check the keyring, the index and what is missing")
    s.add_argument("--json", action="store_true")
    return p


# ------------------------------------------------------------------ helpers


def _err(env: Environment, message: str) -> None:
    with contextlib.suppress(OSError, ValueError):  # a closed stderr must not change the status
        env.stderr.write(f"tokenmgr: {message}\n")
        env.stderr.flush()


def read_secret(env: Environment, prompt: str) -> str:
    """The secret from stdin (not a terminal) or a no-echo prompt; validated."""
    from tokenmgr.core.entries import validate_secret
    from tokenmgr.core.errors import InvalidSecret

    if env.is_tty():
        ask = env.getpass
        if ask is None:
            import getpass

            ask = getpass.getpass
        value = ask(prompt)
    else:
        raw = env.stdin.read(MAX_STDIN_SECRET + 1)
        if len(raw) > MAX_STDIN_SECRET:
            raise InvalidSecret("the token on stdin is over 1 MiB: nothing was stored")
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
    return validate_secret(value)


def _shell(args: argparse.Namespace, env: Environment) -> str:
    if args.shell:
        return str(args.shell)
    from tokenmgr.core.formats import default_shell

    return default_shell(env.env, sys.platform)


# ----------------------------------------------------------------- commands


def cmd_add(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.entries import parse_time, validate_env_var, validate_name

    validate_name(args.name)
    if args.env_var:
        validate_env_var(args.env_var)
    expires = parse_time(args.expires_at) if args.expires_at else None
    vault = env.vault()
    token = read_secret(env, f"Token for {args.name}: ")
    entry = vault.add(
        args.name,
        token,
        service=args.service,
        env_var=args.env_var,
        scheme=args.scheme,
        expires_at=expires,
        note=args.note,
        force=args.force,
    )
    from tokenmgr.core.entries import format_time

    exp = format_time(entry.expires_at) or "unknown"
    _err(env, f"stored {entry.name!r} (env var {entry.env_var}, expires {exp})")
    return ExitStatus.OK


def cmd_list(args: argparse.Namespace, env: Environment) -> int:
    import json

    from tokenmgr.core.entries import now_utc
    from tokenmgr.core.usecases import list_rows

    rows = list_rows(env.vault(), now_utc())
    if args.json:
        env.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return ExitStatus.OK
    if not rows:
        _err(env, "no entries yet: add one with `tokenmgr add NAME` (token on stdin or prompt)")
        return ExitStatus.OK
    headers = ("NAME", "KIND", "SERVICE", "ENV VAR", "EXPIRES", "STATUS")
    table = [headers] + [
        (
            r["name"],
            r["kind"],
            r["service"] or "-",
            r["env_var"],
            r["expires_at"] or "-",
            r["status"],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for row in table:
        env.stdout.write(
            "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        )
        env.stdout.write("\n")
    return ExitStatus.OK


def cmd_get(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.usecases import hand_out, render_for

    entry, token = hand_out(env.vault(), args.name, refresh=not args.no_refresh)
    env.stdout.write(render_for(entry, token, args.format, _shell(args, env)))
    return ExitStatus.OK


def _tokens_for(env: Environment, names: Sequence[str]) -> list[tuple[Any, str]]:
    from tokenmgr.core.usecases import hand_out_many

    return hand_out_many(env.vault(), names)


def cmd_export(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.formats import render_env

    shell = _shell(args, env)
    # Render everything before printing anything: a failure prints no partial output.
    lines = [
        render_env(entry.env_var, token, shell) for entry, token in _tokens_for(env, args.names)
    ]
    if not lines:
        _err(env, "no entries to export")
    env.stdout.write("".join(lines))
    return ExitStatus.OK


def cmd_exec(names: list[str], command: list[str], env: Environment) -> int:
    import shutil

    from tokenmgr.core.entries import validate_name

    for n in names:
        validate_name(n)
    from tokenmgr.core.childenv import for_children

    # The child gets the environment the user started us with and the tokens it was
    # given, never the key to all the others.
    child_env = {k: v for k, v in for_children(env.env).items() if k != "TOKENMGR_PASSPHRASE"}
    for entry, token in _tokens_for(env, names):
        child_env[entry.env_var] = token
    program = command[0]
    path = shutil.which(program, path=child_env.get("PATH"))
    if path is None:
        if os.sep in program and os.path.exists(program):
            _err(env, f"{program}: permission denied (not executable)")
            return ExitStatus.CANNOT_EXECUTE
        _err(env, f"{program}: command not found")
        return ExitStatus.COMMAND_NOT_FOUND
    env.stdout.flush()
    env.stderr.flush()
    if os.name == "posix":
        try:
            os.execve(path, command, child_env)
        except OSError as e:
            _err(env, f"{program}: cannot execute: {e.strerror}")
            return ExitStatus.CANNOT_EXECUTE
    import subprocess  # pragma: no cover - Windows has no exec

    try:
        return subprocess.call([path, *command[1:]], env=child_env)
    except OSError as e:
        _err(env, f"{program}: cannot execute: {e.strerror}")
        return ExitStatus.CANNOT_EXECUTE


def cmd_rm(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.usecases import RevokeFailed, remove

    try:
        notes = remove(env.vault(), args.name, revoke=args.revoke)
    except RevokeFailed as e:
        _err(
            env,
            f"revoking {e.name!r} at the provider failed: {str(e).rstrip('.')}. "
            "The entry was kept; "
            f"try again with `tokenmgr rm {e.name} --revoke`, or remove it here "
            f"without revoking with `tokenmgr rm {e.name}`",
        )
        return ExitStatus.AUTH
    for note in notes:
        _err(env, note)
    _err(env, f"removed {args.name!r}")
    return ExitStatus.OK


def cmd_doctor(args: argparse.Namespace, env: Environment) -> int:
    import json

    from tokenmgr.core.doctor import diagnose, render_text

    report = diagnose(env.vault(), env.env)
    if args.json:
        env.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        env.stdout.write(render_text(report))
    return int(report["exit_status"])


def cmd_gui(args: argparse.Namespace, env: Environment) -> int:
    return _gui(env, minimized=args.minimized, smoke_test=args.smoke_test)


def _gui(env: Environment, *, minimized: bool, smoke_test: bool) -> int:
    import gc

    # The GUI process collects garbage on its GUI thread only (gui.app
    # _collect_on_the_gui_thread); automatic collection is off from here, before
    # PySide6 is imported: the collector's passes over the import's objects cost
    # ≈6 ms of start-up.
    gc.disable()
    try:
        # The one lazy import of the GUI (DESIGN §1): nothing else here loads PySide6.
        from tokenmgr.gui.app import run

        return run(
            minimized=minimized,
            smoke_test=smoke_test,
            env=env.env,
            passphrase=env.passphrase,  # TOKENMGR_PASSPHRASE, moved out of the environment
            leave_process=True,  # once the app has run, the process ends without teardown
        )
    finally:
        gc.enable()  # when run returns (no display, an error): as it was


# The plain ways to start the desktop app, taken without argparse (start-up time):
# everything else about `gui` (--debug, --help, typos) goes through the parser.
_GUI_FAST = {
    (): (False, False),
    ("gui",): (False, False),
    ("gui", "--minimized"): (True, False),
    ("gui", "--smoke-test"): (False, True),
}


def _auth_command(name: str) -> Callable[[argparse.Namespace, Environment], int]:
    """A command of cli_auth.py (login, refresh, decode), imported when it runs."""

    def run(args: argparse.Namespace, env: Environment) -> int:
        from tokenmgr import cli_auth

        command: Callable[[argparse.Namespace, Environment], int] = getattr(cli_auth, name)
        return command(args, env)

    return run


COMMANDS: dict[str, Callable[[argparse.Namespace, Environment], int]] = {
    "gui": cmd_gui,
    "add": cmd_add,
    "list": cmd_list,
    "get": cmd_get,
    "export": cmd_export,
    "rm": cmd_rm,
    "decode": _auth_command("cmd_decode"),
    "login": _auth_command("cmd_login"),
    "refresh": _auth_command("cmd_refresh"),
    "doctor": cmd_doctor,
}


def _split_exec(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """`exec NAME ... -- COMMAND ...` → (names, command); argparse mangles `--`."""
    try:
        i = argv.index("exec")
    except ValueError:
        return None
    if any(not a.startswith("-") for a in argv[:i]):
        return None  # "exec" is an argument of another command
    rest = argv[i + 1 :]
    if "--" not in rest:
        raise CliUsageError(
            "tokenmgr exec: put -- before the command: "
            "tokenmgr exec NAME [NAME ...] -- COMMAND [ARG ...]"
        )
    j = rest.index("--")
    names, command = rest[:j], rest[j + 1 :]
    if not names or not command:
        raise CliUsageError(
            "tokenmgr exec: usage: tokenmgr exec NAME [NAME ...] -- COMMAND [ARG ...]"
        )
    bad = [_option_name(n) for n in names if n.startswith("-")]
    if bad:
        raise CliUsageError(f"tokenmgr exec: unknown option {bad[0]}")
    return names, command


def _setup_logging(debug: bool, env: Environment) -> None:
    """Always log through the redaction filter: at DEBUG when asked, else WARNING and up."""
    import logging

    from tokenmgr.core import redact

    redact.install(logging.DEBUG if debug or env.env.get("TOKENMGR_DEBUG") else logging.WARNING)


def main(argv: Sequence[str] | None = None, environment: Environment | None = None) -> int:
    env = environment or Environment()
    env.take_passphrase()  # before anything can start a child process
    args_list = list(sys.argv[1:] if argv is None else argv)
    fast = _GUI_FAST.get(tuple(args_list))
    if fast is not None:
        _setup_logging(False, env)
        minimized, smoke_test = fast
        return _run(lambda: _gui(env, minimized=minimized, smoke_test=smoke_test), env)
    try:
        split = _split_exec(args_list)
        if split is not None:
            pre = args_list[: args_list.index("exec")]
            if pre:
                ns, _ = build_parser().parse_known_args(pre)
                _setup_logging(ns.debug, env)
            else:
                _setup_logging(False, env)
            return _run(lambda: cmd_exec(split[0], split[1], env), env)
        parser = build_parser()
        args, extra = parser.parse_known_args(args_list)
        if extra:
            shown = [_option_name(a) for a in extra if a.startswith("-")]
            if shown:
                raise CliUsageError(f"tokenmgr: unknown option {shown[0]} (see `tokenmgr --help`)")
            hint = ""
            if args.command == "add":
                hint = (
                    ": tokens are never taken as arguments (they would end up in shell "
                    "history and `ps`); pipe the token on stdin or type it at the prompt"
                )
            raise CliUsageError(
                f"tokenmgr {args.command or ''}: unexpected argument (not shown){hint}"
            )
    except CliUsageError as e:
        env.stderr.write(f"{e}\n")
        return ExitStatus.USAGE
    _setup_logging(args.debug, env)
    command = args.command or "gui"
    if args.command is None:
        args = parser.parse_args(["gui"])
    return _run(lambda: COMMANDS[command](args, env), env)


def _run(fn: Callable[[], int], env: Environment) -> int:
    from tokenmgr.core.errors import TokenMgrError

    try:
        return fn()
    except TokenMgrError as e:
        _err(env, str(e))
        return e.exit_status
    except KeyboardInterrupt:
        _err(env, "interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    except Exception as e:  # the last line of defence: a message, never a traceback
        import logging

        logging.getLogger("tokenmgr").debug("internal error", exc_info=True)
        _err(env, f"internal error ({type(e).__name__}); run with --debug for details")
        return ExitStatus.ERROR
