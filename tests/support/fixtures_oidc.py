"""Fixtures that run the real oidc-provider (tests/oidc-server) for the session; the
server's API and the sign-in helpers are in tests/support/oidc_server.py. Registered by
the root conftest (`pytest_plugins`), so a test anywhere in the suite requests them by
name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.oidc_server import OIDCServer, start_server


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCServer]:
    """The real oidc-provider on 127.0.0.1, for the whole session (its API: oidc_server.py)."""
    log = tmp_path_factory.mktemp("oidc-server") / "server.log"
    server = start_server(log)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(oidc_server: OIDCServer) -> OIDCServer:
    """The session's server with its counters, faults and config reset for this test."""
    oidc_server.reset()
    return oidc_server


@pytest.fixture(scope="session")
def split_metadata_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCServer]:
    """The server in its `split-metadata` configuration (described in oidc_server.py)."""
    log = tmp_path_factory.mktemp("oidc-split-metadata") / "server.log"
    server = start_server(log, {"OIDC_PROFILE": "split-metadata"})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_split_metadata_server(split_metadata_server: OIDCServer) -> OIDCServer:
    """`split_metadata_server` with its counters, faults and config reset for this test."""
    split_metadata_server.reset()
    return split_metadata_server
