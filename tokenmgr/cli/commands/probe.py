"""`tokenmgr probe (NAME ... | --all) [--json]`: ask each token's own provider about it.

stdout: one line per entry asked, `NAME: <what the provider said>` (or with `--json`
an array, in the order named, of objects whose keys are listed in `JSON_KEYS`).
Exit status: 0 when every provider asked accepted its token; 6 when one refused a
token; 5 when one could not be asked (offline, a rate limit, a failing server); 1 when
an entry's settings no longer match its binding or it has no provider to ask (named
explicitly; `--all` only notes those on stderr). The worst one wins.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tokenmgr.cli.context import Environment, ExitStatus, err

if TYPE_CHECKING:
    from datetime import datetime

    from tokenmgr.core.entries import Entry
    from tokenmgr.core.usecases.probing import Probed

JSON_KEYS = (
    "name",
    "provider",
    "answered",
    "verdict",
    "reason",
    "expires_at",
    "expiry_source",
    "provider_expires_at",
    "no_expiry",
    "scopes",
    "account",
    "token_type",
    "checked_at",
    "problem",
    "retry_after",
)


def probe(args: argparse.Namespace, env: Environment) -> int:
    import json

    from tokenmgr.core.errors import NotFound, TokenMgrError, UsageError
    from tokenmgr.core.probe.providers import NoTarget
    from tokenmgr.core.rules import now_utc
    from tokenmgr.core.usecases.probing import probe as ask

    names: list[str] = args.names
    if bool(names) == bool(args.all):
        raise UsageError("name the entries to check, or give --all (not both)")
    vault = env.vault()
    known = {e.name for e in vault.list_entries()}
    missing = [n for n in names if n not in known]
    if missing:  # before anything is sent
        raise NotFound(f"no entry named {missing[0]!r} (see `tokenmgr list`)")
    status = ExitStatus.OK
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for name in names or sorted(known):
        now = now_utc()
        try:
            result = ask(vault, name, now=now)
        except NoTarget as e:
            if args.all:
                skipped.append(name)
                continue
            err(env, str(e))
            status = max(status, ExitStatus.ERROR)
            rows.append(_row(vault.entry(name), None, str(e), now))
            continue
        except NotFound:
            continue  # removed while the others were asked
        except TokenMgrError as e:
            err(env, f"{name}: {e}")
            status = max(status, ExitStatus(e.exit_status))
            rows.append(_row(vault.entry(name), None, str(e), now))
            continue
        row = _row(result.entry, result, "", now)
        rows.append(row)
        status = max(status, _status(row))
        if not args.json:
            env.stdout.write(f"{name}: {_line(result.entry, now)}\n")
    if args.json:
        env.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    if skipped:
        err(
            env,
            f"not checked (no provider to ask): {', '.join(skipped)}; give them a check URL "
            "with `tokenmgr edit NAME --check-url URL`",
        )
    if args.all and not rows and not skipped:
        err(env, "no entries yet: add one with `tokenmgr add NAME`")
    return status


def _status(row: dict[str, Any]) -> ExitStatus:
    if not row["answered"]:
        return ExitStatus.AUTH
    return ExitStatus.MALFORMED if row["verdict"] == "refused" else ExitStatus.OK


def _line(entry: Entry, now: datetime) -> str:
    from tokenmgr.core.probe.text import line

    return line(entry.provider_check, now, entry)


def _row(entry: Entry, result: Probed | None, problem: str, now: datetime) -> dict[str, Any]:
    """The `--json` object of one entry (no secret: what the provider said, and when)."""
    from tokenmgr.core.redact import printable
    from tokenmgr.core.rules import format_time

    check = entry.provider_check
    answered = result is not None and result.answer is not None and not problem
    if result is not None and result.answer is not None and result.answer.verdict == "unknown":
        answered = False
        problem = result.answer.reason
    elif result is not None and result.answer is None:
        problem = result.skipped
    row: dict[str, Any] = {
        "name": entry.name,
        "provider": printable(check.provider, 100) if check else None,
        "answered": answered,
        "verdict": check.verdict if check else None,
        "reason": check.reason if check else "",
        "expires_at": format_time(entry.expires_at),
        "expiry_source": entry.expiry_source(),
        "provider_expires_at": format_time(check.expires_at) if check else None,
        "no_expiry": check.no_expiry if check else False,
        "scopes": check.scopes if check else None,
        "account": check.account if check else "",
        "token_type": check.token_type if check else "",
        "checked_at": format_time(check.checked_at) if check else None,
        "problem": problem,
        "retry_after": format_time(check.retry_after) if check and not answered else None,
    }
    return row
