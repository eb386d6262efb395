"""The commands that keep the vault's entries: `add`, `edit`, `list`, `mv`, `rm`.

`list` reads the index only (no secret, no keyring, no JWT code); `add` reads the
token from stdin or a no-echo prompt, never from an argument, and asks the token's
provider about it once (unless `--no-probe`, or the desktop says the computer is
offline or the connection metered).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tokenmgr.cli.context import Environment, ExitStatus, err, read_secret

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.vault import Vault


def add(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.rules import (
        format_time,
        parse_time,
        strip_pasted_scheme,
        validate_env_var,
        validate_name,
        validate_scheme,
    )

    validate_name(args.name)
    if args.env_var:
        validate_env_var(args.env_var)
    validate_scheme(args.scheme)
    expires = parse_time(args.expires_at) if args.expires_at else None
    served = _hosts_given(args.hosts)
    if args.username is not None:
        from tokenmgr.core.rules import validate_username

        validate_username(args.username)
    check_url = _check_url(args.check_url)
    vault = env.vault()
    token, note = strip_pasted_scheme(read_secret(env, f"Token for {args.name}: "), args.scheme)
    entry = vault.add(
        args.name,
        token,
        service=args.service,
        env_var=args.env_var,
        scheme=args.scheme,
        expires_at=expires,
        note=args.note,
        force=args.force,
        hosts=served,
        username=args.username,
        check_url=check_url,
    )
    if note:
        err(env, f"note: {note}")
    said = "" if args.no_probe else _probe_once(vault, entry.name, token)
    entry = vault.entry(entry.name) if said else entry
    exp = format_time(entry.expires_at) or "unknown"
    source = entry.expiry_source()
    exp += f", from the {source}" if source and said else ""
    err(env, f"stored {entry.name!r} (env var {entry.env_var}, expires {exp})")
    if said:
        err(env, said)
    say_hosts(env, entry)
    return ExitStatus.OK


def _hosts_given(given: list[str] | None) -> list[str] | None:
    """`--host` values, checked and in canonical form (None when none was given)."""
    if given is None:
        return None
    from tokenmgr.core.hosts import normalize

    return normalize(given)


def say_hosts(env: Environment, entry: Entry) -> None:
    """Which hosts the entry serves now, and how to point the tools at them."""
    if entry.hosts:
        err(
            env,
            f"{entry.name!r} serves {', '.join(entry.hosts)} to credential helpers "
            "(set git up with `tokenmgr credential git --install`, docker with "
            "`tokenmgr credential docker --install`)",
        )


def _check_url(value: str | None) -> str | None:
    """`--check-url`: https (http only on loopback); "" for none."""
    if not value:
        return None
    from tokenmgr.core.oauth.http import check_url

    return check_url(value, "--check-url")


def _probe_once(vault: Vault, name: str, token: str) -> str:
    """Ask the new token's provider about it; one sentence to say ("" when it has no
    provider to ask). A failure to ask never undoes the add."""
    from tokenmgr.core.errors import TokenMgrError
    from tokenmgr.core.probe.answers import UNKNOWN
    from tokenmgr.core.probe.providers import NoTarget
    from tokenmgr.core.probe.text import line
    from tokenmgr.core.rules import VERDICT_REFUSED, now_utc
    from tokenmgr.core.usecases.probing import probe

    try:
        result = probe(vault, name, mind_network=True, token=token)
    except NoTarget:
        return ""
    except TokenMgrError as e:
        return f"not checked at its provider: {e}"
    if result.answer is None:
        return f"not checked at its provider: {result.skipped} (`tokenmgr probe {name}` asks now)"
    said = line(result.entry.provider_check, now_utc(), result.entry)
    if result.answer.verdict == VERDICT_REFUSED:
        return (
            f"warning: {said}. The token was stored all the same; store a new one with "
            f"`tokenmgr add {name} --force`"
        )
    if result.answer.verdict == UNKNOWN:
        return f"not checked: {said} (`tokenmgr probe {name}` tries again)"
    return said


def edit(args: argparse.Namespace, env: Environment) -> int:
    """Change an entry's metadata; the hosts it serves are re-bound to its secrets."""
    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.hosts import parse_all
    from tokenmgr.core.rules import parse_time

    changes: dict[str, object] = {}
    for option in ("service", "env_var", "scheme", "note", "username"):
        value = getattr(args, option)
        if value is not None:
            changes[option] = value
    if args.expires_at is not None:
        text = args.expires_at.strip()
        changes["expires_at"] = None if text.lower() in ("", "none") else parse_time(text)
    if args.check_url is not None:
        changes["check_url"] = _check_url(args.check_url)
    added = parse_all(args.host)
    dropped = parse_all(args.no_host)
    if not changes and not (args.tag or args.no_tag or added or dropped):
        raise UsageError(
            f"nothing to change: give what to set, e.g. `tokenmgr edit {args.name} "
            "--host github.com` (see `tokenmgr edit --help`)"
        )
    both = {h.key for h in added} & {h.key for h in dropped}
    if both:
        raise UsageError("a host is both given with --host and dropped with --no-host")
    vault = env.vault()
    if "expires_at" in changes and vault.entry(args.name).kind != "static":
        raise UsageError(
            f"{args.name!r} is an OAuth entry: its expiry comes from its provider "
            "(nothing was changed)"
        )
    for key, values in (
        ("add_tags", args.tag),
        ("drop_tags", args.no_tag),
        ("add_hosts", [str(h) for h in added]),
        ("drop_hosts", [str(h) for h in dropped]),
    ):
        if values:
            changes[key] = values
    entry = vault.edit_metadata(args.name, changes)
    err(env, f"updated {entry.name!r}")
    if added:
        say_hosts(env, entry)
    if "check_url" in changes:
        where = f"checked at {entry.check_url}" if entry.check_url else "no longer checked at a URL"
        err(env, f"{entry.name!r} is {where} (`tokenmgr probe {entry.name}` asks now)")
    return ExitStatus.OK


def list_entries(args: argparse.Namespace, env: Environment) -> int:
    import json

    from tokenmgr.core.rules import now_utc
    from tokenmgr.core.usecases.listing import list_rows

    rows = list_rows(env.index(), now_utc())
    if args.json:
        env.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return ExitStatus.OK
    if not rows:
        err(env, "no entries yet: add one with `tokenmgr add NAME` (token on stdin or prompt)")
        return ExitStatus.OK
    headers = ("NAME", "KIND", "SERVICE", "ENV VAR", "EXPIRES", "FROM", "STATUS")
    table = [headers] + [
        (
            r["name"],
            r["kind"],
            r["service"] or "-",
            r["env_var"],
            r["expires_at"] or "-",
            r["expiry_source"] or "-",
            "refused" if r["verdict"] == "refused" and r["status"] == "expired" else r["status"],
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


def mv(args: argparse.Namespace, env: Environment) -> int:
    entry = env.vault().rename(args.old, args.new)
    err(env, f"renamed {args.old!r} to {entry.name!r} (env var {entry.env_var} kept)")
    return ExitStatus.OK


def rm(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.usecases.remove import RevokeFailed, remove

    try:
        notes = remove(env.vault(), args.name, revoke=args.revoke)
    except RevokeFailed as e:
        if e.no_endpoint:
            err(
                env,
                f"cannot revoke {e.name!r}: {str(e).rstrip('.')}. The entry was kept, so its "
                "grant is not dropped silently; revoke it at the provider, or remove it here "
                f"only (the grant stays valid there) with `tokenmgr rm {e.name}`",
            )
            return ExitStatus.AUTH
        err(
            env,
            f"revoking {e.name!r} at the provider failed: {str(e).rstrip('.')}. "
            "The entry was kept; "
            f"try again with `tokenmgr rm {e.name} --revoke`, or remove it here "
            f"without revoking with `tokenmgr rm {e.name}`",
        )
        return ExitStatus.AUTH
    for note in notes:
        err(env, note)
    err(env, f"removed {args.name!r}")
    return ExitStatus.OK
