"""`tokenmgr decode --verify` against the REAL oidc-provider (tests/oidc-server).

Real ID tokens (RS256 and ES256) and real JWT access tokens (RS256 and ES256, via
resource indicators) are verified against the provider's published JWKS, found
through its discovery document, by running the `tokenmgr` CLI as a subprocess.
Forgeries built from those real tokens must fail. Only a pinned key source
(`--issuer`, `--jwks`, or the issuer of an OAuth entry in the vault, here made by a
real `tokenmgr login`) exits 0; keys found through the token's own `iss` do not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from tests.support.jwt_helpers import Keys, KeyServer, b64u, b64u_json, sign
from tests.support.oauth import cc_args, jwt_claims, jwt_header, tm
from tests.support.oidc_server import API_ES256, API_RS256, CC_SECRET, OIDCServer


def decode(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any], str]:
    """Run `tokenmgr decode --json ARGS`; the token goes on stdin when given."""
    cmd = [sys.executable, "-m", "tokenmgr", "decode", "--json", *args]
    if stdin is not None:
        cmd.append("-")
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout), p.stderr


@pytest.fixture(scope="module")
def tokens(oidc_server: OIDCServer) -> dict[str, str]:
    native = oidc_server.get_tokens(client="tokenmgr-native", scope="openid email")
    es = oidc_server.get_tokens(client="tokenmgr-es256", scope="openid")
    return {
        "id_rs256": native["id_token"],
        "id_es256": es["id_token"],
        "opaque_at": native["access_token"],
        "at_rs256": oidc_server.get_tokens(client="tokenmgr-cc", resource=API_RS256)[
            "access_token"
        ],
        "at_es256": oidc_server.get_tokens(client="tokenmgr-cc", resource=API_ES256)[
            "access_token"
        ],
    }


@pytest.mark.parametrize(
    ("name", "alg"),
    [("id_rs256", "RS256"), ("id_es256", "ES256"), ("at_rs256", "RS256"), ("at_es256", "ES256")],
)
def test_real_tokens_verify_with_the_issuers_keys(
    oidc_server: OIDCServer, tokens: dict[str, str], name: str, alg: str
) -> None:
    token = tokens[name]
    assert jwt_header(token)["alg"] == alg
    status, doc, err = decode("--verify", "--issuer", oidc_server.issuer, stdin=token)
    assert status == 0, err
    assert doc["kind"] == "jws"
    assert doc["signature"] == "verified"
    assert doc["pinned"] is True
    assert doc["status"] in ("valid", "expiring")
    v = doc["verification"]
    assert v["pinned"] is True
    assert v["alg"] == alg
    assert v["kid"] == jwt_header(token).get("kid")
    assert v["key_source"] == "issuer"
    assert v["issuer"] == oidc_server.issuer
    assert v["jwks_uri"] == oidc_server.jwks_uri
    assert v["stale"] is False
    assert doc["claims"] == jwt_claims(token)


@pytest.mark.parametrize("name", ["id_rs256", "at_es256"])
def test_real_tokens_via_their_own_iss_verify_but_are_not_pinned(
    oidc_server: OIDCServer, tokens: dict[str, str], name: str
) -> None:
    """No --issuer: the token's iss (http on 127.0.0.1) leads to discovery → jwks_uri, and
    the signature checks out, but nothing the user chose says this issuer is trusted."""
    status, doc, err = decode("--verify", stdin=tokens[name])
    assert status == 6, err
    assert doc["signature"] == "verified"
    assert doc["pinned"] is False
    assert doc["verification"]["key_source"] == "token_iss"
    assert doc["verification"]["jwks_uri"] == oidc_server.jwks_uri
    assert f"{oidc_server.issuer!r} is not pinned" in err
    assert f"--issuer {oidc_server.issuer}" in err


def test_an_oauth_entry_for_the_issuer_pins_it(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    """A real `tokenmgr login` stores an OAuth entry for the provider (real keyring);
    its issuer then pins the provider's keys for `decode --verify` without --issuer."""
    r = tm(cli_env, *cc_args(oidc_server.issuer, "--resource", API_RS256), stdin=CC_SECRET + "\n")
    assert r.returncode == 0, r.stderr
    at = tm(cli_env, "get", "svc").stdout.strip()
    p = tm(cli_env, "decode", "--json", "--verify", "-", stdin=at)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    v = doc["verification"]
    assert v["key_source"] == "vault_issuer" and v["pinned_by"] == "svc"
    assert v["issuer"] == oidc_server.issuer and v["jwks_uri"] == oidc_server.jwks_uri


def test_human_output_of_a_real_id_token(oidc_server: OIDCServer, tokens: dict[str, str]) -> None:
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "tokenmgr",
            "decode",
            "--verify",
            "--issuer",
            oidc_server.issuer,
            "-",
        ],
        input=tokens["id_es256"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert "Signature:  verified (ES256" in p.stdout
    assert oidc_server.jwks_uri in p.stdout
    assert "expires in" in p.stdout


def test_audience(oidc_server: OIDCServer, tokens: dict[str, str]) -> None:
    at = tokens["at_rs256"]
    assert decode("--issuer", oidc_server.issuer, "--audience", API_RS256, stdin=at)[0] == 0
    status, doc, err = decode("--issuer", oidc_server.issuer, "--audience", API_ES256, stdin=at)
    assert status == 6 and doc["signature"] == "invalid"
    assert "audience" in err
    id_aud = jwt_claims(tokens["id_es256"])["aud"]
    issuer = oidc_server.issuer
    assert decode("--issuer", issuer, "--audience", id_aud, stdin=tokens["id_es256"])[0] == 0
    # --audience alone finds the keys through the token's own iss: not pinned.
    status, doc, err = decode("--audience", id_aud, stdin=tokens["id_es256"])
    assert status == 6 and doc["signature"] == "verified" and doc["pinned"] is False
    assert "not pinned" in err


@pytest.mark.parametrize("name", ["id_rs256", "at_es256"])
def test_tampered_real_tokens_are_invalid(
    oidc_server: OIDCServer, tokens: dict[str, str], name: str
) -> None:
    h, _, s = tokens[name].split(".")
    forged = f"{h}.{b64u_json({**jwt_claims(tokens[name]), 'sub': 'admin'})}.{s}"
    status, doc, _ = decode("--verify", "--issuer", oidc_server.issuer, stdin=forged)
    assert status == 6
    assert doc["signature"] == "invalid"


def _provider_rsa_pem(oidc_server: OIDCServer, kid: str) -> bytes:
    from jwt.algorithms import RSAAlgorithm

    jwks = requests.get(oidc_server.jwks_uri, timeout=10).json()
    jwk = next(k for k in jwks["keys"] if k.get("kid") == kid)
    pub = RSAAlgorithm.from_jwk(jwk)
    return pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_hs256_signed_with_the_providers_public_key_is_never_verified(
    oidc_server: OIDCServer, tokens: dict[str, str]
) -> None:
    """The alg-confusion forgery: an issuer's keys cannot check HMAC, so the verdict is
    "unverifiable" (only a shared secret could check it), never "verified"; and the
    provider's public key given as the key is never used as an HMAC secret."""
    from tokenmgr.core import jwt_inspect
    from tokenmgr.core.jwt_inspect.keys import GivenKey

    real = tokens["id_rs256"]
    kid = jwt_header(real)["kid"]
    pem = _provider_rsa_pem(oidc_server, kid)
    forged_header = {"alg": "HS256", "kid": kid, "typ": "JWT"}
    signing_input = f"{b64u_json(forged_header)}.{real.split('.')[1]}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{b64u(mac)}"
    for args in (("--verify", "--issuer", oidc_server.issuer), ("--verify",)):
        status, doc, err = decode(*args, stdin=forged)
        assert status == 6, err
        assert doc["signature"] == "unverifiable"
        assert "shared secret (HMAC)" in doc["verification"]["reason"]
    given = jwt_inspect.verify(forged, key=GivenKey.public_key(pem.decode()))
    assert given.signature == "unverifiable" and "cannot check HS256" in given.verification[
        "reason"]


def test_alg_none_with_real_claims_is_invalid(
    oidc_server: OIDCServer, tokens: dict[str, str]
) -> None:
    forged = f"{b64u_json({'alg': 'none'})}.{tokens['at_rs256'].split('.')[1]}."
    status, doc, _ = decode("--verify", "--issuer", oidc_server.issuer, stdin=forged)
    assert status == 6 and doc["signature"] == "invalid"


def test_jku_to_a_local_server_gets_no_request(
    oidc_server: OIDCServer, tokens: dict[str, str]
) -> None:
    attacker = Keys.generate()
    with KeyServer() as evil:
        evil.set_json("/jwks", attacker.jwks())
        forged = sign(
            jwt_claims(tokens["id_rs256"]),
            attacker.rsa,
            "RS256",
            jwt_header(tokens["id_rs256"])["kid"],
            jku=evil.jwks_uri,
            x5u=evil.base + "/x5u.pem",
        )
        for args in (("--verify", "--issuer", oidc_server.issuer), ("--verify",)):
            status, doc, _ = decode(*args, stdin=forged)
            assert status == 6
            assert doc["signature"] == "invalid"
        assert evil.requests == []


def test_wrong_issuer_is_refused_before_any_fetch(
    oidc_server: OIDCServer, tokens: dict[str, str]
) -> None:
    status, doc, err = decode(
        "--verify", "--issuer", oidc_server.issuer + "/", stdin=tokens["id_rs256"]
    )
    assert status == 6
    assert doc["signature"] == "invalid"
    assert "not the expected issuer" in err


def test_wrong_issuer_is_refused_by_discovery(
    oidc_server: OIDCServer, tokens: dict[str, str]
) -> None:
    """A token and --issuer agreeing on a URL whose discovery document names another
    issuer (the real provider's): the keys are refused."""
    wrong = oidc_server.issuer + "/"
    forged = sign(
        {**jwt_claims(tokens["id_rs256"]), "iss": wrong},
        Keys.generate().rsa,
        "RS256",
        jwt_header(tokens["id_rs256"])["kid"],
    )
    status, doc, err = decode("--verify", "--issuer", wrong, stdin=forged)
    assert status == 5, err
    assert doc["signature"] == "unverifiable"
    assert "mismatch" in err


def test_opaque_access_token(oidc_server: OIDCServer, tokens: dict[str, str]) -> None:
    status, doc, _ = decode(stdin=tokens["opaque_at"])
    assert status == 0 and doc["kind"] == "opaque"
    status, doc, _ = decode("--verify", "--issuer", oidc_server.issuer, stdin=tokens["opaque_at"])
    assert status == 6 and doc["signature"] == "unverifiable"


def test_explicit_jwks_url(oidc_server: OIDCServer, tokens: dict[str, str]) -> None:
    status, doc, err = decode("--jwks", oidc_server.jwks_uri, stdin=tokens["at_es256"])
    assert status == 0, err
    assert doc["verification"]["key_source"] == "jwks_url"
    assert doc["pinned"] is True
