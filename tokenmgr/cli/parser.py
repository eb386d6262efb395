"""The whole command line, as data: every command, its options, and where it is run.

`parse(argv)` answers an `argparse.Namespace` whose `command` names an entry of
`COMMANDS` (the module and function that run it, imported only then). Usage errors
raise `CliUsageError` (never `SystemExit`) and never echo a value: a mistyped option
may carry a pasted token.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tokenmgr import __version__
from tokenmgr.cli.commands import COMMANDS as COMMANDS  # where each command runs

SHELLS = ("bash", "zsh", "fish", "powershell", "cmd")
FORMATS = ("raw", "header", "env", "dotenv", "json")


EXEC_USAGE = "tokenmgr exec NAME [NAME ...] -- COMMAND [ARG ...]"


class CliUsageError(Exception):
    """Raised by our ArgumentParser instead of exiting, so main() owns the exit."""


# `--opt=VALUE` and argparse's "explicit argument 'VALUE'": VALUE may be a pasted token.
_EXPLICIT_VALUE = re.compile(r"(-{1,2}[A-Za-z0-9][\w-]*)=\S*")


def scrub_usage(text: str) -> str:
    """Usage errors never echo option values: a mistyped `--token=ghp_...` stays private."""
    text = _EXPLICIT_VALUE.sub(r"\1=(not shown)", text)
    text = re.sub(r"invalid (\w+ )?(choice|value): '.*?'", r"invalid \1\2 (not shown)", text)
    return re.sub(r"explicit argument '.*?'", "explicit argument (not shown)", text)


def option_name(arg: str) -> str:
    """`--x=VALUE` → `--x`, `-tVALUE` → `-t`: the name without what may be a secret."""
    return arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--s=VALUE` must not guess at an option
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = scrub_usage(message)
        raise CliUsageError(f"{self.prog}: {message}\n(see `{self.prog} --help`)")


def _global_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """The options every command takes, before or after its name. Under a command their
    default is SUPPRESS, so one given before the command is not reset by the command."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="log at DEBUG to stderr (secrets redacted)",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"tokenmgr {__version__}",
        # Listed once, in `tokenmgr --help`; taken after a command all the same.
        help=argparse.SUPPRESS if default is argparse.SUPPRESS else None,
    )


AddArguments = Callable[[argparse.ArgumentParser, _Parser], None]
# Every command: its parser's settings (help line, usage, description), and what adds
# its arguments (given the parser and the global options' parent). In the order of
# `tokenmgr --help`.
_COMMANDS: dict[str, tuple[dict[str, Any], AddArguments]] = {}


def _command(name: str, **settings: Any) -> Callable[[AddArguments], AddArguments]:
    def register(add_arguments: AddArguments) -> AddArguments:
        _COMMANDS[name] = (settings, add_arguments)
        return add_arguments

    return register


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser. Given the command line, only the command on it is built (`--help`
    and a mistyped command get them all): a script that runs `get` a thousand times
    need not build `login` a thousand times."""
    p = _Parser(
        prog="tokenmgr",
        description="Keep API tokens in the OS keyring and hand them out ready to use.",
    )
    _global_options(p, default=False)
    common = _Parser(add_help=False)
    _global_options(common, default=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # No command is the desktop app (set after the subparsers, whose default it replaces).
    p.set_defaults(command="gui", minimized=False, smoke_test=False)
    for name in _commands_for(argv):
        settings, add_arguments = _COMMANDS[name]
        add_arguments(sub.add_parser(name, parents=[common], **settings), common)
    return p


def _commands_for(argv: Sequence[str] | None) -> list[str]:
    """The commands a command line needs built: the one it names; none when it names
    none (the desktop app, `--version`); all of them for `--help`, a mistyped command,
    or no command line at all."""
    if argv is None:
        return list(_COMMANDS)
    named = next((a for a in argv if not a.startswith("-")), None)
    if named in _COMMANDS:
        return [named]
    if named is None and not {"-h", "--help"} & set(argv):
        return []
    return list(_COMMANDS)


@_command("gui", help="start the desktop app (the default)")
def _gui(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("--minimized", action="store_true", help="start in the tray")
    s.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)


@_command(
    "add",
    help="store a token (read from stdin or a no-echo prompt)",
    description="Store a token. The token is read from stdin when it is not a terminal "
    "(all of it, less one trailing newline), else from a prompt that does not echo. "
    "Tokens are never taken as arguments. A pasted `Bearer ` or `Authorization: "
    "Bearer ` in front of the token is removed (with a note).",
)
def _add(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name")
    s.add_argument("--service", default="", help='a free label, e.g. "GitHub"')
    s.add_argument("--env-var", help="variable name for env/export/exec (default NAME_TOKEN)")
    s.add_argument("--scheme", default="Bearer", help="Authorization scheme (default Bearer)")
    s.add_argument("--expires-at", metavar="ISO8601", help="expiry of an opaque token")
    s.add_argument("--note", default="")
    _host_options(s)
    s.add_argument("--force", action="store_true", help="replace an existing entry's token")
    s.add_argument(
        "--check-url",
        metavar="URL",
        help="an API address that answers 2xx for a good token and 401 for a bad one "
        "(https; the token is sent there to check it)",
    )
    s.add_argument(
        "--no-probe",
        action="store_true",
        help="do not ask the token's provider about it now",
    )


@_command("list", help="list entries (no secrets)")
def _list(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("--json", action="store_true")


@_command("get", help="print a token, as raw text, a header, an export line, ...")
def _get(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name")
    s.add_argument("--format", choices=FORMATS, default="raw")
    s.add_argument("--shell", choices=SHELLS, help="for --format env (default: from $SHELL)")
    s.add_argument("--no-refresh", action="store_true", help="never refresh an OAuth2 token")


@_command("export", help="print export lines for entries (all when none named)")
def _export(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("names", nargs="*", metavar="NAME")
    s.add_argument("--shell", choices=SHELLS)


@_command("exec", help="run a command with tokens in its environment", usage=EXEC_USAGE)
def _exec(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("names", nargs="+", metavar="NAME")


@_command("rm", help="delete an entry and its secrets")
def _rm(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name")
    s.add_argument(
        "--revoke", action="store_true", help="revoke OAuth2 tokens at the provider first"
    )


@_command(
    "mv",
    help="rename an entry (its secrets move with it)",
    description="Rename an entry: its secrets, its settings and an OAuth2 sign-in move "
    "to the new name; its environment variable stays as it is.",
)
def _mv(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("old", metavar="OLD")
    s.add_argument("new", metavar="NEW")


@_command(
    "decode",
    help="explain a token: header, claims, expiry, signature",
    usage="tokenmgr decode [- | --entry NAME [--id-token]] [--json] [--verify] "
    "[--issuer URL] [--jwks URL] [--audience AUD]",
    description="Explain a token. It is read from stdin (`-`, or whenever stdin is not "
    "a terminal), from a no-echo prompt, or from the vault (--entry NAME); never from "
    "an argument, where other users could read it in the process list.",
)
def _decode(s: argparse.ArgumentParser, _common: _Parser) -> None:
    # Declared only to catch a token given here and refuse it without echoing it.
    s.add_argument("token", nargs="?", help=argparse.SUPPRESS)
    s.add_argument("--entry", metavar="NAME", help="decode the access token of this entry")
    s.add_argument("--id-token", action="store_true", help="with --entry: its ID token")
    s.add_argument("--json", action="store_true")
    s.add_argument("--verify", action="store_true")
    s.add_argument("--issuer", metavar="URL")
    s.add_argument("--jwks", metavar="URL")
    s.add_argument("--audience", metavar="AUD")


@_command("login", help="sign in to an OAuth2 / OpenID Connect provider")
def _login(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name")
    src = s.add_mutually_exclusive_group()
    src.add_argument("--issuer", metavar="URL")
    src.add_argument("--preset", metavar="NAME")
    s.add_argument("--authorize-url", metavar="U")
    s.add_argument("--token-url", metavar="U")
    s.add_argument(
        "--revocation-url", metavar="U", help="RFC 7009 endpoint, when discovery lists none"
    )
    s.add_argument(
        "--device-authorization-url",
        metavar="U",
        help="RFC 8628 endpoint, when discovery lists none",
    )
    s.add_argument(
        "--introspection-url", metavar="U", help="RFC 7662 endpoint, when discovery lists none"
    )
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
    _host_options(s)


@_command("refresh", help="refresh an OAuth2 entry's access token now")
def _refresh(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name")


@_command(
    "probe",
    help="ask each token's provider: accepted or refused, expiry, scopes",
    usage="tokenmgr probe (NAME ... | --all) [--json]",
    description="Ask each token's own provider about it, once: GitHub and GitLab "
    "(from the token's prefix, or the entry's host), an OAuth server's introspection "
    "endpoint, or the entry's check URL. What they say is kept in the index (never "
    "the token). Exit status: 0 accepted, 6 refused, 5 could not check.",
)
def _probe(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("names", nargs="*", metavar="NAME")
    s.add_argument("--all", action="store_true", help="every entry that has a provider to ask")
    s.add_argument("--json", action="store_true")


@_command("doctor", help="check the keyring, the index and what is missing")
def _doctor(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("--json", action="store_true")


@_command(
    "edit",
    help="change an entry's metadata (never its token)",
    description="Change what is said about an entry: its label, variable, note, tags, "
    "expiry, the hosts it serves to git, kubectl and docker, and the URL its token is "
    "checked at. The token is not touched (store a new one with `tokenmgr add NAME "
    "--force`).",
)
def _edit(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name")
    s.add_argument("--service", metavar="S")
    s.add_argument("--env-var", metavar="VAR")
    s.add_argument("--scheme", metavar="SCHEME")
    s.add_argument("--note", metavar="TEXT")
    s.add_argument("--tag", action="append", default=[], metavar="T", help="add a tag")
    s.add_argument("--no-tag", action="append", default=[], metavar="T", help="drop a tag")
    s.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="HOST",
        help="serve HOST (host[:port][/path-prefix]) to git, kubectl and docker",
    )
    s.add_argument(
        "--no-host", action="append", default=[], metavar="HOST", help="stop serving HOST"
    )
    s.add_argument(
        "--username",
        metavar="NAME",
        help="the user name helpers send with the token ('' for the provider's convention)",
    )
    s.add_argument(
        "--expires-at",
        metavar="ISO8601",
        help="expiry of a static token ('none' when it does not expire or is unknown)",
    )
    s.add_argument(
        "--check-url",
        metavar="URL",
        help="where to check the token: an https API address that answers 2xx for a good "
        "token and 401 for a bad one ('' removes it)",
    )


@_command(
    "log",
    help="who got which token, when, how (the access record)",
    description="Show the access record: every hand-out (get, export, exec, the "
    "credential helpers, copies from the app, refreshes) with the program that "
    "asked. WHEN is a time (ISO 8601, local time unless it says its zone) or an age "
    "such as 30m, 12h, 7d, 2w.",
)
def _log(s: argparse.ArgumentParser, _common: _Parser) -> None:
    s.add_argument("name", nargs="?", metavar="NAME")
    s.add_argument("--since", metavar="WHEN")
    s.add_argument("--json", action="store_true")


@_command(
    "credential",
    help="credential helper for git, kubectl and docker",
    description="Hand tokens to git, kubectl and docker through their credential "
    "helper protocols, for the hosts entries serve (--host).",
)
def _credential(s: argparse.ArgumentParser, common: _Parser) -> None:
    tools = s.add_subparsers(dest="tool", metavar="TOOL", parser_class=_Parser, required=True)
    t = tools.add_parser(
        "git",
        parents=[common],
        help="git's credential helper (get, store, erase)",
        usage="tokenmgr credential git (get | store | erase | --install | --uninstall)",
    )
    t.add_argument("action", nargs="?", help=argparse.SUPPRESS)
    setup = t.add_mutually_exclusive_group()
    setup.add_argument(
        "--install", action="store_true", help="add tokenmgr to git's config for served hosts"
    )
    setup.add_argument(
        "--uninstall", action="store_true", help="remove tokenmgr's lines from git's config"
    )
    t = tools.add_parser(
        "kubectl",
        parents=[common],
        help="kubectl's exec credential plugin",
        usage="tokenmgr credential kubectl NAME [--print-config [--api-version v1|v1beta1]]",
    )
    t.add_argument("name")
    t.add_argument(
        "--print-config", action="store_true", help="print the kubeconfig users[] item"
    )
    t.add_argument(
        "--api-version",
        choices=("v1", "v1beta1"),
        help="the exec API version (default: what the local kubectl takes)",
    )
    t = tools.add_parser(
        "docker",
        parents=[common],
        help="docker's credential helper (also docker-credential-tokenmgr)",
        usage="tokenmgr credential docker (get | store | erase | list | --install | --uninstall)",
    )
    t.add_argument("action", nargs="?", help=argparse.SUPPRESS)
    setup = t.add_mutually_exclusive_group()
    setup.add_argument(
        "--install", action="store_true", help="set credHelpers in the docker config"
    )
    setup.add_argument(
        "--uninstall", action="store_true", help="remove tokenmgr from credHelpers"
    )


# Not for people, so no help line and not listed: the app starts its sign-in window's
# process with it (its instructions come on stdin).
@_command("sign-in-window")
def _sign_in_window(_s: argparse.ArgumentParser, _common: _Parser) -> None:
    pass


def _host_options(s: argparse.ArgumentParser) -> None:
    """`--host` and `--username` of `add` and `login`: what the entry serves to helpers."""
    s.add_argument(
        "--host",
        action="append",
        dest="hosts",
        default=None,
        metavar="HOST",
        help="serve HOST (host[:port][/path-prefix]) to git, kubectl and docker",
    )
    s.add_argument(
        "--username",
        default=None,
        metavar="NAME",
        help="the user name helpers send with the token (default: the provider's convention)",
    )


def _split_exec(argv: list[str]) -> tuple[list[str], list[str], list[str]] | None:
    """`[GLOBAL ...] exec NAME ... -- COMMAND ...` → (globals, names, command), or None
    when this is not an `exec` (argparse would mangle the child's `--`)."""
    try:
        i = argv.index("exec")
    except ValueError:
        return None
    if any(not a.startswith("-") for a in argv[:i]):
        return None  # "exec" is an argument of another command
    rest = argv[i + 1 :]
    if "--" not in rest:
        raise CliUsageError(f"tokenmgr exec: put -- before the command: {EXEC_USAGE}")
    j = rest.index("--")
    words, command = rest[:j], rest[j + 1 :]
    options = [w for w in words if w.startswith("-")]
    names = [w for w in words if not w.startswith("-")]
    if not names or not command:
        raise CliUsageError(f"tokenmgr exec: usage: {EXEC_USAGE}")
    return argv[:i] + options, names, command


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The command line as a Namespace (`command`, `debug`, the command's options)."""
    args_list = list(argv)
    split = _split_exec(args_list)
    if split is None:
        args, extra = build_parser(args_list).parse_known_args(args_list)
    else:
        options, names, command = split
        args, extra = build_parser(["exec"]).parse_known_args([*options, "exec", *names])
        args.argv = command
    if extra:
        shown = [option_name(a) for a in extra if a.startswith("-")]
        if shown:
            raise CliUsageError(f"tokenmgr: unknown option {shown[0]} (see `tokenmgr --help`)")
        hint = ""
        if args.command in ("add", "decode"):
            hint = (
                ": tokens are never taken as arguments (they would end up in shell "
                "history and `ps`); pipe the token on stdin or type it at the prompt"
            )
        raise CliUsageError(f"tokenmgr {args.command}: unexpected argument (not shown){hint}")
    return args
