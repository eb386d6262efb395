"""A demo vault for screenshots and GUI tests: a few tokens of every kind and status.

    python tests/support/demo.py HOME      # a file-store vault (passphrase "demo-passphrase")

The JWTs carry a fake signature (they decode; "Verify" says Invalid): the demo
needs no network and no keys.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet  # noqa: E402
from tokenmgr.core.vault import Vault  # noqa: E402
from tokenmgr.gui.settings import Settings, SettingsFile  # noqa: E402

PASSPHRASE = "demo-passphrase"
GITHUB = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
STRIPE = "sk_live_51Hq2RqLkdIwHu7ixA7fEXAMPLEonlyNOTreal"


def _b64(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_token(claims: dict[str, Any], kid: str = "k1", alg: str = "RS256") -> str:
    """A JWS-shaped token with a fake signature."""
    sig = base64.urlsafe_b64encode(b"not-a-real-signature-" * 8).rstrip(b"=").decode()
    return f"{_b64({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}.{sig}"


def ts(delta: timedelta, now: datetime | None = None) -> int:
    return int(((now or datetime.now(UTC)) + delta).timestamp())


def build(vault: Vault, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    # The app would ask GitHub about github-ci's (made-up) token in the background, and
    # the pane would grow a line when the answer came: the demo asks no real provider.
    SettingsFile(vault.home).save(Settings(check_providers=False))
    vault.add("github-ci", GITHUB, service="GitHub", expires_at=now + timedelta(days=29),
              note="CI runner for the monorepo", tags=["ci"])
    vault.add(
        "api-prod",
        jwt_token({
            "iss": "https://auth.acme.example/",
            "sub": "svc-deploy",
            "aud": "https://api.acme.example",
            "iat": ts(timedelta(hours=-1), now),
            "exp": ts(timedelta(hours=3, minutes=12), now),
            "scope": "deploy:write logs:read",
            "jti": "9f1c2e",
        }),
        service="Acme",
        tags=["prod"],
    )
    vault.add("old-key", STRIPE, service="Stripe", expires_at=now - timedelta(days=2))
    vault.add("sandbox", "opaque-sandbox-token-0123456789", service="Sandbox")
    access = jwt_token({
        "iss": "https://login.acme.example",
        "sub": "1234",
        "aud": "api",
        "azp": "tokenmgr-desktop",
        "iat": ts(timedelta(minutes=-56), now),
        "exp": ts(timedelta(minutes=4), now),
        "scope": "openid profile api",
    })
    id_token = jwt_token({
        "iss": "https://login.acme.example",
        "sub": "1234",
        "aud": "tokenmgr-desktop",
        "iat": ts(timedelta(minutes=-56), now),
        "exp": ts(timedelta(minutes=4), now),
        "name": "Ada Lovelace",
        "email": "ada@acme.example",
        "nonce": "n-0S6_WzA2Mj",
    })
    entry = Entry(
        name="staging",
        kind="oauth2",
        service="Acme",
        issued_at=now - timedelta(minutes=56),
        oauth=OAuthConfig(issuer="https://login.acme.example", client_id="tokenmgr-desktop",
                          scopes=["openid", "profile", "api"]),
    )
    vault.save_tokens(entry, TokenSet(access=access, refresh="refresh-" + "x" * 40, id=id_token))


def main() -> int:
    from tokenmgr.core.stores.vault_file import EncryptedFileStore

    home = Path(sys.argv[1])
    store = EncryptedFileStore(home, passphrase=lambda _new: PASSPHRASE)
    build(Vault(home=home, store=store))
    print(f"demo vault in {home} (TOKENMGR_STORE=file, passphrase {PASSPHRASE!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
