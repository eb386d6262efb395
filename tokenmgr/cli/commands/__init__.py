"""The commands, one module per group; `tokenmgr.cli.parser.COMMANDS` says which runs which.

Each command is `name(args, env) -> exit status`, imports what it needs when it runs,
and leaves the rules to `tokenmgr.core.usecases`: it only turns their results into
stdout lines, stderr messages and exit statuses.
"""
