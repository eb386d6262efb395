"""Nothing is probed offline or on a metered connection when the desktop says so (a
stand-in NetworkManager on a private bus), except a check someone asks for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import networkmanager as nm
from tests.support.cli import CliRunner
from tests.support.memkeyring import MemoryKeyring
from tests.support.providers import CheckUrlStandIn, TestCA
from tokenmgr.core.probe.network import network_state
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault

KEY = "sk-test-NetworkT0kenValue012345"


@pytest.fixture
def manager() -> Iterator[nm.NetworkManagerStandIn]:
    assert not nm.missing_tools(), "dbus-daemon is missing: run `make test` (it installs it)"
    with nm.NetworkManagerStandIn() as m:
        yield m


@pytest.mark.parametrize(
    ("state", "connectivity", "metered", "offline", "is_metered"),
    [
        (nm.CONNECTED_GLOBAL, nm.FULL, nm.METERED_NO, False, False),
        (nm.CONNECTED_GLOBAL, nm.FULL, nm.GUESS_NO, False, False),
        (nm.CONNECTED_GLOBAL, nm.FULL, nm.METERED_YES, False, True),
        (nm.CONNECTED_GLOBAL, nm.FULL, nm.GUESS_YES, False, True),
        (nm.DISCONNECTED, 0, nm.METERED_NO, True, False),
        (nm.ASLEEP, 0, 0, True, False),
        (nm.CONNECTED_GLOBAL, nm.NONE, 0, True, False),
    ],
)
def test_what_the_desktop_says(
    manager: nm.NetworkManagerStandIn,
    state: int,
    connectivity: int,
    metered: int,
    offline: bool,
    is_metered: bool,
) -> None:
    manager.state, manager.connectivity, manager.metered = state, connectivity, metered
    said = network_state(manager.env)
    assert said is not None and (said.offline, said.metered) == (offline, is_metered)


def test_no_networkmanager_is_dont_know(tmp_path: Path) -> None:
    assert network_state({"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/none"}) is None


@pytest.mark.parametrize("what", ["metered", "offline"])
def test_add_does_not_probe_but_an_explicit_probe_does(
    manager: nm.NetworkManagerStandIn,
    tmp_path: Path,
    home: Path,
    memkeyring: MemoryKeyring,
    what: str,
) -> None:
    ca = TestCA(tmp_path / "ca")
    vault = Vault(
        home=home,
        store=KeyringStore(backend=memkeyring),
        env={"REQUESTS_CA_BUNDLE": str(ca.bundle), **manager.env},
    )
    cli = CliRunner(vault)
    if what == "metered":
        manager.metered = nm.METERED_YES
    else:
        manager.state, manager.connectivity = nm.DISCONNECTED, nm.NONE
    with CheckUrlStandIn(ca) as api:
        api.tokens.add(KEY)  # type: ignore[attr-defined]
        r = cli("add", "k", "--check-url", api.url, stdin=KEY)
        assert r.status == 0
        assert "not checked at its provider: the desktop says" in r.err
        assert "`tokenmgr probe k` asks now" in r.err
        assert api.requests == [] and manager.calls == 1
        r = cli("probe", "k")
        assert r.status == 0 and "says: accepted" in r.out and len(api.requests) == 1
        manager.metered, manager.state, manager.connectivity = nm.METERED_NO, 70, nm.FULL
        assert cli("add", "k2", "--check-url", api.url, stdin=KEY).status == 0
        assert len(api.requests) == 2
