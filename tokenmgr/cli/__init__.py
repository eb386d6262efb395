"""The `tokenmgr` command line: argparse over `tokenmgr.core`.

Contract (scripts depend on it): stdout carries exactly the documented output;
every message goes to stderr; exit statuses are those of `ExitStatus`. The
command line is described in `parser.py`; each command lives in a module of
`commands/`, imported only when it runs, so a command loads what it needs and no
more. Nothing here imports PySide6 (only `gui` does, when it runs), nor anything
network-related unless a command needs it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tokenmgr.cli.context import Environment, ExitStatus, err

if TYPE_CHECKING:
    import argparse

__all__ = ["Environment", "ExitStatus", "docker_credential", "main"]

DOCKER_HELPER = "docker-credential-tokenmgr"


def main(argv: Sequence[str] | None = None, environment: Environment | None = None) -> int:
    """Run one command line; the exit status."""
    env = environment or Environment()
    env.take_passphrase()  # before anything can start a child process
    given = list(sys.argv[1:] if argv is None else argv)
    args = _helper_args(given)
    if args is None:
        from tokenmgr.cli.parser import CliUsageError, parse

        try:
            args = parse(given)
        except CliUsageError as e:
            env.stderr.write(f"{e}\n")
            return ExitStatus.USAGE
    _setup_logging(args.debug, env)
    return _run(args, env)


def _helper_args(argv: list[str]) -> argparse.Namespace | None:
    """The command lines git, kubectl and docker run on every fetch, pull and call
    (`credential git ACTION`, `credential docker ACTION`, `credential kubectl NAME`,
    nothing more), as the parser would give them, without building it: argparse and the
    whole command line cost more than the answer. None for anything else."""
    if len(argv) != 3 or argv[0] != "credential" or argv[2].startswith("-"):
        return None
    from types import SimpleNamespace

    tool, word = argv[1], argv[2]
    if tool in ("git", "docker"):
        args = SimpleNamespace(tool=tool, action=word, install=False, uninstall=False)
    elif tool == "kubectl":
        args = SimpleNamespace(tool=tool, name=word, print_config=False, api_version=None)
    else:
        return None
    args.command, args.debug = "credential", False
    return args  # type: ignore[return-value]  # the same attributes, without argparse


def docker_credential(argv: Sequence[str] | None = None) -> int:
    """`docker-credential-tokenmgr ACTION`: what docker runs, the same as `tokenmgr
    credential docker ACTION`."""
    return main(["credential", "docker", *(sys.argv[1:] if argv is None else argv)])


def _setup_logging(debug: bool, env: Environment) -> None:
    """Always log through the redaction filter: at DEBUG when asked, else WARNING and up."""
    import logging

    from tokenmgr.core import redact

    redact.install(logging.DEBUG if debug or env.env.get("TOKENMGR_DEBUG") else logging.WARNING)


def _run(args: argparse.Namespace, env: Environment) -> int:
    """Run the parsed command; errors become one stderr line and their exit status."""
    import importlib

    from tokenmgr.cli.commands import COMMANDS
    from tokenmgr.core.errors import TokenMgrError

    module, _, function = COMMANDS[args.command].partition(":")
    try:
        command = getattr(importlib.import_module(f"tokenmgr.cli.commands.{module}"), function)
        return int(command(args, env))
    except TokenMgrError as e:
        err(env, str(e))
        return e.exit_status
    except KeyboardInterrupt:
        err(env, "interrupted")
        return ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.ERROR
    except Exception as e:  # the last line of defence: a message, never a traceback
        import logging

        logging.getLogger("tokenmgr").debug("internal error", exc_info=True)
        err(env, f"internal error ({type(e).__name__}); run with --debug for details")
        return ExitStatus.ERROR
