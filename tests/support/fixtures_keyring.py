"""Fixtures for the tests on the real Secret Service (gnome-keyring on a private bus),
registered by the root conftest (`pytest_plugins`). They never fall back to a fake: if
gnome-keyring cannot start, the tests that asked for it fail with the reason."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.secret_service import SecretServiceSession


@pytest.fixture(scope="session")
def secret_service() -> Iterator[SecretServiceSession]:
    """One private bus + unlocked gnome-keyring for the whole session.

    Sets DBUS_SESSION_BUS_ADDRESS in os.environ (and removes DISPLAY) so that
    `tokenmgr` subprocesses and in-process keyring calls reach it.
    """
    saved = {k: os.environ.get(k) for k in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
    ss = SecretServiceSession().start()
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = ss.address
    os.environ.pop("DISPLAY", None)
    try:
        yield ss
    finally:
        ss.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(autouse=True)
def _keyring_alive(request: pytest.FixtureRequest) -> None:
    """A gnome-keyring daemon that ended during an earlier test (a crash) fails that
    test, not every later one: the next test that uses the keyring gets a new one, and
    the old daemon's last words are reported as a warning."""
    if "secret_service" not in request.fixturenames:
        return
    ss: SecretServiceSession = request.getfixturevalue("secret_service")
    if ss.alive():
        return
    said = ss.restart()
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = ss.address
    warnings.warn(f"gnome-keyring-daemon had ended; started again. It said:\n{said}",
                  stacklevel=1)


@pytest.fixture
def cli_env(secret_service: SecretServiceSession, tmp_path: Path) -> dict[str, str]:
    """Environment for a `tokenmgr` subprocess on the real keyring with a fresh home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.pop("DISPLAY", None)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env["DBUS_SESSION_BUS_ADDRESS"] = secret_service.address
    env["TOKENMGR_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env
