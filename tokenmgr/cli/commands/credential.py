"""`tokenmgr credential git|kubectl|docker`: the credential helpers, and setting them up.

These are the one place where stdout carries what a protocol wants rather than
documented output: git's `key=value` lines, kubectl's ExecCredential, docker's JSON
and its "credentials not found in native keychain". git calls its helper on every
fetch and push, so `get` loads the index, the one secret it hands out, and nothing
else (no OAuth code unless the entry must be refreshed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenmgr.cli.context import Environment, ExitStatus, err

if TYPE_CHECKING:
    import argparse  # only named: the helpers' command lines are parsed without it

    from tokenmgr.core.hosts import Host

MAX_REQUEST = 64 * 1024  # what a client sends is a few lines


def credential(args: argparse.Namespace, env: Environment) -> int:
    tool = args.tool
    if tool == "git":
        return _git(args, env)
    if tool == "kubectl":
        return _kubectl(args, env)
    return _docker(args, env)


def _read_request(env: Environment, *, lines: bool) -> str:
    """The request on stdin: up to a blank line (git's end of request) or end of file."""
    if lines:
        chunks = []
        size = 0
        while size <= MAX_REQUEST:
            line = env.stdin.readline(MAX_REQUEST + 1)
            if not line or not line.strip(b"\r\n"):
                break
            chunks.append(line)
            size += len(line)
        data = b"".join(chunks)
    else:
        data = env.stdin.read(MAX_REQUEST + 1)
    if len(data) > MAX_REQUEST:
        from tokenmgr.core.errors import UsageError

        raise UsageError("the request on stdin is over 64 KiB: nothing was answered")
    return data.decode("utf-8", "replace")


# --------------------------------------------------------------------- git


def _git(args: argparse.Namespace, env: Environment) -> int:
    if args.install or args.uninstall:
        if args.action:
            from tokenmgr.core.errors import UsageError

            raise UsageError("give an action (get, store, erase) or --install/--uninstall")
        return _git_setup(args, env)
    from tokenmgr.core.helpers import git

    action = args.action
    if action not in ("get", "store", "erase"):
        # gitcredentials(7): an operation a helper does not know is ignored silently.
        return ExitStatus.OK
    request = git.parse(_read_request(env, lines=True))
    vault = env.vault()
    if action == "get":
        answer = git.get(vault, request)
        if answer:
            env.stdout.write(answer)
            env.stdout.flush()
    elif action == "erase":
        said = git.erase(vault, request)
        if said:
            err(env, said)
    else:
        git.store(vault, request)
    return ExitStatus.OK


def _served_hosts(env: Environment) -> list[Host]:
    from tokenmgr.core.errors import TokenMgrError
    from tokenmgr.core.hosts import parse_all

    vault = env.vault()
    found: list[Host] = []
    for entry in vault.list_entries():
        found.extend(parse_all(entry.hosts))
    if not found:
        raise TokenMgrError(
            "no entry serves a host yet: give one with `tokenmgr edit NAME --host github.com` "
            "(or --host when adding or signing in), then run this again"
        )
    return found


def _git_setup(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.helpers import git as githelper
    from tokenmgr.core.helpers import own_command

    config = githelper.GitConfig(env=dict(env.env))
    if args.uninstall:
        removed = githelper.uninstall(config)
        for line in removed:
            err(env, f"removed from git's global config: {line}")
        if not removed:
            err(env, "git's global config holds no tokenmgr helper line: nothing was changed")
        return ExitStatus.OK
    served = _served_hosts(env)
    lines = githelper.wanted_lines(served, own_command())
    for line, added in githelper.install(config, lines):
        err(env, f"{'added to' if added else 'already in'} git's global config: {line}")
    return ExitStatus.OK


# ----------------------------------------------------------------- kubectl


def _kubectl(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.helpers import kubectl
    from tokenmgr.core.rules import validate_name

    validate_name(args.name)
    if args.print_config:
        return _kubectl_config(args, env)
    answer = kubectl.serve(env.vault(), args.name, env.env, args.api_version)
    env.stdout.write(answer)
    env.stdout.flush()
    return ExitStatus.OK


def _kubectl_config(args: argparse.Namespace, env: Environment) -> int:
    from tokenmgr.core.errors import TokenMgrError
    from tokenmgr.core.helpers import kubectl, own_command

    entry = env.vault().entry(args.name)
    version = args.api_version
    if version is None:
        try:
            version = kubectl.local_api_version(env=env.env)
        except TokenMgrError as e:
            version = "v1"
            err(env, f"note: {e}; printed exec API v1 (kubectl 1.22 or newer): for an older "
                "kubectl, give --api-version v1beta1")
    env.stdout.write(kubectl.config_snippet(entry.name, own_command(), version))
    if not entry.hosts:
        err(
            env,
            f"note: {entry.name!r} serves no host yet, so kubectl would get nothing: add the "
            f"cluster's with `tokenmgr edit {entry.name} --host HOST:PORT`",
        )
    return ExitStatus.OK


# ------------------------------------------------------------------ docker


def _docker(args: argparse.Namespace, env: Environment) -> int:
    """docker's protocol: the answer, or the error, on stdout (docker shows what it
    reads there and drops stderr); exit 1 on any failure."""
    from tokenmgr.core.errors import TokenMgrError

    if args.install or args.uninstall:
        if args.action:
            from tokenmgr.core.errors import UsageError

            raise UsageError("give an action (get, store, erase, list) or --install/--uninstall")
        return _docker_setup(args, env)
    try:
        return _docker_action(args, env)
    except TokenMgrError as e:
        env.stdout.write(f"{e}\n")
        env.stdout.flush()
        return ExitStatus.ERROR


def _docker_action(args: argparse.Namespace, env: Environment) -> int:
    import json

    from tokenmgr import __version__
    from tokenmgr.core.errors import TokenMgrError
    from tokenmgr.core.helpers import docker

    action = args.action
    if action == "version":
        env.stdout.write(f"docker-credential-tokenmgr (tokenmgr) {__version__}\n")
        return ExitStatus.OK
    if action not in ("get", "store", "erase", "list"):
        raise TokenMgrError(f"Unknown credential action `{action or ''}`")
    request = _read_request(env, lines=False) if action != "list" else ""
    if action == "get":
        env.stdout.write(docker.get(env.vault(), request))
    elif action == "list":
        env.stdout.write(json.dumps(docker.list_served(env.vault())) + "\n")
    elif action == "store":
        # Not a cache: what `docker login` typed stays with docker's own answer.
        err(env, "note: tokenmgr stores nothing for docker (it hands out the entries' tokens)")
    else:
        err(env, "note: tokenmgr deletes nothing for docker (`tokenmgr edit NAME --no-host`)")
    env.stdout.flush()
    return ExitStatus.OK


def _docker_setup(args: argparse.Namespace, env: Environment) -> int:
    import shutil

    from tokenmgr.core.helpers import docker

    path = docker.config_path(env.env)
    if args.uninstall:
        removed = docker.uninstall(path)
        for registry in removed:
            err(env, f"removed from {path}: credHelpers {registry!r}")
        if not removed:
            err(env, f"{path} names tokenmgr for no registry: nothing was changed")
        return ExitStatus.OK
    registries = []
    for host in _served_hosts(env):
        if not host.path and host.hostport not in registries:
            registries.append(host.hostport)
    if not registries:
        err(env, "no entry serves a host without a path prefix (docker names registries "
            "by host alone): nothing was changed")
        return ExitStatus.ERROR
    changed = dict(docker.install(path, registries))
    for registry in registries:
        if registry in changed:
            before = changed[registry]
            was = f" (was {before!r})" if before else ""
            err(env, f"set in {path}: credHelpers {registry!r} = 'tokenmgr'{was}")
        else:
            err(env, f"already in {path}: credHelpers {registry!r} = 'tokenmgr'")
    if shutil.which("docker-credential-tokenmgr", path=env.env.get("PATH")) is None:
        err(env, "note: docker-credential-tokenmgr is not on PATH, and docker runs it by that "
            "name: put the directory that holds tokenmgr on PATH")
    return ExitStatus.OK
