"""`tokenmgr decode`: explain a token (header, claims, expiry, signature).

The token comes from stdin (`-`, or whenever stdin is not a terminal), from a no-echo
prompt, or from the vault (`--entry NAME`, `--id-token` for its ID token); never from
an argument, where other local users could read it in the process list.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tokenmgr.cli.context import Environment, ExitStatus, err, read_input

if TYPE_CHECKING:
    from tokenmgr.core.jwt_inspect.model import TokenReport as Report

ARGUMENT_REFUSED = (
    "tokens are never taken as arguments (other users can read them in the process "
    "list, and they stay in your shell history); the one given was not used or shown. "
    "Pipe it: `tokenmgr get NAME | tokenmgr decode -`, decode a stored one with "
    "`tokenmgr decode --entry NAME`, or run `tokenmgr decode` and paste it at the prompt"
)


def decode(args: argparse.Namespace, env: Environment) -> int:
    """Explain a token; `--issuer`, `--jwks` and `--audience` imply `--verify`.

    Under `--verify` the exit status is 0 only when the signature verified with keys
    from a pinned source (`--jwks`, `--issuer`, or a vault OAuth entry's issuer) and
    the token is inside its validity window; each failed condition gets a stderr line.
    """
    import json

    from tokenmgr.core import jwt_inspect
    from tokenmgr.core.errors import UsageError

    if args.token is not None and args.token != "-":
        raise UsageError(ARGUMENT_REFUSED)
    if args.id_token and args.entry is None:
        raise UsageError("--id-token goes with --entry NAME (the entry whose ID token to decode)")
    if args.entry is not None and args.token == "-":
        raise UsageError("give one source for the token: `-` (stdin) or --entry NAME")
    verify = bool(args.verify or args.issuer or args.jwks or args.audience)
    if verify:
        _check_decode_key_source(args)
    report = jwt_inspect.inspect(_read_token(args, env))
    if verify:
        pins: dict[str, str] = {}
        if report.kind == jwt_inspect.KIND_JWS and not (args.issuer or args.jwks):
            pins = _vault_issuers(env, report)
        from tokenmgr.core.usecases.verify import verify as verify_report

        report = verify_report(
            report,
            pins,
            issuer=args.issuer,
            jwks_url=args.jwks,
            audience=args.audience,
        )
    if args.json:
        env.stdout.write(json.dumps(report.to_json(), ensure_ascii=True) + "\n")
    else:
        env.stdout.write(jwt_inspect.render_text(report))
    if report.kind == jwt_inspect.KIND_MALFORMED:
        err(env, f"the token is malformed: {report.reason}")
        return ExitStatus.MALFORMED
    if not verify:
        return ExitStatus.OK
    if report.kind != jwt_inspect.KIND_JWS:
        err(env, f"not verified: a {report.kind} token has no signature to check")
        return ExitStatus.MALFORMED
    failed = jwt_inspect.failures(report)
    for failure in failed:
        err(env, failure.message)
    if not failed:
        return ExitStatus.OK
    return ExitStatus.AUTH if report.keys_unavailable else ExitStatus.MALFORMED


def _read_token(args: argparse.Namespace, env: Environment) -> str | bytes:
    """The token as given: from the vault (as stored, never refreshed), a prompt on a
    terminal, or stdin (a little over the cap, so an over-long input is reported as such)."""
    from tokenmgr.core.jwt_inspect import MAX_INPUT

    if args.entry is not None:
        from tokenmgr.core.errors import TokenMgrError
        from tokenmgr.core.usecases.handout import read_secret

        vault = env.vault()
        entry = vault.entry(args.entry)
        if args.id_token and "id" not in entry.secrets:
            raise TokenMgrError(
                f"{entry.name!r} has no ID token (only an OpenID Connect sign-in gives one)"
            )
        return read_secret(vault, entry.name, "id" if args.id_token else "access")
    if args.token == "-" and env.is_tty():
        return env.stdin.read(MAX_INPUT + 3).rstrip(b"\r\n")  # typed, ended with Ctrl+D
    given = read_input(env, "Token to decode (not shown): ", MAX_INPUT + 2)
    return given.rstrip(b"\r\n") if isinstance(given, bytes) else given


def _check_decode_key_source(args: argparse.Namespace) -> None:
    """`--issuer` and `--jwks` are https (plain http only on loopback): a usage error
    before anything is read or fetched."""
    from tokenmgr.core.oauth.http import check_url

    if args.issuer is not None:
        check_url(args.issuer, "--issuer")
    if args.jwks is not None:
        check_url(args.jwks, "--jwks")


def _vault_issuers(env: Environment, report: Report) -> dict[str, str]:
    """Issuer → entry name, for the vault's OAuth entries whose binding matches, looked up
    for the token's own issuer only (no entry is read from the store for another one).
    A store or index that cannot be read pins nothing, with a note."""
    from tokenmgr.core.usecases.verify import token_issuer, vault_pins

    iss = token_issuer(report)
    if iss is None:
        return {}
    pins = vault_pins(env.vault(), [iss])
    for note in pins.notes:
        err(env, f"note: {note}")
    return dict(pins)
