"""The Secret Service client (tokenmgr/core/stores/secret_service.py) on the REAL gnome-keyring.

It and keyring read each other's items (what a user's `keyring get tokenmgr
NAME/access` relies on), one store shares one D-Bus connection, and the
locked / no-keyring / lost-connection cases behave as with keyring's backend.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.secret_service import PASSWORD, SecretServiceSession
from tests.support.store_contract import StoreContract
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores import SecretStore
from tokenmgr.core.stores.chunked import ChunkedStore
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.stores.namespace import service_for
from tokenmgr.core.stores.secret_service import SecretServiceKeyring, SecretServiceLocked

TOKEN = "ghp_FAST_0123456789abcdef"


class TestGnomeKeyringStoreContract(StoreContract):
    """The SecretStore contract every backend passes, on gnome-keyring via our client."""

    @pytest.fixture
    def store(self, secret_service: SecretServiceSession, tmp_path: Path) -> SecretStore:
        store = KeyringStore(tmp_path / "home", env=dict(os.environ))
        assert isinstance(store.backend, SecretServiceKeyring)
        return store


class TestChunkedGnomeKeyringStoreContract(StoreContract):
    """The same with the Windows-size limit lowered: long values become chunk items."""

    @pytest.fixture
    def store(self, secret_service: SecretServiceSession, tmp_path: Path) -> SecretStore:
        return ChunkedStore(KeyringStore(tmp_path / "home", env=dict(os.environ)), 256)


def _keyring_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """keyring's own command line, with its own backend discovery: what a user types."""
    return subprocess.run(
        [sys.executable, "-m", "keyring", *args], env=env, capture_output=True, text=True
    )


def _items(
    address: str, username_prefix: str, service: str = "tokenmgr"
) -> dict[str, dict[str, str]]:
    """Label and attributes of a service's items, read with secretstorage."""
    code = (
        "import json, secretstorage, sys\n"
        "c = secretstorage.get_default_collection(secretstorage.dbus_init())\n"
        "print(json.dumps({i.get_attributes()['username']: "
        "dict(i.get_attributes(), label=i.get_label()) "
        "for i in c.search_items({'service': sys.argv[1]})}))"
    )
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
    r = subprocess.run(
        [sys.executable, "-c", code, service], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    items: dict[str, dict[str, str]] = json.loads(r.stdout)
    return {k: v for k, v in items.items() if k.startswith(username_prefix)}


def test_cli_items_are_keyrings_items(cli_env: dict[str, str]) -> None:
    """`tokenmgr add` → `keyring get` (the home's namespace as the service), and
    keyring's writes → `tokenmgr get`."""
    service = service_for(Path(cli_env["TOKENMGR_HOME"]))
    r = run_cli(["add", "fast-a"], cli_env, stdin=TOKEN + "\n")
    assert r.returncode == 0, r.stderr
    got = _keyring_cli(["get", service, "fast-a/access"], cli_env)
    assert got.returncode == 0, got.stderr
    assert got.stdout == TOKEN + "\n"

    # keyring overwrites the item (a user's `keyring set`): tokenmgr reads the new value.
    code = "import keyring, sys; keyring.set_password(sys.argv[1], 'fast-a/access', 'kr-é🔑')"
    r2 = subprocess.run(
        [sys.executable, "-c", code, service], env=cli_env, capture_output=True, text=True
    )
    assert r2.returncode == 0, r2.stderr
    assert run_cli(["get", "fast-a"], cli_env).stdout == "kr-é🔑\n"
    # ... and `tokenmgr rm` removes the item keyring wrote.
    assert run_cli(["rm", "fast-a"], cli_env).returncode == 0
    assert _keyring_cli(["get", service, "fast-a/access"], cli_env).returncode == 1


def test_same_item_layout_as_keyrings_backend(secret_service: SecretServiceSession) -> None:
    """Same attributes and label as keyring's SecretService backend; each reads, replaces
    and deletes the other's item (no duplicates)."""
    from keyring.backends.SecretService import Keyring

    theirs = Keyring()  # type: ignore[no-untyped-call]
    ours = SecretServiceKeyring()
    ours.set_password("tokenmgr", "layout-ours/access", "v-ours")
    theirs.set_password("tokenmgr", "layout-theirs/access", "v-theirs")
    items = _items(secret_service.address, "layout-")
    a, b = items["layout-ours/access"], items["layout-theirs/access"]
    # gnome-keyring itself may add `xdg:schema` to an item (neither client sends it, and
    # a full run has shown it on one item and not the other): compare what the clients set.
    a.pop("xdg:schema", None)
    b.pop("xdg:schema", None)
    assert {k: v.replace("ours", "X") for k, v in a.items()} == {
        k: v.replace("theirs", "X") for k, v in b.items()
    }
    assert set(a) == {"username", "service", "application", "label"}
    assert a["application"] == "Python keyring library"
    assert a["label"] == "Password for 'layout-ours/access' on 'tokenmgr'"

    assert theirs.get_password("tokenmgr", "layout-ours/access") == "v-ours"
    assert ours.get_password("tokenmgr", "layout-theirs/access") == "v-theirs"
    ours.set_password("tokenmgr", "layout-theirs/access", "v2")  # replaces, not adds
    theirs.set_password("tokenmgr", "layout-ours/access", "v3")
    assert len(_items(secret_service.address, "layout-")) == 2
    assert theirs.get_password("tokenmgr", "layout-theirs/access") == "v2"
    assert ours.get_password("tokenmgr", "layout-ours/access") == "v3"
    theirs.delete_password("tokenmgr", "layout-ours/access")
    ours.delete_password("tokenmgr", "layout-theirs/access")
    assert ours.get_password("tokenmgr", "layout-ours/access") is None
    assert theirs.get_password("tokenmgr", "layout-theirs/access") is None
    assert ours.connections_opened == 1


def test_one_connection_per_store_even_chunked(
    secret_service: SecretServiceSession, tmp_path: Path
) -> None:
    """probe + chunked write + chunked read + delete: many calls, one D-Bus connection."""
    keyring_store = KeyringStore(tmp_path / "home", env=dict(os.environ))
    store = ChunkedStore(keyring_store, 256)
    backend = keyring_store.backend
    assert isinstance(backend, SecretServiceKeyring)
    long = "eyJ" + "xé🔑" * 500
    store.probe()
    store.set("conn", "access", long)
    assert store.get("conn", "access") == long
    # keyring (a separate process, its own discovery) reassembles nothing, but reads
    # every chunk tokenmgr wrote: the manifest and chunks are ordinary items.
    chunks = _items(secret_service.address, "conn/access#", keyring_store.service)
    assert len(chunks) > 5
    store.delete("conn", "access")
    assert store.get("conn", "access") is None
    assert not _items(secret_service.address, "conn/", keyring_store.service)
    assert backend.connections_opened == 1


def test_cli_get_loads_no_keyring(cli_env: dict[str, str]) -> None:
    """`get` reads through our client, not keyring (nor secretstorage)."""
    assert run_cli(["add", "fast-b"], cli_env, stdin=TOKEN).returncode == 0
    code = (
        "import sys\n"
        "from tokenmgr.cli import main\n"
        "rc = main(['get', 'fast-b'])\n"
        "heavy = {'keyring', 'jaraco', 'secretstorage', 'PySide6', 'requests', 'jwt'}\n"
        "sys.stderr.write(repr(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n"
        "sys.exit(rc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], env=cli_env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == TOKEN + "\n"
    assert r.stderr == "[]"


def test_reconnects_once_after_losing_the_connection(
    secret_service: SecretServiceSession,
) -> None:
    """A long-lived store (the desktop app) whose bus connection dropped reconnects."""
    backend = SecretServiceKeyring()
    backend.set_password("tokenmgr", "reconnect/access", "v")
    backend._conn.sock.shutdown(socket.SHUT_RDWR)
    assert backend.get_password("tokenmgr", "reconnect/access") == "v"
    assert backend.connections_opened == 2
    backend.delete_password("tokenmgr", "reconnect/access")


def test_survives_a_keyring_daemon_restart() -> None:
    """The desktop app's store outlives a gnome-keyring restart on the same bus: its
    session is gone (NoSession), so it opens a new connection and session, once."""
    with SecretServiceSession() as ss:
        backend = SecretServiceKeyring(ss.env)
        backend.set_password("tokenmgr", "restart/access", "kept")
        daemon = ss._keyring
        assert daemon is not None
        daemon.terminate()
        daemon.wait(10)
        # The same daemon again, as SecretServiceSession.start() runs it.
        home = ss.dir / "home"
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_RUNTIME_DIR=str(ss.dir / "run"),
            DBUS_SESSION_BUS_ADDRESS=ss.address,
        )
        ss._keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert ss._keyring.stdin is not None
        ss._keyring.stdin.write(PASSWORD.encode())
        ss._keyring.stdin.close()
        ss._wait_for_owner(env)
        assert backend.get_password("tokenmgr", "restart/access") == "kept"
        assert backend.connections_opened == 2


def test_threads_share_one_connection_safely(secret_service: SecretServiceSession) -> None:
    """The desktop app calls the store from worker threads: calls are serialised."""
    from concurrent.futures import ThreadPoolExecutor

    backend = SecretServiceKeyring()

    def work(i: int) -> list[str | None]:
        seen = []
        for j in range(5):
            backend.set_password("tokenmgr", f"thread-{i}/access", f"v{i}.{j}")
            seen.append(backend.get_password("tokenmgr", f"thread-{i}/access"))
        backend.delete_password("tokenmgr", f"thread-{i}/access")
        return seen

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(work, range(6)))
    assert results == [[f"v{i}.{j}" for j in range(5)] for i in range(6)]
    assert backend.connections_opened == 1


def test_lock_seen_by_an_open_connection(tmp_path: Path) -> None:
    """Locked after the store connected: the next read is the locked diagnosis (exit 4
    in the CLI), on a keyring of its own so the session keyring stays unlocked."""
    with SecretServiceSession() as ss:
        store = KeyringStore(backend=SecretServiceKeyring(ss.env))
        store.set("a", "access", "tok")
        assert store.get("a", "access") == "tok"
        lock = (
            "import secretstorage\n"
            "c = secretstorage.get_default_collection(secretstorage.dbus_init())\n"
            "c.lock()\nassert c.is_locked()"
        )
        env = dict(os.environ, **ss.env)
        env.pop("DISPLAY", None)
        subprocess.run([sys.executable, "-c", lock], env=env, check=True, timeout=30)
        with pytest.raises(SecretServiceLocked):
            SecretServiceKeyring(ss.env).get_password("tokenmgr", "a/access")
        for call in (
            lambda: store.get("a", "access"),
            lambda: store.get("missing", "access"),  # locked, not "not found"
            lambda: store.set("a", "access", "new"),
            lambda: store.delete("a", "access"),
        ):
            with pytest.raises(StorageUnavailable, match="locked"):
                call()


def test_bus_without_secret_service_is_4(cli_env: dict[str, str]) -> None:
    """A session bus where nothing owns (or can start) org.freedesktop.secrets."""
    with tempfile.TemporaryDirectory(prefix="tokenmgr-bus-") as d:
        config = Path(d) / "bus.conf"
        config.write_text(
            "<!DOCTYPE busconfig PUBLIC '-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN'"
            " 'http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd'>\n"
            f"<busconfig><type>session</type><listen>unix:dir={d}</listen>"
            "<auth>EXTERNAL</auth><policy context='default'><allow send_destination='*'/>"
            "<allow receive_sender='*'/><allow own='*'/></policy></busconfig>\n"
        )
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert bus.stdout is not None
            env = dict(cli_env, DBUS_SESSION_BUS_ADDRESS=bus.stdout.readline().decode().strip())
            r = run_cli(["add", "a"], env, stdin="tok")
            assert r.returncode == 4, r
            assert "no keyring answers" in r.stderr and "TOKENMGR_STORE=file" in r.stderr
            assert "Traceback" not in r.stderr
            assert not (Path(env["TOKENMGR_HOME"]) / "entries.json").exists()
            assert run_cli(["get", "a"], env).returncode == 3  # no entry: no keyring call
        finally:
            bus.terminate()
            bus.wait(10)
