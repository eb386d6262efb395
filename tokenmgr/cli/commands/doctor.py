"""`tokenmgr doctor`: which store, is it secure, where is the index, what is missing."""

from __future__ import annotations

import argparse

from tokenmgr.cli.context import Environment


def doctor(args: argparse.Namespace, env: Environment) -> int:
    import json

    from tokenmgr.core.doctor import diagnose, render_text

    report = diagnose(env.vault(), env.env)
    if args.json:
        env.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        env.stdout.write(render_text(report))
    return int(report["exit_status"])
