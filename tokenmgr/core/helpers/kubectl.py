"""kubectl's exec credential plugin (`client.authentication.k8s.io` v1 and v1beta1).

kubectl runs `tokenmgr credential kubectl NAME` with `KUBERNETES_EXEC_INFO` in the
environment (an `ExecCredential` naming the API version it wants and, with
`provideClusterInfo: true`, the cluster it is about to call) and reads one
`ExecCredential` on stdout: `status.token`, and `status.expirationTimestamp` so it
keeps the token until then. The entry must serve the cluster's host (https, or
plain http to a loopback host): a kubeconfig pointed elsewhere gets nothing.

`config_snippet` is the kubeconfig `users[]` item that runs it, in the exec API
version the local kubectl accepts (before 1.22 kubectl refuses `v1` there).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tokenmgr.core import hosts
from tokenmgr.core.errors import TokenMgrError, UsageError
from tokenmgr.core.rules import format_time

if TYPE_CHECKING:
    from tokenmgr.core.helpers import Served
    from tokenmgr.core.vault import Vault

GROUP = "client.authentication.k8s.io"
VERSIONS = ("v1", "v1beta1")
EXEC_INFO = "KUBERNETES_EXEC_INFO"


class NotServed(TokenMgrError):
    """The cluster kubectl asks for is not one the entry serves."""

    exit_status = 1


def exec_info(env: Mapping[str, str]) -> dict[str, Any]:
    """The ExecCredential kubectl passes in KUBERNETES_EXEC_INFO ({} when there is none)."""
    raw = env.get(EXEC_INFO)
    if not raw:
        return {}
    try:
        info = json.loads(raw)
    except ValueError:
        raise UsageError(f"{EXEC_INFO} is not JSON: run this from kubectl") from None
    return info if isinstance(info, dict) else {}


def api_version(info: Mapping[str, Any], chosen: str | None) -> str:
    """The full apiVersion to answer in: the one kubectl asked for, else `chosen`, else v1."""
    asked = info.get("apiVersion")
    if isinstance(asked, str) and asked:
        group, _, version = asked.rpartition("/")
        if group != GROUP or version not in VERSIONS:
            raise UsageError(
                f"kubectl asked for an ExecCredential in {asked!r}; tokenmgr speaks "
                f"{GROUP}/v1 and {GROUP}/v1beta1"
            )
        return asked
    return f"{GROUP}/{chosen or 'v1'}"


def cluster_server(info: Mapping[str, Any]) -> str | None:
    spec = info.get("spec")
    cluster = spec.get("cluster") if isinstance(spec, dict) else None
    server = cluster.get("server") if isinstance(cluster, dict) else None
    return server if isinstance(server, str) and server else None


def serve(vault: Vault, name: str, env: Mapping[str, str], chosen: str | None) -> str:
    """The ExecCredential JSON for entry `name`, for the cluster kubectl names."""
    from tokenmgr.core.helpers import check_bound, scheme_allowed, token_for, username_for
    from tokenmgr.core.usecases.handout import put_on_record

    info = exec_info(env)
    version = api_version(info, chosen)
    server = cluster_server(info)
    entry = vault.entry(name)
    if server is None:
        raise NotServed(
            "kubectl did not say which cluster it calls: add `provideClusterInfo: true` to "
            f"the exec section of the kubeconfig (`tokenmgr credential kubectl {name} "
            "--print-config` prints it)"
        )
    try:
        parts = urllib.parse.urlsplit(server)
        hostport = parts.netloc.rpartition("@")[2]
        host = hosts.parse(hostport) if hostport else None
    except (ValueError, TokenMgrError):
        host = None
    if host is None:
        raise NotServed(f"the cluster's server {server[:200]!r} is not a URL")
    shown = host.hostport + parts.path.rstrip("/")
    if not scheme_allowed(parts.scheme, host.name):
        raise NotServed(
            f"the cluster {shown} is not reached over https: no token is sent over plain http "
            "(except to a loopback address)"
        )
    path = hosts.split_path(parts.path)
    mine = [h for h in map(hosts.parse, entry.hosts) if h.hostport == host.hostport]
    match = max((h for h in mine if h.covers(path)), key=lambda h: len(h.path), default=None)
    if match is None:
        raise NotServed(
            f"{name!r} does not serve the cluster {shown}: add it with "
            f"`tokenmgr edit {name} --host {host.hostport}`"
        )
    check_bound(vault, entry)
    entry, token = token_for(vault, entry)
    put_on_record(vault, entry.name, "kubectl", host=shown)
    from tokenmgr.core.helpers import Served

    return credential(version, Served(entry, token, match, username_for(entry, match)))


def credential(version: str, served: Served) -> str:
    status: dict[str, Any] = {"token": served.token}
    if served.entry.expires_at is not None:
        status["expirationTimestamp"] = format_time(served.entry.expires_at)
    doc = {"apiVersion": version, "kind": "ExecCredential", "spec": {}, "status": status}
    return json.dumps(doc) + "\n"


def local_api_version(kubectl: str = "kubectl", env: Mapping[str, str] | None = None) -> str:
    """The exec API version the local kubectl takes: v1 from 1.22, v1beta1 before; v1
    when no kubectl answers (TokenMgrError says so)."""
    import subprocess  # here: kubectl runs `credential kubectl` on every call, never this

    try:
        r = subprocess.run(
            [kubectl, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(env) if env is not None else None,
        )
        client = json.loads(r.stdout)["clientVersion"]
        major = int(str(client["major"]).rstrip("+"))
        minor = int(str(client["minor"]).rstrip("+"))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        raise TokenMgrError("no kubectl answered `kubectl version --client`") from None
    return "v1" if (major, minor) >= (1, 22) else "v1beta1"


def _yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def config_snippet(name: str, command: Sequence[str], version: str) -> str:
    """The kubeconfig `users[]` item for entry `name` (YAML), with `provideClusterInfo`
    so the plugin sees which cluster it is for, and `interactiveMode: Never` (v1 needs
    it said; kubectl before 1.22 knows no such field)."""
    args = [*command[1:], "credential", "kubectl", name]
    lines = [
        f"# kubeconfig users[] item: tokenmgr hands out {name!r} (exec API {version})",
        f"- name: {_yaml_string(name)}",
        "  user:",
        "    exec:",
        f"      apiVersion: {GROUP}/{version}",
        f"      command: {_yaml_string(command[0])}",
        "      args:",
        *(f"        - {_yaml_string(a)}" for a in args),
    ]
    if version == "v1":
        lines.append("      interactiveMode: Never")
    lines.append("      provideClusterInfo: true")
    return "\n".join(lines) + "\n"
