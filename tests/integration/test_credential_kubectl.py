"""kubectl (the machine's; on a clean Debian, Debian's kubernetes-client) gets its
bearer token from `tokenmgr credential kubectl NAME`, on the real Secret Service,
against a stand-in API server over https that kubectl trusts through the kubeconfig's
certificate-authority-data and that answers only with the right bearer.

- the kubeconfig `users[]` item is the one `--print-config` prints, in the exec API
  version the local kubectl takes (v1 from 1.22, v1beta1 before: kubectl 1.20 refuses
  v1 there, which is checked too), and in each version kubectl accepts;
- kubectl keeps the ExecCredential until its expirationTimestamp: one hand-out for
  all the requests of a command;
- a failure is one line on stderr and a non-zero exit, which kubectl shows;
- an OAuth entry is refreshed first, at the real oidc-provider.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support import tls
from tests.support.kube_server import POD, KubeServer, running
from tests.support.oauth import expire, secret, tm, vault_of
from tests.support.oidc_server import OIDCServer, scripted_login
from tokenmgr.core import record
from tokenmgr.core.helpers.kubectl import local_api_version

pytestmark = pytest.mark.integration

TOKEN = "k8s-" + "B34r3r" * 6


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tls.Certificates:
    return tls.make(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    out = dict(cli_env)
    out["HOME"] = str(tmp_path / "kubehome")  # kubectl's discovery cache starts empty
    (tmp_path / "kubehome").mkdir()
    out["KUBECONFIG"] = str(tmp_path / "kubeconfig")
    return out


@pytest.fixture
def kube(certs: tls.Certificates) -> Iterator[KubeServer]:
    with running(lambda bearer: bearer == TOKEN, certs) as server:
        yield server


def kubectl_minor(env: dict[str, str]) -> tuple[int, int]:
    r = subprocess.run(
        ["kubectl", "version", "--client", "-o", "json"], env=env, capture_output=True, text=True
    )
    client = json.loads(r.stdout)["clientVersion"]
    return int(client["major"]), int(str(client["minor"]).rstrip("+"))


def write_kubeconfig(env: dict[str, str], kube: KubeServer, certs: tls.Certificates,
                     users: str, user: str = "corp") -> None:
    ca = base64.b64encode(certs.ca_pem).decode()
    Path(env["KUBECONFIG"]).write_text(
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        "- name: test\n"
        "  cluster:\n"
        f"    server: {kube.url}\n"
        f"    certificate-authority-data: {ca}\n"
        "contexts:\n"
        "- name: test\n"
        f"  context: {{cluster: test, user: {user}, namespace: default}}\n"
        "current-context: test\n"
        "users:\n" + users
    )


def kubectl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", *args], env=env, capture_output=True, text=True, timeout=120
    )


def hand_outs(env: dict[str, str]) -> list[dict[str, object]]:
    return [i for i in record.read(Path(env["TOKENMGR_HOME"])) if i["how"] == "kubectl"]


def one_hand_out_per_kubectl(env: dict[str, str], kube: KubeServer) -> list[dict[str, object]]:
    """kubectl keeps the credential for all the requests a process makes: one hand-out
    per kubectl program run, fewer than the authenticated requests. (A distribution's
    kubectl may be a dispatcher that asks the server's version first and then becomes
    the matching kubectl, in the same process: that is two programs.)"""
    items = hand_outs(env)
    runs = [(i["pid"], i["program"]) for i in items]
    assert items and len(set(runs)) == len(runs), runs
    assert all(str(program).startswith("kubectl") for _, program in runs), runs
    assert sum(s.passed for s in kube.seen) > len(items), (kube.seen, runs)
    return items


def test_print_config_speaks_the_local_kubectls_version_and_kubectl_lists_pods(
    env: dict[str, str], kube: KubeServer, certs: tls.Certificates
) -> None:
    r = tm(env, "add", "corp", "--host", f"127.0.0.1:{kube.port}", stdin=TOKEN)
    assert r.returncode == 0, r.stderr
    snippet = tm(env, "credential", "kubectl", "corp", "--print-config")
    assert snippet.returncode == 0, snippet.stderr
    wanted = "v1" if kubectl_minor(env) >= (1, 22) else "v1beta1"
    assert local_api_version(env=env) == wanted
    assert f"apiVersion: client.authentication.k8s.io/{wanted}\n" in snippet.stdout
    write_kubeconfig(env, kube, certs, snippet.stdout)
    r = kubectl(env, "get", "pods", "-o", "name")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"pod/{POD}\n"
    # Discovery and the list: several requests, all with the bearer.
    assert all(s.passed for s in kube.seen)
    for item in one_hand_out_per_kubectl(env, kube):
        assert item["entry"] == "corp" and item["host"] == f"127.0.0.1:{kube.port}"
    assert TOKEN[4:20] not in (Path(env["TOKENMGR_HOME"]) / record.RECORD_NAME).read_text()


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_each_exec_api_version(
    env: dict[str, str], kube: KubeServer, certs: tls.Certificates, version: str
) -> None:
    assert tm(env, "add", "corp", "--host", f"127.0.0.1:{kube.port}", stdin=TOKEN).returncode == 0
    snippet = tm(env, "credential", "kubectl", "corp", "--print-config", "--api-version", version)
    write_kubeconfig(env, kube, certs, snippet.stdout)
    r = kubectl(env, "get", "pods", "-o", "name")
    if version == "v1" and kubectl_minor(env) < (1, 22):
        # What --print-config avoids for an old kubectl: it refuses v1 exec configs.
        assert r.returncode != 0 and "client.authentication.k8s.io/v1" in r.stderr
        assert hand_outs(env) == []
        return
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"pod/{POD}\n"
    one_hand_out_per_kubectl(env, kube)


def test_kubectl_keeps_the_credential_until_it_expires(
    env: dict[str, str], kube: KubeServer, certs: tls.Certificates
) -> None:
    """With a known expiry, kubectl runs the plugin once per command whatever the number
    of requests; the ExecCredential says that expiry."""
    r = tm(env, "add", "corp", "--host", f"127.0.0.1:{kube.port}",
           "--expires-at", "2099-01-01T00:00:00Z", stdin=TOKEN)
    assert r.returncode == 0
    snippet = tm(env, "credential", "kubectl", "corp", "--print-config")
    write_kubeconfig(env, kube, certs, snippet.stdout)
    r = kubectl(env, "get", "pods", "-o", "name")
    assert r.returncode == 0, r.stderr
    one_hand_out_per_kubectl(env, kube)
    info = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "spec": {"interactive": False, "cluster": {"server": kube.url}},
    }
    direct = tm({**env, "KUBERNETES_EXEC_INFO": json.dumps(info)}, "credential", "kubectl", "corp")
    assert json.loads(direct.stdout)["status"] == {
        "token": TOKEN,
        "expirationTimestamp": "2099-01-01T00:00:00Z",
    }


def test_a_failure_is_one_line_kubectl_shows(
    env: dict[str, str], kube: KubeServer, certs: tls.Certificates
) -> None:
    # An entry that serves another cluster: nothing is handed to this one.
    assert tm(env, "add", "corp", "--host", "k8s.example:6443", stdin=TOKEN).returncode == 0
    snippet = tm(env, "credential", "kubectl", "corp", "--print-config")
    write_kubeconfig(env, kube, certs, snippet.stdout)
    r = kubectl(env, "get", "pods", "-o", "name")
    assert r.returncode != 0
    assert f"'corp' does not serve the cluster 127.0.0.1:{kube.port}" in r.stderr
    assert TOKEN not in r.stderr
    assert kube.seen == [] or not any(s.passed for s in kube.seen)
    # A missing entry: exit 3, one line.
    snippet = tm(env, "credential", "kubectl", "gone", "--print-config")
    assert snippet.returncode == 3 and "no entry named 'gone'" in snippet.stderr


def test_a_wrong_token_is_refused_by_the_server(
    env: dict[str, str], kube: KubeServer, certs: tls.Certificates
) -> None:
    r = tm(env, "add", "corp", "--host", f"127.0.0.1:{kube.port}", stdin="not-" + TOKEN)
    assert r.returncode == 0
    snippet = tm(env, "credential", "kubectl", "corp", "--print-config")
    write_kubeconfig(env, kube, certs, snippet.stdout)
    r = kubectl(env, "get", "pods", "-o", "name")
    assert r.returncode != 0 and POD not in r.stdout
    assert any(not s.passed for s in kube.seen)


@pytest.mark.usefixtures("fresh_server")
def test_an_oauth_entry_is_refreshed_before_kubectl_gets_it(
    env: dict[str, str], certs: tls.Certificates, oidc_server: OIDCServer
) -> None:
    """The API server asks the provider about each bearer (its userinfo endpoint) and
    takes no token but a live one other than the expired one the entry held."""
    userinfo = oidc_server.discovery()["userinfo_endpoint"]
    brought: list[str] = []

    def live(bearer: str) -> bool:
        brought.append(bearer)
        got = requests.get(userinfo, headers={"Authorization": f"Bearer {bearer}"}, timeout=10)
        return got.status_code == 200

    with running(live, certs) as kube:
        r = scripted_login(oidc_server, env, "corp", "--scope", "openid offline_access",
                           "--host", f"127.0.0.1:{kube.port}")
        assert r.returncode == 0, r.stderr
        old = secret(env, "corp", "access")
        expire(env, "corp")
        snippet = tm(env, "credential", "kubectl", "corp", "--print-config")
        write_kubeconfig(env, kube, certs, snippet.stdout)
        before = oidc_server.stats()["refresh_by_client"].get("tokenmgr-native", 0)
        r = kubectl(env, "get", "pods", "-o", "name")
        assert r.returncode == 0, r.stderr
        assert r.stdout == f"pod/{POD}\n"
    fresh = secret(env, "corp", "access")
    assert fresh and fresh != old
    assert set(brought) == {fresh}
    assert oidc_server.stats()["refresh_by_client"]["tokenmgr-native"] == before + 1


def test_a_token_a_host_refused_is_renewed_before_kubectl_gets_it(
    env: dict[str, str], certs: tls.Certificates, oidc_server: OIDCServer
) -> None:
    """git said a host refused the entry's (unexpired) access token: kubectl gets a new
    one, not the token already known to be refused."""
    with running(lambda _bearer: True, certs) as kube:
        r = scripted_login(oidc_server, env, "corp", "--scope", "openid offline_access",
                           "--host", f"127.0.0.1:{kube.port}")
        assert r.returncode == 0, r.stderr
        old = secret(env, "corp", "access")
        assert vault_of(env).set_refused("corp", "git.example") is not None
        snippet = tm(env, "credential", "kubectl", "corp", "--print-config")
        write_kubeconfig(env, kube, certs, snippet.stdout)
        r = kubectl(env, "get", "pods", "-o", "name")
        assert r.returncode == 0, r.stderr
    fresh = secret(env, "corp", "access")
    assert fresh and fresh != old
    assert vault_of(env).entry("corp").refused_by is None
