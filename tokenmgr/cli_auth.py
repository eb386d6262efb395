"""The `tokenmgr` commands that talk to authorization servers: `login`, `refresh`,
`rm --revoke` and `decode` (which may fetch an issuer's keys).

Split from cli.py to keep each module small; cli.py imports this module only when
one of these commands runs, so the other commands' start-up stays light. The
contract (stdout, stderr, exit statuses) is cli.py's: see its docstring.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tokenmgr.cli import Environment, ExitStatus, _err, read_secret

if TYPE_CHECKING:
    pass


def cmd_login(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.entries import format_time, validate_name
    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.oauth.flows import DeviceAuthorization, embedded_browser
    from tokenmgr.core.oauth.signin import (
        SignInRequest,
        missing_refresh_token,
        parse_params,
        sign_in,
    )
    from tokenmgr.core.redact import printable

    validate_name(args.name)
    if args.flow == "client-credentials" and not args.client_secret_stdin:
        raise UsageError("--flow client-credentials needs the client secret: --client-secret-stdin")
    req = SignInRequest(
        name=args.name,
        client_id=args.client_id or "",
        issuer=args.issuer,
        preset=args.preset,
        authorize_url=args.authorize_url,
        token_url=args.token_url,
        scopes=args.scope.split() if args.scope is not None else None,
        audience=args.audience,
        resource=args.resource,
        params=parse_params(args.param),
        flow=args.flow,
        browser=args.browser,
        port=args.port,
        timeout=args.timeout,
    )
    if not req.client_id:
        raise UsageError("give --client-id (the client registered at the provider)")
    if args.client_secret_stdin:
        req.client_secret = read_secret(env, f"Client secret for {req.client_id}: ")

    def say(line: str) -> None:
        env.stderr.write(line + "\n")
        env.stderr.flush()

    def open_url(url: str, redirect_uri: str) -> None:
        if args.browser == "embedded":
            embedded_browser()(url, redirect_uri)
            return
        if args.browser == "system":
            import webbrowser

            if webbrowser.open(url):
                say("Opened the sign-in page in your browser; waiting for the sign-in...")
                return
        say(f"Open this URL to sign in: {printable(url, 8192)}")

    def announce(dev: DeviceAuthorization) -> None:
        say(f"Verification URL: {printable(dev.verification_uri)}")
        say(f"User code: {printable(dev.user_code, 100)}")

    entry = sign_in(env.vault(), req, open_url=open_url, announce=announce)
    note = missing_refresh_token(entry)
    if note:
        _err(env, f"warning: {note}")
    exp = format_time(entry.expires_at) or "unknown"
    kept = ", ".join(f for f in ("refresh", "id") if f in entry.secrets) or "no other"
    _err(env, f"signed in: stored {entry.name!r} (access token expires {exp}; {kept} token kept)")
    return ExitStatus.OK


def cmd_refresh(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.entries import format_time
    from tokenmgr.core.oauth.refresh import refresh_now

    entry, _ = refresh_now(env.vault(), args.name)
    _err(env, f"refreshed {entry.name!r} (expires {format_time(entry.expires_at) or 'unknown'})")
    return ExitStatus.OK


def cmd_decode(args: argparse.Namespace, env: Environment) -> int:
    """Explain a token; `--issuer`, `--jwks` and `--audience` imply `--verify`.

    Under `--verify` the exit status is 0 only when the signature verified with keys
    from a pinned source (`--jwks`, `--issuer`, or a vault OAuth entry's issuer) and
    the token is inside its validity window; each failed condition gets a stderr line.
    """
    import json

    from tokenmgr.core import jwt_inspect
    from tokenmgr.core.errors import UsageError

    verify = bool(args.verify or args.issuer or args.jwks or args.audience)
    if verify:
        _check_decode_key_source(args)
    text: str | bytes
    if args.token is not None and args.token != "-":
        text = args.token
    elif args.token is None and env.is_tty():
        raise UsageError(
            "give a token: `tokenmgr decode TOKEN`, or pipe it: `... | tokenmgr decode -`"
        )
    else:
        # A little over the cap, so an over-long token is reported as such.
        text = env.stdin.read(jwt_inspect.MAX_INPUT + 3).rstrip(b"\r\n")
    report = jwt_inspect.inspect(text)
    if verify:
        pins: dict[str, str] = {}
        if report.kind == jwt_inspect.KIND_JWS and not (args.issuer or args.jwks):
            pins = _vault_issuers(env)
        from tokenmgr.core.usecases import verify as verify_report

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
        _err(env, f"the token is malformed: {report.reason}")
        return ExitStatus.MALFORMED
    if not verify:
        return ExitStatus.OK
    if report.kind != jwt_inspect.KIND_JWS:
        _err(env, f"not verified: a {report.kind} token has no signature to check")
        return ExitStatus.MALFORMED
    failed = jwt_inspect.failures(report)
    for failure in failed:
        _err(env, failure.message)
    if not failed:
        return ExitStatus.OK
    return ExitStatus.AUTH if report.keys_unavailable else ExitStatus.MALFORMED


def _check_decode_key_source(args: argparse.Namespace) -> None:
    """`--issuer` and `--jwks` are https (plain http only on loopback): a usage error
    before anything is read or fetched."""
    from tokenmgr.core.oauth.http import check_url

    if args.issuer is not None:
        check_url(args.issuer, "--issuer")
    if args.jwks is not None:
        check_url(args.jwks, "--jwks")


def _vault_issuers(env: Environment) -> dict[str, str]:
    """Issuer → entry name, for the vault's OAuth entries (the index only: no secret is
    read, no keyring opened). An unreadable index pins nothing, with a note."""
    from tokenmgr.core.errors import TokenMgrError
    from tokenmgr.core.usecases import vault_pins

    try:
        return vault_pins(env.vault())
    except TokenMgrError as e:
        _err(env, f"note: no issuer is pinned from the vault ({e})")
        return {}
