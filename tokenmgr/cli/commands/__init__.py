"""The commands, one module per group; `COMMANDS` says which runs which.

Each command is `name(args, env) -> exit status`, imports what it needs when it runs,
and leaves the rules to `tokenmgr.core.usecases`: it only turns their results into
stdout lines, stderr messages and exit statuses.
"""

from __future__ import annotations

# command -> "module:function" (under tokenmgr.cli.commands), imported when it runs.
COMMANDS = {
    "gui": "gui:gui",
    "add": "entries:add",
    "list": "entries:list_entries",
    "mv": "entries:mv",
    "rm": "entries:rm",
    "get": "handout:get",
    "export": "handout:export",
    "exec": "handout:exec_command",
    "decode": "decode:decode",
    "login": "oauth:login",
    "refresh": "oauth:refresh",
    "doctor": "doctor:doctor",
    "edit": "entries:edit",
    "log": "log:log",
    "credential": "credential:credential",
    "probe": "probe:probe",
    # Not for people: the app starts its sign-in window's process with it.
    "sign-in-window": "gui:sign_in_window",
}
