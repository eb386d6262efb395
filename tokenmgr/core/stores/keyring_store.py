"""Secrets as items of the operating system's keyring, one namespace per home.

Each value is one keyring item: service = the home's namespace (`namespace.py`:
`tokenmgr:` and the home's absolute path), username `NAME/FIELD`. Values go
through the `keyring` library's backend interface; on Linux, unless keyring is
configured otherwise, through this package's own Secret Service client
(`secret_service.py`), which keeps the items keyring's backend would.

There is no plaintext fallback: a backend that is not secure (keyrings.alt's
files, the null and fail backends) is refused before any call.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores.base import StoreInfo, item_key

log = logging.getLogger(__name__)

FIX_KEYRING = (
    "Start a Secret Service (gnome-keyring, KeePassXC) and unlock it, "
    "or opt in to the encrypted vault file with TOKENMGR_STORE=file."
)
# A keyring that answers but is locked needs unlocking, not installing: its own diagnosis.
LOCKED_KEYRING = (
    "the keyring is locked (or its unlock prompt was dismissed or could not be shown). "
    'Unlock it and try again: unlock the login keyring in Seahorse ("Passwords and Keys") '
    "or KeePassXC, or log in to the desktop session again; without a desktop, "
    "`gnome-keyring-daemon --unlock` reads the keyring password on stdin. "
    "Or opt in to the encrypted vault file with TOKENMGR_STORE=file."
)
PLAIN_SESSION = (
    "the Secret Service offers only unencrypted ('plain') sessions, and tokenmgr never "
    "sends a secret over D-Bus in the clear. Use a Secret Service that encrypts its "
    "sessions (gnome-keyring, KeePassXC, KWallet 5.97 or later), "
    "or opt in to the encrypted vault file with TOKENMGR_STORE=file."
)
PROBE_KEY = item_key("__tokenmgr_probe__", "probe")


def _is_insecure_backend(backend: Any) -> bool:
    module = type(backend).__module__
    name = type(backend).__name__
    if module.startswith("keyrings.alt") or module.startswith("keyring.backends.null"):
        return True
    if module.startswith("keyring.backends.fail"):
        return True
    if "plaintext" in name.lower():
        return True
    if module.startswith("keyring.backends.chainer"):
        chain = list(getattr(backend, "backends", []))
        return not chain or any(_is_insecure_backend(b) for b in chain)
    return False


def _keyringrc_exists() -> bool:
    """Whether a keyring configuration file exists where keyring looks for one.

    keyring's own `keyring.util.platform_.config_root()` is not used: importing
    it imports keyring's whole chain, which is what the fast path avoids.
    """
    if sys.platform.startswith("linux"):
        # keyring's _config_root_Linux: $XDG_CONFIG_HOME (it reads os.environ), else ~/.config.
        root = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return (Path(root) / "python_keyring" / "keyringrc.cfg").exists()
    try:
        from keyring.util import platform_

        return (Path(platform_.config_root()) / "keyringrc.cfg").exists()
    except Exception:
        return False


def resolve_keyring_backend(env: Mapping[str, str]) -> Any:
    """The keyring backend to use.

    On Linux with no keyring configuration (no PYTHON_KEYRING_BACKEND, no
    keyringrc.cfg), talk to the Secret Service directly (`secret_service.py`):
    the same items keyring's SecretService backend reads and writes, without
    keyring's discovery (it scans every installed distribution's entry points and
    probes each backend) or its import chain, both of which cost more than the
    secret read. Anything configured goes through keyring, and is vetted;
    KEYRING_PROPERTY_* settings (another collection, another attribute scheme)
    go to keyring's own Secret Service backend, which reads them.
    """
    try:
        if (
            sys.platform.startswith("linux")
            and not env.get("PYTHON_KEYRING_BACKEND")
            and not _keyringrc_exists()
        ):
            import importlib.util

            # keyring's backends read KEYRING_PROPERTY_* from os.environ. (jeepney and
            # secretstorage come with keyring on Linux; without them, keyring's backend.)
            configured = any(k.startswith("KEYRING_PROPERTY_") for k in (*env, *os.environ))
            if configured or importlib.util.find_spec("secretstorage") is None:
                from keyring.backends import SecretService

                return SecretService.Keyring()  # type: ignore[no-untyped-call]
            from tokenmgr.core.stores.secret_service import SecretServiceKeyring

            return SecretServiceKeyring(env)
        import keyring

        return keyring.get_keyring()
    except Exception as e:
        raise StorageUnavailable(f"no usable keyring backend ({e}). {FIX_KEYRING}") from None


class _NoKeyringErrors:
    """Stands in for `keyring.errors` when keyring was never imported: then no
    exception can be one of its classes, and nothing matches these."""

    class KeyringLocked(Exception): ...

    class NoKeyringError(Exception): ...

    class InitError(Exception): ...

    class PasswordDeleteError(Exception): ...


def _short(e: BaseException) -> str:
    text = str(e).replace("\n", " ")
    return text[:200]


class KeyringStore:
    """Secrets as keyring items: service = this home's namespace, username `NAME/FIELD`.

    The namespace comes from `home` (by default the home `env` names); `service`
    sets it outright instead (tests use throw-away namespaces). In the default
    home, the first use moves the items its index lists out of the layout all
    homes used to share (`namespace.py`).
    """

    def __init__(
        self,
        home: Path | None = None,
        *,
        backend: Any = None,
        env: Mapping[str, str] | None = None,
        service: str | None = None,
    ) -> None:
        from tokenmgr.core.stores import namespace

        self._backend = backend
        self._env = os.environ if env is None else env
        self.home: Path | None = None
        if service is None:
            if home is None:
                from tokenmgr.core import paths

                home = paths.home(self._env)
            self.home = home
            service = namespace.service_for(home)
        self.service = service
        # None: the home's layout was not checked yet in this process; True once
        # its marker is written (the home has moved to its own namespace).
        self._layout: namespace.Layout | None = None
        self._answered = False  # set by the first backend call that succeeds

    @property
    def backend(self) -> Any:
        if self._backend is None:
            self._backend = resolve_keyring_backend(self._env)
        return self._backend

    def info(self) -> StoreInfo:
        b = self.backend
        name = f"{type(b).__module__}.{type(b).__name__}"
        session = getattr(b, "session_algorithm", None)
        return StoreInfo(
            "keyring", name, not _is_insecure_backend(b), namespace=self.service, session=session
        )

    def check(self) -> None:
        if _is_insecure_backend(self.backend):
            b = self.backend
            raise StorageUnavailable(
                f"the keyring backend {type(b).__module__}.{type(b).__name__} is not secure "
                f"(it would keep tokens in plaintext or nowhere). {FIX_KEYRING}"
            )

    def probe(self, *, protect: bool = True) -> None:
        """Answers, is unlocked, and (on the Secret Service, with `protect`) offers an
        encrypted session."""
        self.check()
        if not self._answered:  # a store that answered in this process needs no extra call
            self.raw_get(self.service, PROBE_KEY)
        from tokenmgr.core.stores.secret_service import SecretServiceKeyring

        if protect and isinstance(self.backend, SecretServiceKeyring):
            with self._calls("protect"):
                self.backend.open_session()
        self._ready()

    # ------------------------------------------------------------ the protocol

    def get(self, name: str, field: str) -> str | None:
        self.check()
        self._ready()
        return self.raw_get(self.service, item_key(name, field))

    def set(self, name: str, field: str, value: str) -> None:
        self.check()
        layout = self._ready()
        self.raw_set(self.service, item_key(name, field), value)
        if layout is not None:
            layout.written()

    def delete(self, name: str, field: str) -> None:
        self.check()
        self._ready()
        self.raw_delete(self.service, item_key(name, field))

    def _ready(self) -> Any:
        """This home's layout, checked once per process (and its old items moved)."""
        if self.home is None:
            return None
        if self._layout is None:
            from tokenmgr.core.stores import namespace

            layout = namespace.Layout(self.home, self.service)
            layout.ready(self)
            self._layout = layout
        return self._layout

    # ------------------------------------------------------ items, by service

    @contextlib.contextmanager
    def _calls(self, action: str) -> Iterator[None]:
        """Map every backend failure to one StorageUnavailable that names the fix."""
        try:
            yield
        except StorageUnavailable:
            raise
        except Exception as e:
            from tokenmgr.core.stores import secret_service as ss

            # A keyring backend's exception means keyring is loaded: never import it here.
            kerr: Any = sys.modules.get("keyring.errors") or _NoKeyringErrors
            if isinstance(e, ss.SecretServicePlainOnly):
                raise StorageUnavailable(f"cannot {action} the secret: {PLAIN_SESSION}") from None
            if isinstance(e, kerr.KeyringLocked | ss.SecretServiceLocked):
                raise StorageUnavailable(f"cannot {action} the secret: {LOCKED_KEYRING}") from None
            unavailable = kerr.NoKeyringError | kerr.InitError | ss.SecretServiceUnavailable
            if isinstance(e, unavailable) or (
                type(e).__name__ == "SecretServiceNotAvailableException"
            ):
                why = f"no keyring answers ({_short(e)})"
            else:
                why = f"the keyring refused to {action} ({type(e).__name__}: {_short(e)})"
            raise StorageUnavailable(f"cannot {action} the secret: {why}. {FIX_KEYRING}") from None

    def raw_get(self, service: str, username: str) -> str | None:
        log.debug("keyring read %s/%s via %s", service, username, type(self.backend).__name__)
        with self._calls("read"):
            value = self.backend.get_password(service, username)
        self._answered = True
        return None if value is None else str(value)

    def raw_set(self, service: str, username: str, value: str) -> None:
        log.debug("keyring write %s/%s (%d chars)", service, username, len(value))
        with self._calls("store"):
            self.backend.set_password(service, username, value)
        self._answered = True

    def raw_delete(self, service: str, username: str) -> None:
        from tokenmgr.core.stores.secret_service import ItemNotFound

        log.debug("keyring delete %s/%s", service, username)
        with self._calls("delete"):
            try:
                self.backend.delete_password(service, username)
            except Exception as e:
                kerr: Any = sys.modules.get("keyring.errors") or _NoKeyringErrors
                if isinstance(e, ItemNotFound | kerr.PasswordDeleteError):
                    return  # already gone: deleting is idempotent
                raise
        self._answered = True
