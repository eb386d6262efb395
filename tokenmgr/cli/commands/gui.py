"""`tokenmgr gui` (and `tokenmgr` alone): start the desktop app.

The one place the command line imports the GUI, when this command runs.
"""

from __future__ import annotations

import argparse

from tokenmgr.cli.context import Environment


def gui(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.gui.app import run

    return run(
        minimized=args.minimized,
        smoke_test=args.smoke_test,
        env=env.env,
        passphrase=env.passphrase,  # TOKENMGR_PASSPHRASE, moved out of the environment
    )
