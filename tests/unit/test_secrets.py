"""SecretStore contract (one mixin every backend passes), chunking, and the vault file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.secrets import (
    LOCKED_KEYRING,
    MANIFEST_MAGIC,
    EncryptedFileStore,
    KeyringStore,
    SecretStore,
    split_chunks,
    utf16_size,
)

LONG = "eyJ" + "é🔑x" * 3000  # multi-byte and astral characters across chunk edges


class StoreContract:
    """Every backend must pass these. Subclasses provide `store`."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        raise NotImplementedError

    def test_missing_is_none(self, store: SecretStore) -> None:
        assert store.get("nope", "access") is None

    def test_set_get_overwrite_delete(self, store: SecretStore) -> None:
        store.set("a", "access", "one")
        store.set("a", "refresh", "two")
        assert store.get("a", "access") == "one"
        store.set("a", "access", "three")
        assert store.get("a", "access") == "three"
        assert store.get("a", "refresh") == "two"
        store.delete("a", "access")
        assert store.get("a", "access") is None
        store.delete("a", "access")  # idempotent

    def test_long_and_unicode_values(self, store: SecretStore) -> None:
        store.set("long", "access", LONG)
        assert store.get("long", "access") == LONG
        store.set("long", "access", "short")
        assert store.get("long", "access") == "short"
        store.set("long", "access", LONG[::-1])
        assert store.get("long", "access") == LONG[::-1]
        store.delete("long", "access")
        assert store.get("long", "access") is None

    def test_info_is_secure(self, store: SecretStore) -> None:
        assert store.info().secure


class TestMemoryKeyringStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return KeyringStore(backend=MemoryKeyring())


class TestChunkedKeyringStore(StoreContract):
    """The Windows-limit path, with the limit lowered so it runs everywhere."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return KeyringStore(backend=MemoryKeyring(), max_value_bytes=128)


class TestEncryptedFileStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        return EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "correct horse"})


def test_split_chunks_respects_limit_and_code_points() -> None:
    for limit in (4, 6, 64, 2560):
        chunks = split_chunks(LONG, limit)
        assert "".join(chunks) == LONG
        assert all(utf16_size(c) <= limit for c in chunks)


def test_chunked_items_in_backend() -> None:
    kr = MemoryKeyring()
    store = KeyringStore(backend=kr, max_value_bytes=128)
    store.set("n", "access", LONG)
    main = kr.items[("tokenmgr", "n/access")]
    assert main.startswith(MANIFEST_MAGIC)
    assert all(utf16_size(v) <= 128 for v in kr.items.values())
    store.set("n", "access", LONG + "x")
    # the old generation's chunks were removed
    gens = {k[1].split("#")[1].split(".")[0] for k in kr.items if "#" in k[1]}
    assert len(gens) == 1
    store.delete("n", "access")
    assert kr.items == {}


@pytest.mark.parametrize("fail_at", [0, 1, 5, 50])
def test_failed_chunked_write_keeps_old_value(fail_at: int) -> None:
    kr = MemoryKeyring()
    store = KeyringStore(backend=kr, max_value_bytes=128)
    store.set("n", "access", LONG)
    before = dict(kr.items)
    kr.fail_after_sets = kr.sets + fail_at
    with pytest.raises(StorageUnavailable):
        store.set("n", "access", LONG[::-1])
    assert store.get("n", "access") == LONG
    assert kr.items == before  # partial chunks of the failed write were removed


def test_failed_plain_write_keeps_old_value() -> None:
    kr = MemoryKeyring()
    store = KeyringStore(backend=kr)
    store.set("n", "access", "old")
    kr.fail_after_sets = kr.sets
    with pytest.raises(StorageUnavailable):
        store.set("n", "access", "new")
    assert store.get("n", "access") == "old"


def test_locked_keyring_is_storage_unavailable() -> None:
    kr = MemoryKeyring()
    kr.locked = True
    store = KeyringStore(backend=kr)
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
        KeyringStore(backend=Gone()).get("a", "access")
    assert "no keyring answers" in str(e.value) and "locked" not in str(e.value)


class FakePlaintextKeyring(MemoryKeyring):
    pass


FakePlaintextKeyring.__module__ = "keyrings.alt.file"


def test_insecure_backends_are_refused() -> None:
    from keyring.backends import fail, null

    plaintext = FakePlaintextKeyring()
    for backend in (plaintext, fail.Keyring(), null.Keyring()):
        store = KeyringStore(backend=backend)
        assert store.backend is backend
        assert not store.info().secure
        with pytest.raises(StorageUnavailable, match="not secure"):
            store.set("a", "access", "tok")
        with pytest.raises(StorageUnavailable, match="not secure"):
            store.get("a", "access")
    # The very backend the loop used was never called: nothing written, nothing read.
    assert plaintext.items == {}
    assert plaintext.sets == 0 and plaintext.gets == 0


def test_vault_file_wrong_passphrase_leaves_file(tmp_path: Path) -> None:
    secret = "ghp_CanaryValue123"
    EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "right"}).set("a", "access", secret)
    path = tmp_path / "secrets.vault"
    before = path.read_bytes()
    wrong = EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "wrong"})
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
    import json

    s = EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "pw"})
    s.set("a", "access", "tok")
    path = tmp_path / "secrets.vault"
    doc = json.loads(path.read_text())
    doc["kdf"]["n"] = 2**14  # downgrade attempt: bound into the AAD
    path.write_text(json.dumps(doc))
    with pytest.raises(StorageUnavailable):
        EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "pw"}).get("a", "access")


def test_vault_file_without_passphrase_or_terminal(tmp_path: Path) -> None:
    def no_tty(new: bool) -> str:
        raise StorageUnavailable("the vault file needs its passphrase: set TOKENMGR_PASSPHRASE")

    s = EncryptedFileStore(tmp_path, env={}, passphrase=no_tty)
    with pytest.raises(StorageUnavailable, match="TOKENMGR_PASSPHRASE"):
        s.set("a", "access", "x")
    assert not (tmp_path / "secrets.vault").exists()


def test_configured_backend_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """PYTHON_KEYRING_BACKEND wins over the Secret Service fast path (and is still vetted)."""
    import keyring.core

    from tokenmgr.core.secrets import resolve_keyring_backend

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    backend = resolve_keyring_backend({"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert type(backend).__module__ == "keyring.backends.fail"
    with pytest.raises(StorageUnavailable, match="not secure"):
        KeyringStore(backend=backend).check()


def test_linux_default_is_secret_service(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from tokenmgr.core.secrets import resolve_keyring_backend

    if not sys.platform.startswith("linux"):
        pytest.skip("the Secret Service fast path is Linux-only")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")  # no keyringrc.cfg
    backend = resolve_keyring_backend({})
    # keyring's item layout without keyring's import chain (tokenmgr/core/secretservice.py)
    assert type(backend).__module__ == "tokenmgr.core.secretservice"


def _vault_doc(path: Path) -> dict[str, object]:
    import json

    doc = json.loads(path.read_text())
    assert isinstance(doc, dict)
    return doc


def test_vault_file_with_older_scrypt_parameters_stays_openable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vault written at N=2^14 is opened, written, and reopened: every value readable,
    the file re-keyed (new salt) at today's parameters. The key cache used to find the
    N=2^14 key by salt alone and encrypt under it while labelling the file N=2^15."""
    from tokenmgr.core import secrets as secrets_mod

    env = {"TOKENMGR_PASSPHRASE": "correct horse"}
    current = (secrets_mod.SCRYPT_N, secrets_mod.SCRYPT_R, secrets_mod.SCRYPT_P)
    assert current[0] != 2**14
    monkeypatch.setattr(secrets_mod, "SCRYPT_N", 2**14)
    old = EncryptedFileStore(tmp_path, env=env)
    old.set("a", "access", "value-a")
    old.set("b", "refresh", LONG)
    path = tmp_path / "secrets.vault"
    old_kdf = _vault_doc(path)["kdf"]
    assert isinstance(old_kdf, dict) and old_kdf["n"] == 2**14
    monkeypatch.setattr(secrets_mod, "SCRYPT_N", current[0])  # today's parameters again

    store = EncryptedFileStore(tmp_path, env=env)
    assert store.get("a", "access") == "value-a"  # derives and caches the N=2^14 key
    store.set("c", "access", "value-c")  # written by the same instance, after that read
    store.set("a", "access", "value-a2")
    assert store.get("b", "refresh") == LONG

    reopened = EncryptedFileStore(tmp_path, env=env)  # a new process: no cached key
    assert reopened.get("a", "access") == "value-a2"
    assert reopened.get("b", "refresh") == LONG
    assert reopened.get("c", "access") == "value-c"
    assert store.get("c", "access") == "value-c"  # the writer reads its own file too
    kdf = _vault_doc(path)["kdf"]
    assert isinstance(kdf, dict)
    assert (kdf["n"], kdf["r"], kdf["p"]) == current
    assert kdf["salt"] != old_kdf["salt"]


def test_vault_file_at_current_parameters_keeps_its_salt(tmp_path: Path) -> None:
    env = {"TOKENMGR_PASSPHRASE": "pw"}
    store = EncryptedFileStore(tmp_path, env=env)
    store.set("a", "access", "one")
    salt = _vault_doc(tmp_path / "secrets.vault")["kdf"]
    store.set("b", "access", "two")
    store.delete("a", "access")
    assert _vault_doc(tmp_path / "secrets.vault")["kdf"] == salt
    reopened = EncryptedFileStore(tmp_path, env=env)
    assert reopened.get("b", "access") == "two" and reopened.get("a", "access") is None


@pytest.mark.parametrize(("key", "value"), [("n", 3), ("n", 2**40), ("r", 0), ("p", 10**6)])
def test_vault_file_with_unusable_scrypt_parameters_is_damaged(
    tmp_path: Path, key: str, value: int
) -> None:
    import json

    EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "pw"}).set("a", "access", "tok")
    path = tmp_path / "secrets.vault"
    doc = json.loads(path.read_text())
    doc["kdf"][key] = value
    path.write_text(json.dumps(doc))
    before = path.read_bytes()
    store = EncryptedFileStore(tmp_path, env={"TOKENMGR_PASSPHRASE": "pw"})
    for call in (lambda: store.get("a", "access"), lambda: store.set("b", "access", "x")):
        with pytest.raises(StorageUnavailable, match="damaged.*left as it is"):
            call()
    assert path.read_bytes() == before
