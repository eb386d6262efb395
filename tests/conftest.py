"""Shared fixtures: an isolated TOKENMGR_HOME and an in-memory keyring vault."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.memkeyring import MemoryKeyring
from tokenmgr.cli import Environment, main
from tokenmgr.core.secrets import KeyringStore
from tokenmgr.core.vault import Vault


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test may touch the developer's real index or keyring by accident."""
    monkeypatch.setenv("TOKENMGR_HOME", str(tmp_path / "tokenmgr-home"))
    monkeypatch.delenv("TOKENMGR_STORE", raising=False)
    monkeypatch.delenv("TOKENMGR_PASSPHRASE", raising=False)
    yield


@pytest.fixture
def memkeyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def vault(home: Path, memkeyring: MemoryKeyring) -> Vault:
    return Vault(home=home, store=KeyringStore(backend=memkeyring))


class CliResult:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    def __repr__(self) -> str:
        return f"CliResult({self.status}, out={self.out!r}, err={self.err!r})"


class CliRunner:
    """Runs `main()` in-process against the in-memory vault."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def __call__(
        self,
        *args: str,
        stdin: bytes | str = b"",
        tty: bool = False,
        env: dict[str, str] | None = None,
        getpass: Any = None,
    ) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        data = stdin.encode() if isinstance(stdin, str) else stdin
        environment = Environment(
            stdin=io.BytesIO(data),
            stdout=out,
            stderr=err,
            env=env if env is not None else {"SHELL": "/bin/bash"},
            stdin_isatty=tty,
            vault_factory=lambda _env: self.vault,
            getpass=getpass,
        )
        status = main(list(args), environment)
        return CliResult(int(status), out.getvalue(), err.getvalue())


@pytest.fixture
def cli(vault: Vault) -> CliRunner:
    return CliRunner(vault)
