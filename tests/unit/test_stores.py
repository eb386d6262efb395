"""The secret stores without a daemon: the contract every backend passes, the
chunking wrapper, the keyring store's errors and vetting, the vault file, and
`open_store`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.memkeyring import MemoryKeyring
from tests.support.store_contract import LONG, StoreContract
from tokenmgr.core.errors import StorageUnavailable, UsageError
from tokenmgr.core.stores import PassphraseSource, SecretStore, open_store
from tokenmgr.core.stores.chunked import (
    MANIFEST_MAGIC,
    ChunkedStore,
    split_chunks,
    utf16_size,
)
from tokenmgr.core.stores.keyring_store import LOCKED_KEYRING, KeyringStore
from tokenmgr.core.stores.memory import MemoryStore
from tokenmgr.core.stores.vault_file import EncryptedFileStore

SERVICE = "tokenmgr:/test-home"


def _passphrase(value: str) -> PassphraseSource:
    return lambda _new: value


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return MemoryStore()


class TestKeyringStoreOnMemoryKeyring(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return KeyringStore(tmp_path / "home", backend=MemoryKeyring())


class TestChunkedMemoryStore(StoreContract):
    """Chunking is a wrapper: over the simplest backend there is."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return ChunkedStore(MemoryStore(), 128)


class TestChunkedKeyringStore(StoreContract):
    """The Windows-limit path, with the limit lowered so it runs everywhere."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return ChunkedStore(KeyringStore(tmp_path / "home", backend=MemoryKeyring()), 128)


class TestEncryptedFileStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return EncryptedFileStore(tmp_path, passphrase=_passphrase("correct horse"))


class TestChunkedEncryptedFileStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return ChunkedStore(EncryptedFileStore(tmp_path, passphrase=_passphrase("pw")), 200)


# ------------------------------------------------------------------ chunking


def test_split_chunks_respects_limit_and_code_points() -> None:
    for limit in (4, 6, 64, 2560):
        chunks = split_chunks(LONG, limit)
        assert "".join(chunks) == LONG
        assert all(utf16_size(c) <= limit for c in chunks)


def test_chunked_items_in_backend() -> None:
    kr = MemoryKeyring()
    store = ChunkedStore(KeyringStore(backend=kr, service=SERVICE), 128)
    store.set("n", "access", LONG)
    main = kr.items[(SERVICE, "n/access")]
    assert main.startswith(MANIFEST_MAGIC)
    assert all(utf16_size(v) <= 128 for v in kr.items.values())
    assert {k[1].split("#")[0] for k in kr.items} == {"n/access"}  # chunks: n/access#GEN.I
    store.set("n", "access", LONG + "x")
    # the old generation's chunks were removed
    gens = {k[1].split("#")[1].split(".")[0] for k in kr.items if "#" in k[1]}
    assert len(gens) == 1
    store.delete("n", "access")
    assert kr.items == {}


@pytest.mark.parametrize("fail_at", [0, 1, 5, 50])
def test_failed_chunked_write_keeps_old_value(fail_at: int) -> None:
    kr = MemoryKeyring()
    store = ChunkedStore(KeyringStore(backend=kr, service=SERVICE), 128)
    store.set("n", "access", LONG)
    before = dict(kr.items)
    kr.fail_after_sets = kr.sets + fail_at
    with pytest.raises(StorageUnavailable):
        store.set("n", "access", LONG[::-1])
    assert store.get("n", "access") == LONG
    assert kr.items == before  # partial chunks of the failed write were removed


class _FailingStore(MemoryStore):
    """A backend that dies after `allow` more writes, with an error of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.allow: int | None = None

    def set(self, name: str, field: str, value: str) -> None:
        if self.allow is not None:
            if self.allow == 0:
                raise OSError("the backend went away")
            self.allow -= 1
        super().set(name, field, value)


@pytest.mark.parametrize("fail_at", [0, 3, 40])
def test_failed_chunked_write_over_any_backend_keeps_old_value(fail_at: int) -> None:
    inner = _FailingStore()
    store = ChunkedStore(inner, 128)
    store.set("n", "access", LONG)
    before = dict(inner.values)
    inner.allow = fail_at
    with pytest.raises(OSError):
        store.set("n", "access", LONG[::-1])
    assert store.get("n", "access") == LONG
    assert inner.values == before


def test_damaged_chunks_are_reported_not_returned() -> None:
    inner = MemoryStore()
    store = ChunkedStore(inner, 128)
    store.set("n", "access", LONG)
    chunk = next(k for k in inner.values if "#" in k[1])
    inner.values[chunk] = "x" + inner.values[chunk][1:]
    with pytest.raises(StorageUnavailable, match="does not match its manifest"):
        store.get("n", "access")
    del inner.values[chunk]
    with pytest.raises(StorageUnavailable, match="missing"):
        store.get("n", "access")


def test_chunk_limit_leaves_room_for_the_manifest() -> None:
    with pytest.raises(ValueError):
        ChunkedStore(MemoryStore(), 64)


# ------------------------------------------------------------- keyring store


def test_failed_plain_write_keeps_old_value() -> None:
    kr = MemoryKeyring()
    store = KeyringStore(backend=kr, service=SERVICE)
    store.set("n", "access", "old")
    kr.fail_after_sets = kr.sets
    with pytest.raises(StorageUnavailable):
        store.set("n", "access", "new")
    assert store.get("n", "access") == "old"


def test_locked_keyring_is_storage_unavailable() -> None:
    kr = MemoryKeyring()
    kr.locked = True
    store = KeyringStore(backend=kr, service=SERVICE)
    for call in (
        lambda: store.get("a", "access"),
        lambda: store.set("a", "access", "tok"),
        lambda: store.delete("a", "access"),
        store.probe,
    ):
        with pytest.raises(StorageUnavailable) as e:
            call()
        # The locked diagnosis (what is wrong and how to unlock), not the "no keyring" one.
        assert LOCKED_KEYRING in str(e.value)
        assert "the keyring is locked" in str(e.value) and "Unlock it" in str(e.value)
        assert "Start a Secret Service" not in str(e.value)
    assert kr.items == {}


def test_no_keyring_is_not_called_locked() -> None:
    class Gone(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            from keyring.errors import InitError

            raise InitError("no D-Bus session")

    with pytest.raises(StorageUnavailable) as e:
        KeyringStore(backend=Gone(), service=SERVICE).get("a", "access")
    assert "no keyring answers" in str(e.value) and "locked" not in str(e.value)


class FakePlaintextKeyring(MemoryKeyring):
    pass


FakePlaintextKeyring.__module__ = "keyrings.alt.file"


def test_insecure_backends_are_refused() -> None:
    from keyring.backends import fail, null

    plaintext = FakePlaintextKeyring()
    for backend in (plaintext, fail.Keyring(), null.Keyring()):
        store = KeyringStore(backend=backend, service=SERVICE)
        assert store.backend is backend
        assert not store.info().secure
        with pytest.raises(StorageUnavailable, match="not secure"):
            store.set("a", "access", "tok")
        with pytest.raises(StorageUnavailable, match="not secure"):
            store.get("a", "access")
    # The very backend the loop used was never called: nothing written, nothing read.
    assert plaintext.items == {}
    assert plaintext.sets == 0 and plaintext.gets == 0


def test_configured_backend_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """PYTHON_KEYRING_BACKEND wins over the Secret Service fast path (and is still vetted)."""
    import keyring.core

    from tokenmgr.core.stores.keyring_store import resolve_keyring_backend

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    backend = resolve_keyring_backend({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert type(backend).__module__ == "keyring.backends.fail"
    with pytest.raises(StorageUnavailable, match="not secure"):
        KeyringStore(backend=backend, service=SERVICE).check()


def test_linux_default_is_secret_service(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from tokenmgr.core.stores.keyring_store import resolve_keyring_backend

    if not sys.platform.startswith("linux"):
        pytest.skip("the Secret Service fast path is Linux-only")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")  # no keyringrc.cfg
    backend = resolve_keyring_backend({})
    # keyring's item layout without keyring's import chain (stores/secret_service.py)
    assert type(backend).__module__ == "tokenmgr.core.stores.secret_service"


def test_info_names_the_namespace(tmp_path: Path) -> None:
    info = KeyringStore(tmp_path / "h", backend=MemoryKeyring()).info()
    assert info.kind == "keyring"
    assert info.namespace == f"tokenmgr:{(tmp_path / 'h').resolve()}"
    assert info.session is None  # not a backend of ours: nothing to report


# ------------------------------------------------------------------ vault file

# Written by an earlier tokenmgr (passphrase "correct horse battery staple"):
# the format stays readable.
EARLIER_VAULT = {
    "format": "tokenmgr-vault",
    "version": 1,
    "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "lgHw8ushhooIqzeSCM//Xw=="},
    "cipher": "AES-256-GCM",
    "nonce": "43C9OUK+IFJJFoeb",
    "ciphertext": (
        "Ju22eWiS3njEzp3AX+NEK8tfTvKii71MR2jnOYMQPXD2nKMdS37YfUdNsKg48gV7tCzRVWmk+NrOqeTGum"
        "lK288j5Yp6sTo+ZqzsU1yz2v5QkYfkMWkbF3/N9Rdkg/UN9U+o5mq9r/vDC/SspCQdc3V6"
    ),
}


def test_vault_file_of_an_earlier_tokenmgr_opens(tmp_path: Path) -> None:
    (tmp_path / "secrets.vault").write_text(json.dumps(EARLIER_VAULT))
    store = EncryptedFileStore(tmp_path, passphrase=_passphrase("correct horse battery staple"))
    assert store.get("github", "access") == "ghp_OLDFORMAT_0123456789"
    assert store.get("long", "refresh") == "eyJ" + "é🔑" * 5
    store.set("new", "access", "n")  # written back in the same format, same key
    doc = json.loads((tmp_path / "secrets.vault").read_text())
    assert doc["format"] == "tokenmgr-vault" and doc["version"] == 1
    assert doc["kdf"]["salt"] == EARLIER_VAULT["kdf"]["salt"]  # type: ignore[index]
    again = EncryptedFileStore(tmp_path, passphrase=_passphrase("correct horse battery staple"))
    assert again.get("github", "access") == "ghp_OLDFORMAT_0123456789"
    assert again.get("new", "access") == "n"


def test_vault_file_wrong_passphrase_leaves_file(tmp_path: Path) -> None:
    secret = "ghp_CanaryValue123"
    EncryptedFileStore(tmp_path, passphrase=_passphrase("right")).set("a", "access", secret)
    path = tmp_path / "secrets.vault"
    before = path.read_bytes()
    wrong = EncryptedFileStore(tmp_path, passphrase=_passphrase("wrong"))
    for call in (
        lambda: wrong.get("a", "access"),
        lambda: wrong.set("b", "access", "x"),
        lambda: wrong.delete("a", "access"),
    ):
        with pytest.raises(StorageUnavailable, match="wrong passphrase"):
            call()
    assert path.read_bytes() == before
    assert secret.encode() not in before


def test_vault_file_detects_tampering(tmp_path: Path) -> None:
    s = EncryptedFileStore(tmp_path, passphrase=_passphrase("pw"))
    s.set("a", "access", "tok")
    path = tmp_path / "secrets.vault"
    doc = json.loads(path.read_text())
    doc["kdf"]["n"] = 2**14  # downgrade attempt: bound into the AAD
    path.write_text(json.dumps(doc))
    with pytest.raises(StorageUnavailable):
        EncryptedFileStore(tmp_path, passphrase=_passphrase("pw")).get("a", "access")


def test_vault_file_without_a_passphrase_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store never asks anyone, nor reads the environment, itself: with no source it
    names TOKENMGR_PASSPHRASE (which the command line takes and passes as a source)."""
    monkeypatch.setenv("TOKENMGR_PASSPHRASE", "pw")
    s = EncryptedFileStore(tmp_path)
    with pytest.raises(StorageUnavailable, match="TOKENMGR_PASSPHRASE"):
        s.set("a", "access", "x")
    assert not (tmp_path / "secrets.vault").exists()
    EncryptedFileStore(tmp_path, passphrase=_passphrase("pw")).set("a", "access", "x")
    before = (tmp_path / "secrets.vault").read_bytes()
    s = EncryptedFileStore(tmp_path)
    for call in (lambda: s.get("a", "access"), lambda: s.set("b", "access", "y"), s.probe):
        with pytest.raises(StorageUnavailable, match="TOKENMGR_PASSPHRASE"):
            call()
    assert (tmp_path / "secrets.vault").read_bytes() == before


def test_vault_file_source_errors_pass_through(tmp_path: Path) -> None:
    def refuses(new: bool) -> str:
        raise StorageUnavailable("the passphrases differ: the vault file was not created")

    s = EncryptedFileStore(tmp_path, passphrase=refuses)
    with pytest.raises(StorageUnavailable, match="passphrases differ"):
        s.set("a", "access", "x")
    assert not (tmp_path / "secrets.vault").exists()


def test_vault_file_asks_new_only_when_creating(tmp_path: Path) -> None:
    asked: list[bool] = []

    def source(new: bool) -> str:
        asked.append(new)
        return "pw"

    EncryptedFileStore(tmp_path, passphrase=source).set("a", "access", "x")
    EncryptedFileStore(tmp_path, passphrase=source).get("a", "access")
    assert asked == [True, False]


def _vault_doc(path: Path) -> dict[str, object]:
    doc = json.loads(path.read_text())
    assert isinstance(doc, dict)
    return doc


def test_vault_file_with_older_scrypt_parameters_stays_openable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vault written at N=2^14 is opened, written, and reopened: every value readable,
    the file re-keyed (new salt) at today's parameters. The key cache used to find the
    N=2^14 key by salt alone and encrypt under it while labelling the file N=2^15."""
    from tokenmgr.core.stores import vault_file

    pw = _passphrase("correct horse")
    current = (vault_file.SCRYPT_N, vault_file.SCRYPT_R, vault_file.SCRYPT_P)
    assert current[0] != 2**14
    monkeypatch.setattr(vault_file, "SCRYPT_N", 2**14)
    old = EncryptedFileStore(tmp_path, passphrase=pw)
    old.set("a", "access", "value-a")
    old.set("b", "refresh", LONG)
    path = tmp_path / "secrets.vault"
    old_kdf = _vault_doc(path)["kdf"]
    assert isinstance(old_kdf, dict) and old_kdf["n"] == 2**14
    monkeypatch.setattr(vault_file, "SCRYPT_N", current[0])  # today's parameters again

    store = EncryptedFileStore(tmp_path, passphrase=pw)
    assert store.get("a", "access") == "value-a"  # derives and caches the N=2^14 key
    store.set("c", "access", "value-c")  # written by the same instance, after that read
    store.set("a", "access", "value-a2")
    assert store.get("b", "refresh") == LONG

    reopened = EncryptedFileStore(tmp_path, passphrase=pw)  # a new process: no cached key
    assert reopened.get("a", "access") == "value-a2"
    assert reopened.get("b", "refresh") == LONG
    assert reopened.get("c", "access") == "value-c"
    assert store.get("c", "access") == "value-c"  # the writer reads its own file too
    kdf = _vault_doc(path)["kdf"]
    assert isinstance(kdf, dict)
    assert (kdf["n"], kdf["r"], kdf["p"]) == current
    assert kdf["salt"] != old_kdf["salt"]


def test_vault_file_at_current_parameters_keeps_its_salt(tmp_path: Path) -> None:
    store = EncryptedFileStore(tmp_path, passphrase=_passphrase("pw"))
    store.set("a", "access", "one")
    salt = _vault_doc(tmp_path / "secrets.vault")["kdf"]
    store.set("b", "access", "two")
    store.delete("a", "access")
    assert _vault_doc(tmp_path / "secrets.vault")["kdf"] == salt
    reopened = EncryptedFileStore(tmp_path, passphrase=_passphrase("pw"))
    assert reopened.get("b", "access") == "two" and reopened.get("a", "access") is None


@pytest.mark.parametrize(("key", "value"), [("n", 3), ("n", 2**40), ("r", 0), ("p", 10**6)])
def test_vault_file_with_unusable_scrypt_parameters_is_damaged(
    tmp_path: Path, key: str, value: int
) -> None:
    EncryptedFileStore(tmp_path, passphrase=_passphrase("pw")).set("a", "access", "tok")
    path = tmp_path / "secrets.vault"
    doc = json.loads(path.read_text())
    doc["kdf"][key] = value
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    store = EncryptedFileStore(tmp_path, passphrase=_passphrase("pw"))
    for call in (lambda: store.get("a", "access"), lambda: store.set("b", "access", "x")):
        with pytest.raises(StorageUnavailable, match="damaged.*left as it is"):
            call()
    assert path.read_bytes() == before


# ------------------------------------------------------------------ open_store


def test_open_store_picks_the_store(tmp_path: Path) -> None:
    keyring = open_store(tmp_path, {})
    assert isinstance(keyring, KeyringStore)
    assert keyring.service == f"tokenmgr:{tmp_path.resolve()}"
    file = open_store(tmp_path, {"TOKENMGR_STORE": "file"}, _passphrase("pw"))
    assert isinstance(file, EncryptedFileStore) and file.path == tmp_path / "secrets.vault"
    with pytest.raises(UsageError, match="'plaintext' is not a store"):
        open_store(tmp_path, {"TOKENMGR_STORE": "plaintext"})


def test_the_store_package_loads_no_backend() -> None:
    """Importing the package (what `list` does through the vault) loads no backend."""
    import subprocess
    import sys

    code = (
        "import sys\nimport tokenmgr.core.stores\n"
        "print(sorted(m for m in sys.modules if m.startswith('tokenmgr.core.stores.') "
        "or m.split('.')[0] in {'keyring', 'jeepney', 'secretstorage', 'cryptography'}))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['tokenmgr.core.stores.base']"
