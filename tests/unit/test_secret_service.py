"""The Secret Service client's pieces that need no daemon: the session crypto
(dh_session.py, checked against secretstorage's), the errors when there is no bus,
and when the fast path is taken instead of keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores import secret_service as ss
from tokenmgr.core.stores.keyring_store import KeyringStore, resolve_keyring_backend

ROOT = Path(__file__).resolve().parents[2]


def test_the_session_crypto_agrees_with_secretstorage_and_the_specification() -> None:
    """Our half of `dh-ietf1024-sha256-aes128-cbc-pkcs7` against secretstorage's (an
    independent implementation, the one keyring's backend uses) and the specification's
    algorithm computed here from scratch: the group, the HKDF-SHA256 AES-128 key on both
    sides of the exchange, and secrets encrypted by either side decrypting on the other."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from secretstorage.dhcrypto import DH_PRIME_1024, Session
    from secretstorage.util import format_secret

    from tokenmgr.core.stores import dh_session

    # RFC 2409's second Oakley group, the one the specification names.
    assert dh_session.PRIME == DH_PRIME_1024
    ours = dh_session.Exchange()
    assert ours.private.bit_length() == dh_session.PRIVATE_BITS
    theirs = Session()  # the service's side, as secretstorage would be
    key = ours.key(theirs.my_public_key.to_bytes(128, "big"))
    theirs.set_server_public_key(int.from_bytes(ours.public, "big"))
    assert theirs.aes_key == key
    shared = pow(theirs.my_public_key, ours.private, DH_PRIME_1024).to_bytes(128, "big")
    prk = hmac.new(b"\0" * 32, shared, hashlib.sha256).digest()
    assert key == hmac.new(prk, b"\x01", hashlib.sha256).digest()[:16]
    theirs.object_path = "/org/freedesktop/secrets/session/s1"
    for secret in (b"", b"x", b"a" * 16, "ghp_é🔑".encode() * 40):
        _path, iv, ciphertext, _ctype = format_secret(theirs, secret, "text/plain")
        assert dh_session.decrypt(key, iv, ciphertext) == secret
        iv, ciphertext = dh_session.encrypt(key, secret)
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        assert unpadder.update(padded) + unpadder.finalize() == secret


def test_a_peer_value_that_makes_the_secret_public_is_refused() -> None:
    from tokenmgr.core.stores import dh_session

    ours = dh_session.Exchange()
    for bad in (0, 1, dh_session.PRIME - 1, dh_session.PRIME, dh_session.PRIME + 1):
        with pytest.raises(dh_session.SessionKeyError):
            ours.key(bad.to_bytes(129, "big"))


def test_read_secrets_decrypt_and_malformed_ones_are_refused() -> None:
    """What `format_secret` (the service's side of the cipher) makes, `decrypt` reads
    back; a wrong key, a cut ciphertext or a short IV is an error, not garbage."""
    from secretstorage.dhcrypto import Session
    from secretstorage.util import format_secret

    from tokenmgr.core.stores import dh_session

    session = Session()
    session.set_server_public_key(
        pow(2, int.from_bytes(os.urandom(32), "big"), dh_session.PRIME)
    )
    session.object_path = "/s"
    assert session.aes_key is not None
    for secret in (b"", b"x", b"a" * 16, "ghp_é🔑".encode() * 40):
        _path, iv, ciphertext, _ctype = format_secret(session, secret, "text/plain")
        assert dh_session.decrypt(session.aes_key, iv, ciphertext) == secret
    _path, iv, ciphertext, _ctype = format_secret(session, b"token", "text/plain")
    for key, iv_, data in (
        (os.urandom(16), iv, ciphertext),  # wrong key: the padding is garbage
        (session.aes_key, iv, ciphertext[:-1]),
        (session.aes_key, b"short", ciphertext),
    ):
        with pytest.raises(dh_session.SessionKeyError, match="malformed"):
            dh_session.decrypt(key, iv_, data)


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({}, "DBUS_SESSION_BUS_ADDRESS is unset"),
        ({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}, "cannot connect"),
    ],
)
def test_no_bus_is_storage_unavailable(env: dict[str, str], why: str) -> None:
    backend = ss.SecretServiceKeyring(env)
    with pytest.raises(ss.SecretServiceUnavailable, match=why):
        backend.get_password("tokenmgr", "a/access")
    for call in (
        lambda s: s.get("a", "access"),
        lambda s: s.set("a", "access", "tok"),
        lambda s: s.delete("a", "access"),
        lambda s: s.probe(),
    ):
        with pytest.raises(StorageUnavailable) as e:
            call(KeyringStore(backend=ss.SecretServiceKeyring(env), service="tokenmgr:/x"))
        assert "no keyring answers" in str(e.value) and "TOKENMGR_STORE=file" in str(e.value)


def test_a_keyring_configuration_is_honoured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A keyringrc.cfg (where keyring looks for it) sends tokenmgr through keyring,
    whose backend is then vetted like any other."""
    import keyring.core

    if not sys.platform.startswith("linux"):
        pytest.skip("the Secret Service fast path is Linux-only")
    config = tmp_path / "python_keyring" / "keyringrc.cfg"
    config.parent.mkdir()
    config.write_text("[backend]\ndefault-keyring = keyring.backends.null.Keyring\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    backend = resolve_keyring_backend({})
    assert type(backend).__module__ == "keyring.backends.null"
    with pytest.raises(StorageUnavailable, match="not secure"):
        KeyringStore(backend=backend, service="tokenmgr:/x").get("a", "access")


def test_keyring_properties_go_to_keyrings_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """KEYRING_PROPERTY_* (e.g. another collection) is keyring configuration too."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the Secret Service fast path is Linux-only")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    monkeypatch.setenv("KEYRING_PROPERTY_PREFERRED_COLLECTION", "/org/freedesktop/secrets/x")
    backend = resolve_keyring_backend({})
    assert type(backend).__module__ == "keyring.backends.SecretService"
    assert backend.preferred_collection == "/org/freedesktop/secrets/x"


def test_fast_path_imports_no_keyring() -> None:
    """Resolving the backend and failing to reach a bus never imports keyring's chain."""
    code = (
        "import sys\n"
        "from tokenmgr.core.stores.keyring_store import KeyringStore\n"
        "from tokenmgr.core.errors import StorageUnavailable\n"
        "store = KeyringStore(service='tokenmgr:/x')\n"
        "print(type(store.backend).__module__)\n"
        "try:\n"
        "    store.get('a', 'access')\n"
        "except StorageUnavailable:\n"
        "    pass\n"
        "heavy = {'keyring', 'secretstorage', 'jaraco', 'importlib_metadata', 'email'}\n"
        "print(sorted({m for m in sys.modules if m.split('.')[0] in heavy or "
        "m == 'urllib.request'}))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHON_KEYRING_BACKEND" and not k.startswith("KEYRING_PROPERTY_")
    }
    env.update(
        DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus",
        XDG_CONFIG_HOME="/nonexistent",
        PYTHONPATH=str(ROOT),
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["tokenmgr.core.stores.secret_service", "[]"]
