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
    from tokenmgr.cli.parser import CliUsageError, parse

    try:
        args = parse(sys.argv[1:] if argv is None else argv)
    except CliUsageError as e:
        env.stderr.write(f"{e}\n")
        return ExitStatus.USAGE
    _setup_logging(args.debug, env)
    return _run(args, env)


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

    from tokenmgr.cli.parser import COMMANDS
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
