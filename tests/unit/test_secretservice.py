"""The Secret Service client's pieces that need no daemon: the session crypto
(checked against secretstorage, which keyring's backend uses), the errors when
there is no bus, and when the fast path is taken instead of keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tokenmgr.core import secretservice as ss
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.secrets import KeyringStore, resolve_keyring_backend

ROOT = Path(__file__).resolve().parents[2]


def test_dh_group_is_secretstorages() -> None:
    from secretstorage.dhcrypto import DH_PRIME_1024

    assert ss.DH_PRIME == DH_PRIME_1024


def test_session_key_and_cipher_match_secretstorage() -> None:
    """Same key from the same exchange, and each side decrypts the other's secret."""
    from secretstorage.dhcrypto import Session
    from secretstorage.util import format_secret

    theirs = Session()
    server_private = int.from_bytes(os.urandom(128), "big")
    server_public = pow(2, server_private, ss.DH_PRIME)
    theirs.set_server_public_key(server_public)
    shared = pow(theirs.my_public_key, server_private, ss.DH_PRIME).to_bytes(128, "big")
    key = ss._hkdf_sha256_16(shared)
    assert key == theirs.aes_key

    theirs.object_path = "/s"
    for secret in ("", "x", "a" * 16, "ghp_" + "é🔑" * 40):
        _path, iv, ciphertext, _ctype = format_secret(theirs, secret.encode(), "text/plain")
        assert ss.decrypt_secret(key, iv, ciphertext) == secret.encode()
        iv, ciphertext = ss.encrypt_secret(key, secret.encode())
        assert len(ciphertext) % 16 == 0 and len(ciphertext) > len(secret.encode())
        assert ss.decrypt_secret(key, iv, ciphertext) == secret.encode()


def test_malformed_ciphertext_is_refused() -> None:
    key = os.urandom(16)
    iv, ciphertext = ss.encrypt_secret(key, b"token")
    with pytest.raises(ss.SecretServiceError):
        ss.decrypt_secret(os.urandom(16), iv, ciphertext)  # wrong key: padding garbage
    with pytest.raises(ss.SecretServiceError):
        ss.decrypt_secret(key, iv, ciphertext[:-1])
    with pytest.raises(ss.SecretServiceError):
        ss.decrypt_secret(key, b"short", ciphertext)


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
            call(KeyringStore(backend=ss.SecretServiceKeyring(env)))
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
        KeyringStore(backend=backend).get("a", "access")


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
        "from tokenmgr.core.secrets import KeyringStore\n"
        "from tokenmgr.core.errors import StorageUnavailable\n"
        "store = KeyringStore()\n"
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
    assert r.stdout.splitlines() == ["tokenmgr.core.secretservice", "[]"]
