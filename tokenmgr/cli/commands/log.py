"""`tokenmgr log [NAME] [--since WHEN] [--json]`: the access record, oldest first.

Each line says when (local time), which entry, how it left, the host a helper was
asked for, and who asked: `git (pid 4121) ← bash, ~/src/private`. `--json` prints
the records as they are kept (UTC times, the whole process chain).
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

from tokenmgr.cli.context import Environment, ExitStatus, err

_AGE = re.compile(r"(\d{1,6})\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """An age (`30m`, `12h`, `7d`, `2w`) or a time (ISO 8601; without a zone it is local
    time, as `log` shows times), as a UTC datetime."""
    from tokenmgr.core.errors import UsageError

    text = text.strip()
    m = _AGE.fullmatch(text)
    if m:
        delta = timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
        return (now or datetime.now(UTC)) - delta
    value = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--since {text[:40]!r}: give an age (30m, 12h, 7d, 2w) or a time "
            "(2026-12-02, 2026-12-02T09:00, 2026-12-02T09:00Z)"
        ) from None
    if at.tzinfo is None:
        at = at.astimezone()  # local time, as shown
    return at.astimezone(UTC)


def _local(text: str) -> str:
    from tokenmgr.core.rules import parse_time

    try:
        at = parse_time(text)
    except Exception:
        return text
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S") if at else text


def log(args: argparse.Namespace, env: Environment) -> int:
    import json
    import os

    from tokenmgr.core import paths, record
    from tokenmgr.core.redact import printable
    from tokenmgr.core.rules import validate_name

    if args.name is not None:
        validate_name(args.name)
    since = parse_since(args.since) if args.since else None
    home = env.vault().home  # the index's home; no store is opened
    paths.check_private_dir(home)
    items = record.read(home, args.name, since)
    if args.json:
        env.stdout.write(json.dumps(items, ensure_ascii=False) + "\n")
        return ExitStatus.OK
    if not items:
        what = f" of {args.name!r}" if args.name else ""
        err(env, f"the access record holds no hand-out{what}" + (" in that time" if since else ""))
        return ExitStatus.OK
    home_dir = env.env.get("HOME") or os.path.expanduser("~")
    for item in items:
        how = record.HOW.get(str(item.get("how")), str(item.get("how")))
        cells = [_local(str(item.get("time")))]
        if args.name is None:
            cells.append(str(item.get("entry")))
        cells += [how, str(item.get("host") or "-"), record.describe(item, home_dir)]
        env.stdout.write(printable("  ".join(cells), 600) + "\n")
    return ExitStatus.OK
