"""`tokenmgr gui` (and `tokenmgr` alone): start the desktop app. And
`tokenmgr sign-in-window`, which the app runs to show its sign-in window in a process
of its own (not listed in the help: it takes its instructions from the app, on stdin).

The one place the command line imports the GUI, when these commands run.
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


def sign_in_window(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.gui.signin_child import main

    return main(debug=bool(args.debug))
