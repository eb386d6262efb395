"""What every test gets: no way out to the internet and an isolated TOKENMGR_HOME.

The fixtures that tests in several directories ask for by name live in tests/support/
and are registered here, once, as plugins (pytest reads `pytest_plugins` only in the
root conftest); a directory's own conftest keeps what only that directory uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.providers import TrapProxy

pytest_plugins = [
    "tests.support.fixtures_vault",
    "tests.support.fixtures_keyring",
    "tests.support.fixtures_oidc",
    "tests.support.fixtures_providers",
]


@pytest.fixture(scope="session", autouse=True)
def trap_proxy() -> Iterator[TrapProxy]:
    """No test reaches the internet: every HTTP(S) request that is not to a loopback
    address goes to a proxy that refuses it and records where it was going (a token
    probe of `ghp_...` shows up as `api.github.com:443`). Subprocesses inherit it."""
    proxy = TrapProxy()
    with pytest.MonkeyPatch.context() as mp:
        for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ALL_PROXY"):
            mp.delenv(name, raising=False)
        mp.setenv("HTTPS_PROXY", proxy.url)
        mp.setenv("HTTP_PROXY", proxy.url)
        # `.invalid` never resolves (RFC 6761): tests of a DNS failure get a real one.
        mp.setenv("NO_PROXY", "127.0.0.1,localhost,::1,.invalid")
        yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test may touch the developer's real index or keyring by accident."""
    monkeypatch.setenv("TOKENMGR_HOME", str(tmp_path / "tokenmgr-home"))
    monkeypatch.delenv("TOKENMGR_STORE", raising=False)
    monkeypatch.delenv("TOKENMGR_PASSPHRASE", raising=False)
    yield
