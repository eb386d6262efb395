"""The commands that sign in to an authorization server: `login`, `refresh`.

`rm --revoke` (entries.py) and `decode --verify` (decode.py) talk to servers too;
the OAuth code is imported only when one of these runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tokenmgr.cli.context import Environment, ExitStatus, err, read_secret

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry


def login(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.oauth.flows import DeviceAuthorization, embedded_browser
    from tokenmgr.core.oauth.signin import (
        SignInRequest,
        missing_refresh_token,
        parse_params,
        sign_in,
    )
    from tokenmgr.core.redact import printable
    from tokenmgr.core.rules import format_time, validate_name

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
        device_url=args.device_authorization_url,
        revocation_url=args.revocation_url,
        introspection_url=args.introspection_url,
        scopes=args.scope.split() if args.scope is not None else None,
        audience=args.audience,
        resource=args.resource,
        params=parse_params(args.param),
        flow=args.flow,
        browser=args.browser,
        port=args.port,
        timeout=args.timeout,
        hosts=args.hosts,
        username=args.username,
    )
    if args.username is not None:
        from tokenmgr.core.rules import validate_username

        validate_username(args.username)
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
        err(env, f"warning: {note}")
    exp = format_time(entry.expires_at) or "unknown"
    kept = ", ".join(f for f in ("refresh", "id") if f in entry.secrets) or "no other"
    err(env, f"signed in: stored {entry.name!r} (access token expires {exp}; {kept} token kept)")
    if entry.hosts:
        from tokenmgr.cli.commands.entries import say_hosts

        say_hosts(env, entry)
    elif args.hosts is None:
        _suggest_hosts(env, entry)
    return ExitStatus.OK


def _suggest_hosts(env: Environment, entry: Entry) -> None:
    """A preset knows where its tokens are used: say how to serve it to git and docker."""
    from tokenmgr.core.oauth.presets import suggested_hosts

    cfg = entry.oauth
    hosts = suggested_hosts(cfg.preset, cfg.preset_params) if cfg and cfg.preset else []
    if hosts:
        given = " ".join(f"--host {h}" for h in hosts)
        err(env, f"tip: to use it from git or docker, `tokenmgr edit {entry.name} {given}`")


def refresh(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.rules import format_time
    from tokenmgr.core.usecases.handout import refresh_now

    entry = refresh_now(env.vault(), args.name)
    err(env, f"refreshed {entry.name!r} (expires {format_time(entry.expires_at) or 'unknown'})")
    return ExitStatus.OK
