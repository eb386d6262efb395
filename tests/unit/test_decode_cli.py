"""`tokenmgr decode`: the DESIGN §3 contract (stdout, stderr, exit statuses), in-process
against a real local JWKS server, plus one real subprocess run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CliRunner
from tests.unit.jwt_helpers import (
    RFC7515_A2,
    RFC7515_A2_JWK,
    RFC7519_3_1,
    RFC_CLAIMS,
    Keys,
    KeyServer,
    b64u_json,
    hs256_with_public_key,
    raw_token,
    sign,
)
from tokenmgr.core import jwks
from tokenmgr.core.vault import Vault


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.generate()


@pytest.fixture
def server(keys: Keys) -> Iterator[KeyServer]:
    with KeyServer("/oidc") as s:
        s.serve_issuer(keys.jwks())
        yield s


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own process-wide JWKS cache, as each CLI run would."""
    monkeypatch.setattr(jwks, "_default", None)


def good_token(keys: Keys, server: KeyServer, **extra: Any) -> str:
    now = int(time.time())
    claims = {"iss": server.issuer, "sub": "alice", "aud": "api", "iat": now, "exp": now + 3600}
    return sign({**claims, **extra}, keys.rsa, "RS256", "rsa")


# ------------------------------------------------------------------ decode


def test_json_output_contract(cli: CliRunner) -> None:
    r = cli("decode", "--json", RFC7519_3_1)
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert r.out.endswith("}\n") and r.out.count("\n") == 1
    assert {"kind", "header", "claims", "expires_at", "status", "signature"} <= set(doc)
    assert doc["kind"] == "jws"
    assert doc["claims"] == RFC_CLAIMS
    assert doc["expires_at"] == "2011-03-22T18:43:00Z"
    assert doc["status"] == "expired"
    assert doc["signature"] == "unverified"
    assert r.err == ""


def test_human_output(cli: CliRunner) -> None:
    now = int(time.time())
    r = cli("decode", raw_token({"alg": "ES256", "kid": "k"}, {"sub": "bob", "exp": now + 300}))
    assert r.status == 0
    assert "Header:" in r.out and "Claims:" in r.out
    assert "  sub  bob\n" in r.out
    assert "expires in 4 min" in r.out or "expires in 5 min" in r.out
    assert "unverified" in r.out


@pytest.mark.parametrize("stdin", [RFC7515_A2, RFC7515_A2 + "\n", f"Bearer {RFC7515_A2}\r\n"])
def test_stdin_with_dash(cli: CliRunner, stdin: str) -> None:
    r = cli("decode", "-", "--json", stdin=stdin)
    assert r.status == 0, r
    assert json.loads(r.out)["claims"] == RFC_CLAIMS


def test_stdin_without_argument_when_not_a_terminal(cli: CliRunner) -> None:
    r = cli("decode", "--json", stdin=RFC7515_A2)
    assert json.loads(r.out)["header"] == {"alg": "RS256"}


def test_no_argument_on_a_terminal_is_a_usage_error(cli: CliRunner) -> None:
    r = cli("decode", tty=True)
    assert r.status == 2
    assert "give a token" in r.err and r.out == ""


@pytest.mark.parametrize(
    "stdin",
    [b"", b"\x00\x01\xff\xfe binary", b"A" * (64 * 1024 + 1), b"x" * (1024 * 1024)],
    ids=["empty", "binary", "64KiB+1", "1MB"],
)
def test_malformed_exits_6_with_a_verdict(cli: CliRunner, stdin: bytes) -> None:
    r = cli("decode", "-", "--json", stdin=stdin)
    assert r.status == 6
    doc = json.loads(r.out)
    assert doc["kind"] == "malformed" and doc["reason"]
    assert "malformed" in r.err
    assert "Traceback" not in r.err


def test_exactly_64_kib_is_accepted(cli: CliRunner) -> None:
    limit = 64 * 1024
    for pad in range(100):
        prefix = raw_token({"alg": "RS256"}, {"pad": "p" * pad}).rsplit(".", 1)[0]
        k = limit - len(prefix) - 1
        if k % 4 != 1:
            break
    tok = prefix + "." + "A" * k
    assert len(tok) == limit
    r = cli("decode", "-", "--json", stdin=tok + "\n")
    assert r.status == 0, r.err
    assert json.loads(r.out)["kind"] == "jws"
    r = cli("decode", "-", "--json", stdin=tok + "A")
    assert r.status == 6 and "64 KiB" in json.loads(r.out)["reason"]


def test_opaque_and_jwe_exit_0_without_verify(cli: CliRunner) -> None:
    r = cli("decode", "--json", "ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    assert r.status == 0 and json.loads(r.out)["kind"] == "opaque"
    jwe = ".".join([b64u_json({"alg": "dir", "enc": "A128GCM"}), "", "aXY", "Y3Q", "dGFn"])
    r = cli("decode", "--json", jwe)
    assert r.status == 0
    doc = json.loads(r.out)
    assert doc["kind"] == "jwe" and doc["claims"] is None and doc["header"]["enc"] == "A128GCM"


def test_opaque_with_verify_exits_6(cli: CliRunner) -> None:
    r = cli("decode", "--verify", "--issuer", "http://127.0.0.1:9", "ghp_abc")
    assert r.status == 6
    assert "no signature" in r.err


# ------------------------------------------------------------------ verify


def test_verify_with_issuer(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    r = cli("decode", "--json", "--verify", "--issuer", server.issuer, good_token(keys, server))
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified"
    v = doc["verification"]
    assert v["alg"] == "RS256" and v["kid"] == "rsa"
    assert v["key_source"] == "issuer" and v["jwks_uri"] == server.jwks_uri


def test_verify_from_the_token_iss(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    r = cli("decode", "--verify", good_token(keys, server))
    assert r.status == 0, r
    assert f"key from {server.jwks_uri}, the discovery document of the token's iss" in r.out


def test_verify_with_explicit_jwks_url(cli: CliRunner, server: KeyServer) -> None:
    server.set_json("/a2", {"keys": [RFC7515_A2_JWK]})
    r = cli("decode", "--json", "--jwks", server.base + "/a2", RFC7515_A2)
    assert r.status == 0, r  # genuine, though expired: the verdict is about the signature
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["status"] == "expired"
    assert "expired" in r.err
    assert server.count("/.well-known/openid-configuration") == 0


def test_audience(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    tok = good_token(keys, server)
    assert cli("decode", "--audience", "api", tok).status == 0
    r = cli("decode", "--audience", "billing", tok)
    assert r.status == 6
    assert "audience" in r.err


def test_forged_tokens_exit_6(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    now = int(time.time())
    claims = {"iss": server.issuer, "sub": "root", "exp": now + 600}
    forged = [
        hs256_with_public_key(claims, keys.rsa_public_pem(), "rsa"),
        b64u_json({"alg": "none"}) + "." + b64u_json(claims) + ".",
        good_token(keys, server).rsplit(".", 2)[0]
        + "."
        + b64u_json(claims)
        + "."
        + good_token(keys, server).rsplit(".", 1)[1],
    ]
    for tok in forged:
        r = cli("decode", "--json", "--verify", "--issuer", server.issuer, tok)
        assert r.status == 6, (tok, r)
        assert json.loads(r.out)["signature"] == "invalid"
        assert "not verified (invalid)" in r.err


def test_jku_is_not_followed(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    attacker = Keys.generate()
    with KeyServer() as evil:
        evil.set_json("/jwks", attacker.jwks())
        tok = sign(
            {"iss": server.issuer, "exp": int(time.time()) + 600},
            attacker.rsa,
            "RS256",
            "rsa",
            jku=evil.jwks_uri,
        )
        r = cli("decode", "--verify", tok)
        assert r.status == 6
        assert evil.requests == []
    assert "jku is ignored" in r.out


def test_unknown_kid_exits_6(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    tok = sign({"iss": server.issuer}, keys.rsa, "RS256", "rotated-away")
    r = cli("decode", "--verify", tok)
    assert r.status == 6
    assert "unverifiable" in r.err


def test_unreachable_keys_exit_5(cli: CliRunner, keys: Keys) -> None:
    with KeyServer() as gone:
        url = gone.base
    tok = sign({"iss": url, "exp": int(time.time()) + 600}, keys.rsa, "RS256", "rsa")
    r = cli("decode", "--json", "--verify", tok)
    assert r.status == 5, r
    doc = json.loads(r.out)
    assert doc["signature"] == "unverifiable"
    assert doc["verification"]["keys_unavailable"] is True
    assert cli("decode", "--jwks", url + "/jwks", tok).status == 5


def test_issuer_mismatch_in_discovery_exits_5(
    cli: CliRunner, keys: Keys, server: KeyServer
) -> None:
    server.serve_issuer(keys.jwks(), issuer=server.issuer + "/")
    r = cli("decode", "--verify", "--issuer", server.issuer, good_token(keys, server))
    assert r.status == 5
    assert "mismatch" in r.err
    assert server.count("/jwks") == 0


def test_non_loopback_http_iss_is_not_contacted(cli: CliRunner, keys: Keys) -> None:
    tok = sign(
        {"iss": "http://issuer.example", "exp": int(time.time()) + 60}, keys.rsa, "RS256", None
    )
    r = cli("decode", "--verify", tok)
    assert r.status == 6
    assert "https" in r.err


def test_malformed_with_verify_exits_6(cli: CliRunner) -> None:
    r = cli("decode", "--verify", "eyJhbGciOiJSUzI1NiJ9.bm9wZQ.c2ln")
    assert r.status == 6
    assert "malformed" in r.err


# ------------------------------------------------------ stored entries


def test_add_caches_the_non_secret_report_in_the_index(
    cli: CliRunner, vault: Vault, keys: Keys, server: KeyServer
) -> None:
    tok = good_token(keys, server, email="alice@example.com")
    assert cli("add", "api", stdin=tok).status == 0
    raw = vault.index.path.read_text()
    entry = vault.entry("api")
    assert entry.report is not None
    assert entry.report["kind"] == "jws"
    assert entry.report["claims"]["sub"] == "alice"
    assert entry.report["header"] == {"alg": "RS256", "kid": "rsa", "typ": "JWT"}
    assert entry.expires_at is not None and entry.issued_at is not None
    stored = json.dumps(entry.to_dict())
    assert tok not in stored and tok.split(".")[2] not in stored
    assert "alice@example.com" not in stored
    assert tok not in raw


def test_add_opaque_token_report(cli: CliRunner, vault: Vault) -> None:
    assert cli("add", "gh", stdin="ghp_abc123").status == 0
    report = vault.entry("gh").report
    assert report is not None and report["kind"] == "opaque"
    assert "ghp_abc123" not in json.dumps(report)


# ------------------------------------------------------------- subprocess


def test_subprocess_decode(keys: Keys, server: KeyServer) -> None:
    tok = good_token(keys, server)
    out = subprocess.run(
        [sys.executable, "-m", "tokenmgr", "decode", "--json", "--verify", "-"],
        input=tok,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["signature"] == "verified"
    assert "Traceback" not in out.stderr


def test_an_invalid_host_name_in_iss_or_jwks_is_a_clear_message(cli: CliRunner, keys: Keys) -> None:
    tok = sign({"iss": "https://a..b", "sub": "x"}, keys.private("rsa"), "RS256", "rsa")
    r = cli("decode", "--verify", tok)
    assert r.status in (5, 6), r
    assert "internal error" not in r.err and "invalid host name" in r.err
    r = cli("decode", "--jwks", "https://a..b/jwks", tok)
    assert r.status == 5, r
    assert "internal error" not in r.err and "invalid host name" in r.err
