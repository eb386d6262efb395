"""Fixtures for the tests that need a vault but no real keyring: an in-memory keyring, a
vault over it in a fresh home, and a CLI runner on that vault. Registered by the root
conftest (`pytest_plugins`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import CliRunner
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault


@pytest.fixture
def memkeyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def vault(home: Path, memkeyring: MemoryKeyring) -> Vault:
    return Vault(home=home, store=KeyringStore(home, backend=memkeyring))


@pytest.fixture
def cli(vault: Vault) -> CliRunner:
    return CliRunner(vault)
