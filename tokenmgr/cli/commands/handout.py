"""The commands that hand tokens out: `get`, `export`, `exec`.

An OAuth entry's access token is refreshed first when it needs it (the OAuth code is
imported only then); a static `get` loads no OAuth, JWT or network code.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from tokenmgr.cli.context import PASSPHRASE_VAR, Environment, ExitStatus, err

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry


def _shell(args: argparse.Namespace, env: Environment) -> str:
    if args.shell:
        return str(args.shell)
    from tokenmgr.core.formats import default_shell

    return default_shell(env.env, sys.platform)


def _warn_expired(env: Environment, entries: list[Entry]) -> None:
    """An expired token is handed out all the same, with a warning on stderr."""
    from tokenmgr.core.usecases.handout import expired_note

    for entry in entries:
        note = expired_note(entry)
        if note is not None:
            err(env, f"warning: {note}")


def get(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.usecases.handout import hand_out, put_on_record, render_for

    vault = env.vault()
    entry, token = hand_out(vault, args.name, refresh=not args.no_refresh, how=None)
    text = render_for(entry, token, args.format, _shell(args, env))
    put_on_record(vault, entry.name, "get")
    env.stdout.write(text)
    _warn_expired(env, [entry])
    return ExitStatus.OK


def export(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.formats import render_env
    from tokenmgr.core.usecases.handout import hand_out_many, put_on_record

    shell = _shell(args, env)
    # Render everything before printing anything: a failure prints no partial output.
    vault = env.vault()
    handed = hand_out_many(vault, args.names, how=None)
    lines = [render_env(entry.env_var, token, shell) for entry, token in handed]
    for entry, _token in handed:
        put_on_record(vault, entry.name, "export")
    if not lines:
        err(env, "no entries to export")
    env.stdout.write("".join(lines))
    _warn_expired(env, [entry for entry, _token in handed])
    return ExitStatus.OK


def exec_command(args: argparse.Namespace, env: Environment) -> int:
    """`exec NAME ... -- COMMAND ...`: the command replaces this process, with the tokens
    in its environment (and never the vault's passphrase)."""
    import shutil

    from tokenmgr.core.rules import validate_name
    from tokenmgr.core.usecases.handout import hand_out_many, put_on_record

    names: list[str] = args.names
    command: list[str] = args.argv
    from tokenmgr.core.childenv import for_children

    for n in names:
        validate_name(n)
    # The child gets the environment the user started us with and the tokens it was
    # given, never the key to all the others.
    child_env = {k: v for k, v in for_children(env.env).items() if k != PASSPHRASE_VAR}
    vault = env.vault()
    handed = hand_out_many(vault, names, how=None)
    for entry, token in handed:
        child_env[entry.env_var] = token
    _warn_expired(env, [entry for entry, _token in handed])
    program = command[0]
    path = shutil.which(program, path=child_env.get("PATH"))
    if path is None:
        if os.sep in program and os.path.exists(program):
            err(env, f"{program}: permission denied (not executable)")
            return ExitStatus.CANNOT_EXECUTE
        err(env, f"{program}: command not found")
        return ExitStatus.COMMAND_NOT_FOUND
    for entry, _token in handed:
        put_on_record(vault, entry.name, "exec")
    env.stdout.flush()
    env.stderr.flush()
    if os.name == "posix":
        try:
            os.execve(path, command, child_env)
        except OSError as e:
            err(env, f"{program}: cannot execute: {e.strerror}")
            return ExitStatus.CANNOT_EXECUTE
    import subprocess  # pragma: no cover - Windows has no exec

    try:
        return subprocess.call([path, *command[1:]], env=child_env)
    except OSError as e:
        err(env, f"{program}: cannot execute: {e.strerror}")
        return ExitStatus.CANNOT_EXECUTE
