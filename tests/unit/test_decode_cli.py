"""`tokenmgr decode`: the documented contract (stdout, stderr, exit statuses), in-process
against a real local JWKS server, plus one real subprocess run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cli import CliResult, CliRunner
from tests.support.jwt_helpers import (
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
from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet
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


def decode(run: CliRunner, *args: str, token: str) -> CliResult:
    """`tokenmgr decode - ARGS` with the token on stdin (it is never an argument)."""
    return run("decode", "-", *args, stdin=token)


def good_token(keys: Keys, server: KeyServer, **extra: Any) -> str:
    now = int(time.time())
    claims = {"iss": server.issuer, "sub": "alice", "aud": "api", "iat": now, "exp": now + 3600}
    return sign({**claims, **extra}, keys.rsa, "RS256", "rsa")


# ------------------------------------------------------------------ decode


def test_json_output_contract(cli: CliRunner) -> None:
    r = decode(cli, "--json", token=RFC7519_3_1)
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
    r = decode(cli, token=raw_token({"alg": "ES256", "kid": "k"}, {"sub": "bob", "exp": now + 300}))
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


def test_on_a_terminal_the_token_is_asked_without_echo(cli: CliRunner) -> None:
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return RFC7515_A2

    r = cli("decode", "--json", tty=True, ask=ask)
    assert r.status == 0, r
    assert prompts == ["Token to decode (not shown): "]
    assert json.loads(r.out)["claims"] == RFC_CLAIMS


def test_on_a_terminal_without_a_controlling_one_it_says_to_pipe(cli: CliRunner) -> None:
    r = cli("decode", tty=True)
    assert r.status == 2
    assert "pipe" in r.err and r.out == ""


ARGUMENT_SPELLINGS = [
    ["decode", "{tok}"],
    ["decode", "--json", "{tok}"],
    ["decode", "{tok}", "--json"],
    ["decode", "--verify", "--issuer", "https://id.example.com", "{tok}"],
    ["decode", "-", "{tok}"],
    ["decode", "{tok}", "{tok}"],
    ["decode", "--entry", "x", "{tok}"],
    ["--debug", "decode", "{tok}"],
]


@pytest.mark.parametrize("spelling", ARGUMENT_SPELLINGS, ids=lambda s: " ".join(s))
@pytest.mark.parametrize(
    "token",
    [RFC7515_A2, "ghp_" + "Q" * 36, "an opaque token with spaces"],
    ids=["jwt", "ghp", "text"],
)
def test_a_token_given_as_an_argument_is_refused_and_never_shown(
    cli: CliRunner, spelling: list[str], token: str
) -> None:
    args = [token if a == "{tok}" else a for a in spelling]
    r = cli(*args, stdin=RFC7515_A2)
    assert r.status == 2, r
    assert "never taken as arguments" in r.err
    for text in (token, *token.split(".")):
        assert text not in r.out and text not in r.err


def test_decode_entry_reads_the_stored_token(cli: CliRunner, vault: Vault) -> None:
    assert cli("add", "api", stdin=RFC7515_A2).status == 0
    r = cli("decode", "--entry", "api", "--json")
    assert r.status == 0, r
    assert json.loads(r.out)["claims"] == RFC_CLAIMS
    assert RFC7515_A2 not in r.err


def test_decode_entry_id_token(cli: CliRunner, vault: Vault) -> None:
    id_token = raw_token({"alg": "RS256"}, {"sub": "id-of-alice", "aud": "c"})
    cfg = OAuthConfig(issuer="https://id.example.com", client_id="c")
    vault.save_tokens(
        Entry(name="corp", kind="oauth2", oauth=cfg), TokenSet(access="opaque-at", id=id_token)
    )
    r = cli("decode", "--entry", "corp", "--id-token", "--json")
    assert r.status == 0, r
    assert json.loads(r.out)["claims"]["sub"] == "id-of-alice"
    assert json.loads(cli("decode", "--entry", "corp", "--json").out)["kind"] == "opaque"


def test_decode_entry_errors(cli: CliRunner, vault: Vault) -> None:
    assert cli("add", "static", stdin="ghp_abc").status == 0
    r = cli("decode", "--entry", "nope")
    assert r.status == 3 and "nope" in r.err and r.out == ""
    r = cli("decode", "--entry", "static", "--id-token")
    assert r.status == 1 and "has no ID token" in r.err and r.out == ""
    r = cli("decode", "--id-token", stdin=RFC7515_A2)
    assert r.status == 2 and "--entry" in r.err
    r = cli("decode", "-", "--entry", "static", stdin=RFC7515_A2)
    assert r.status == 2 and "one source" in r.err


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
    r = decode(cli, "--json", token="ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    assert r.status == 0 and json.loads(r.out)["kind"] == "opaque"
    jwe = ".".join([b64u_json({"alg": "dir", "enc": "A128GCM"}), "", "aXY", "Y3Q", "dGFn"])
    r = decode(cli, "--json", token=jwe)
    assert r.status == 0
    doc = json.loads(r.out)
    assert doc["kind"] == "jwe" and doc["claims"] is None and doc["header"]["enc"] == "A128GCM"


def test_opaque_with_verify_exits_6(cli: CliRunner) -> None:
    r = decode(cli, "--verify", "--issuer", "http://127.0.0.1:9", token="ghp_abc")
    assert r.status == 6
    assert "no signature" in r.err


# ------------------------------------------------------------------ verify


def test_verify_with_issuer(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    r = decode(cli, "--json", "--verify", "--issuer", server.issuer, token=good_token(keys, server))
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified"
    assert doc["pinned"] is True
    v = doc["verification"]
    assert v["alg"] == "RS256" and v["kid"] == "rsa"
    assert v["key_source"] == "issuer" and v["jwks_uri"] == server.jwks_uri
    assert v["pinned"] is True
    assert r.err == ""


def test_without_verify_pinned_is_null(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    doc = json.loads(decode(cli, "--json", token=good_token(keys, server)).out)
    assert doc["signature"] == "unverified" and doc["pinned"] is None


def test_verify_from_the_token_iss_is_not_pinned(
    cli: CliRunner, keys: Keys, server: KeyServer
) -> None:
    r = decode(cli, "--verify", token=good_token(keys, server))
    assert r.status == 6, r
    assert f"key from {server.jwks_uri}, the discovery document of the token's iss" in r.out
    assert "NOT PINNED" in r.out
    assert "not pinned" in r.err and f"--issuer {server.issuer}" in r.err


def test_verify_with_explicit_jwks_url_is_pinned(
    cli: CliRunner, keys: Keys, server: KeyServer
) -> None:
    r = decode(cli, "--json", "--jwks", server.jwks_uri, token=good_token(keys, server))
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    assert doc["verification"]["key_source"] == "jwks_url"
    assert server.count("/oidc/.well-known/openid-configuration") == 0


def test_genuine_but_expired_exits_6_saying_expired(cli: CliRunner, server: KeyServer) -> None:
    """RFC 7515 A.2: a genuine RS256 signature from 2011, checked with the published key."""
    server.set_json("/a2", {"keys": [RFC7515_A2_JWK]})
    r = decode(cli, "--json", "--jwks", server.base + "/a2", token=RFC7515_A2)
    assert r.status == 6, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    assert doc["status"] == "expired"
    assert "has expired" in r.err and "2011-03-22T18:43:00Z" in r.err
    assert "not verified (" not in r.err  # the signature itself is fine
    assert "not pinned" not in r.err
    assert server.count("/.well-known/openid-configuration") == 0


def test_audience(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    tok = good_token(keys, server)
    assert decode(cli, "--issuer", server.issuer, "--audience", "api", token=tok).status == 0
    r = decode(cli, "--issuer", server.issuer, "--audience", "billing", token=tok)
    assert r.status == 6
    assert "audience" in r.err


# ------------------------------------------------------------- pinning


@pytest.fixture
def attacker() -> Iterator[tuple[Keys, KeyServer]]:
    """Anyone's own issuer: a local discovery document and JWKS with their own keys."""
    evil_keys = Keys.generate()
    with KeyServer("/evil") as evil:
        evil.serve_issuer(evil_keys.jwks())
        yield evil_keys, evil


def forged_by(attacker: tuple[Keys, KeyServer], **extra: Any) -> str:
    evil_keys, evil = attacker
    now = int(time.time())
    claims = {"iss": evil.issuer, "sub": "admin", "aud": "api", "iat": now, "exp": now + 3600}
    return sign({**claims, **extra}, evil_keys.rsa, "RS256", "rsa")


def test_a_token_naming_its_own_issuer_is_not_pinned(
    cli: CliRunner, attacker: tuple[Keys, KeyServer]
) -> None:
    _, evil = attacker
    for args in (("--verify",), ("--audience", "api"), ("--verify", "--audience", "api")):
        r = decode(cli, "--json", *args, token=forged_by(attacker))
        assert r.status == 6, (args, r)
        doc = json.loads(r.out)
        assert doc["signature"] == "verified"  # self-consistent: signed with its own keys
        assert doc["pinned"] is False
        assert doc["verification"]["key_source"] == "token_iss"
        assert doc["verification"]["pinned"] is False
        assert f"the issuer {evil.issuer!r} is not pinned" in r.err
        assert f"--issuer {evil.issuer}" in r.err
    assert evil.count("/jwks") >= 1  # it did fetch: the verdict is given, then refused


def test_the_same_token_with_issuer_is_pinned(
    cli: CliRunner, attacker: tuple[Keys, KeyServer]
) -> None:
    _, evil = attacker
    r = decode(cli, "--json", "--verify", "--issuer", evil.issuer, token=forged_by(attacker))
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    assert doc["verification"]["key_source"] == "issuer"
    assert r.err == ""


def test_pinning_another_issuer_refuses_the_token_without_fetching(
    cli: CliRunner, server: KeyServer, attacker: tuple[Keys, KeyServer]
) -> None:
    _, evil = attacker
    r = decode(cli, "--json", "--issuer", server.issuer, token=forged_by(attacker))
    assert r.status == 6
    doc = json.loads(r.out)
    assert doc["signature"] == "invalid" and "expected issuer" in doc["verification"]["reason"]
    assert evil.requests == [] and server.requests == []


def oauth_entry(vault: Vault, name: str, issuer: str, *, bound: bool = True) -> None:
    """An OAuth entry for `issuer` as a sign-in stores it: with its binding beside the
    secrets (`bound=False`: as if only the index had been written, e.g. by hand)."""
    from tokenmgr.core.oauth import binding

    cfg = OAuthConfig(issuer=issuer, client_id="tokenmgr-test", scopes=["openid"])
    entry = Entry(name=name, kind="oauth2", oauth=cfg)
    vault.save_tokens(
        entry, TokenSet(access="opaque-at", binding=binding.digest(entry) if bound else None)
    )


def _edit_index(vault: Vault, edit: Any) -> None:
    """Change entries.json directly, as any process of the user can."""
    data = json.loads(vault.index.path.read_text())
    edit(data["entries"])
    vault.index.path.write_text(json.dumps(data))


def test_an_oauth_entry_in_the_vault_pins_its_issuer(
    cli: CliRunner, vault: Vault, attacker: tuple[Keys, KeyServer]
) -> None:
    _, evil = attacker
    oauth_entry(vault, "corp", evil.issuer)
    r = decode(cli, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 0, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    v = doc["verification"]
    assert v["key_source"] == "vault_issuer" and v["pinned_by"] == "corp"
    assert v["issuer"] == evil.issuer
    text = decode(cli, "--verify", token=forged_by(attacker)).out
    assert "issuer of vault entry corp, pinned)" in text


def test_an_oauth_entry_for_another_issuer_pins_nothing(
    cli: CliRunner, vault: Vault, server: KeyServer, attacker: tuple[Keys, KeyServer]
) -> None:
    oauth_entry(vault, "corp", server.issuer)
    oauth_entry(vault, "corp-slash", attacker[1].issuer + "/")  # exact match only
    assert cli("add", "static", stdin=forged_by(attacker)).status == 0  # not an issuer
    r = decode(cli, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 6, r
    assert json.loads(r.out)["pinned"] is False


def test_a_fake_oauth_entry_in_the_index_pins_nothing(
    cli: CliRunner, vault: Vault, attacker: tuple[Keys, KeyServer]
) -> None:
    """Adding an OAuth entry to entries.json must not make an attacker's token pinned."""
    _, evil = attacker
    assert cli("add", "static", stdin="a-static-token").status == 0

    def add_fake(entries: list[dict[str, Any]]) -> None:
        cfg = OAuthConfig(issuer=evil.issuer, client_id="x")
        fake = Entry(name="corp", kind="oauth2", secrets=["access", "binding"], oauth=cfg)
        entries.append(fake.to_dict())

    _edit_index(vault, add_fake)
    r = decode(cli, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 6, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["pinned"] is False
    assert doc["verification"]["key_source"] == "token_iss"
    assert "'corp' pins no issuer: no binding is stored" in r.err


def test_an_entry_whose_issuer_was_edited_pins_nothing(
    cli: CliRunner, vault: Vault, server: KeyServer, attacker: tuple[Keys, KeyServer]
) -> None:
    _, evil = attacker
    oauth_entry(vault, "corp", server.issuer)

    def point_at_evil(entries: list[dict[str, Any]]) -> None:
        entries[0]["oauth"]["issuer"] = evil.issuer

    _edit_index(vault, point_at_evil)
    r = decode(cli, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 6, r
    assert json.loads(r.out)["pinned"] is False
    assert "'corp' pins no issuer: its settings do not match" in r.err


def test_an_entry_bound_by_an_older_release_still_pins(
    cli: CliRunner, vault: Vault, attacker: tuple[Keys, KeyServer]
) -> None:
    """The older binding covered the issuer: it still pins (but sends nothing)."""
    from tokenmgr.core.oauth import binding

    _, evil = attacker
    oauth_entry(vault, "corp", evil.issuer)
    cfg = vault.entry("corp").oauth
    assert cfg is not None
    vault.store.set("corp", binding.FIELD, binding._digest_v1(cfg))
    r = decode(cli, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 0, r
    assert json.loads(r.out)["verification"]["pinned_by"] == "corp"


class _CountingStore:
    """The vault's store, counting reads (and failing them all with `fail`)."""

    def __init__(self, inner: Any, fail: BaseException | None = None) -> None:
        self.inner, self.fail, self.reads = inner, fail, []

    def get(self, name: str, field: str) -> Any:
        self.reads.append((name, field))
        if self.fail is not None:
            raise self.fail
        return self.inner.get(name, field)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)


def test_pins_read_only_the_bindings_of_the_tokens_issuer(
    vault: Vault, server: KeyServer, attacker: tuple[Keys, KeyServer]
) -> None:
    oauth_entry(vault, "corp", attacker[1].issuer)
    oauth_entry(vault, "other", server.issuer)
    store = _CountingStore(vault.store)
    runner = CliRunner(Vault(home=vault.home, store=store))  # type: ignore[arg-type]
    r = decode(runner, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 0, r
    assert store.reads == [("corp", "binding")]
    store.reads.clear()
    no_iss = sign({"sub": "x", "exp": int(time.time()) + 60}, attacker[0].rsa, "RS256", "rsa")
    runner("decode", "--json", "--verify", "-", stdin=no_iss)
    assert store.reads == []


def test_a_locked_store_pins_nothing_and_says_so(
    vault: Vault, attacker: tuple[Keys, KeyServer]
) -> None:
    from tokenmgr.core.errors import StorageUnavailable

    oauth_entry(vault, "corp", attacker[1].issuer)
    store = _CountingStore(vault.store, fail=StorageUnavailable("the keyring is locked"))
    runner = CliRunner(Vault(home=vault.home, store=store))  # type: ignore[arg-type]
    r = decode(runner, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 6, r
    assert json.loads(r.out)["pinned"] is False
    assert "no issuer is pinned from the vault (the keyring is locked)" in r.err
    assert "internal error" not in r.err


def test_verify_pinned_notes_why_nothing_was_pinned(
    vault: Vault, attacker: tuple[Keys, KeyServer]
) -> None:
    """The app's Verify (verify.verify_pinned): same rule, the note in the report."""
    from tokenmgr.core import jwt_inspect
    from tokenmgr.core.errors import StorageUnavailable
    from tokenmgr.core.usecases import verify

    oauth_entry(vault, "corp", attacker[1].issuer)
    report = jwt_inspect.inspect(forged_by(attacker))
    assert verify.verify_pinned(vault, report).verification["pinned_by"] == "corp"  # type: ignore[index]
    locked = Vault(
        home=vault.home,
        store=_CountingStore(vault.store, fail=StorageUnavailable("locked")),  # type: ignore[arg-type]
    )
    out = verify.verify_pinned(locked, report)
    assert out.verification is not None and out.verification["pinned"] is False
    assert any("no issuer is pinned from the vault (locked)" in w for w in out.warnings)


def test_an_unreadable_index_pins_nothing_and_says_so(
    cli: CliRunner, vault: Vault, attacker: tuple[Keys, KeyServer]
) -> None:
    vault.index.path.parent.mkdir(parents=True, exist_ok=True)
    vault.index.path.write_text("{not json")
    r = decode(cli, "--json", "--verify", token=forged_by(attacker))
    assert r.status == 6, r
    assert json.loads(r.out)["pinned"] is False
    assert "no issuer is pinned from the vault" in r.err
    assert "internal error" not in r.err


@pytest.mark.parametrize(
    ("option", "url"),
    [
        ("--issuer", "http://example.com"),
        ("--issuer", "http://example.com/realms/x"),
        ("--jwks", "http://example.com/jwks"),
        ("--issuer", "ftp://127.0.0.1/x"),
        ("--jwks", "https://user:pw@keys.example.com/jwks"),
    ],
)
def test_issuer_and_jwks_must_be_https_or_loopback(
    cli: CliRunner, keys: Keys, server: KeyServer, option: str, url: str
) -> None:
    r = decode(cli, "--verify", option, url, token=good_token(keys, server))
    assert r.status == 2, r
    assert option in r.err and ("https" in r.err or "user:password" in r.err)
    assert r.out == ""
    assert server.requests == []


def test_plain_http_on_loopback_is_accepted(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    assert server.issuer.startswith("http://127.0.0.1:")
    assert (
        decode(cli, "--verify", "--issuer", server.issuer, token=good_token(keys, server)).status
        == 0
    )
    assert decode(cli, "--jwks", server.jwks_uri, token=good_token(keys, server)).status == 0


# -------------------------------------------------------- validity window


@pytest.mark.parametrize(
    ("offsets", "message"),
    [
        ({"iat": -7200, "exp": -3600}, "not valid: the token has expired (expired "),
        ({"nbf": 600}, "not valid: the token is not yet valid (valid in "),
    ],
    ids=["expired", "nbf-in-future"],
)
def test_a_verified_token_outside_its_window_exits_6(
    cli: CliRunner, keys: Keys, server: KeyServer, offsets: dict[str, int], message: str
) -> None:
    now = int(time.time())
    tok = good_token(keys, server, **{k: now + v for k, v in offsets.items()})
    r = decode(cli, "--json", "--verify", "--issuer", server.issuer, token=tok)
    assert r.status == 6, r
    doc = json.loads(r.out)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    assert doc["status"] in ("expired", "not_yet_valid")
    assert message in r.err and "leeway 60 s" in r.err
    at = doc["expires_at"] if "exp" in offsets else doc["not_before"]
    assert at and at in r.err
    assert "not verified (" not in r.err and "not pinned" not in r.err
    # Without --verify it is only shown: exit 0.
    assert decode(cli, token=tok).status == 0


@pytest.mark.parametrize("offsets", [{"exp": -30}, {"nbf": 30}], ids=["exp", "nbf"])
def test_the_60_s_leeway_still_applies(
    cli: CliRunner, keys: Keys, server: KeyServer, offsets: dict[str, int]
) -> None:
    now = int(time.time())
    tok = good_token(keys, server, **{k: now + v for k, v in offsets.items()})
    r = decode(cli, "--verify", "--issuer", server.issuer, token=tok)
    assert r.status == 0, r


def test_every_failed_condition_gets_its_line(
    cli: CliRunner, attacker: tuple[Keys, KeyServer]
) -> None:
    now = int(time.time())
    r = decode(cli, "--verify", token=forged_by(attacker, iat=now - 7200, exp=now - 3600))
    assert r.status == 6
    assert "not pinned" in r.err and "has expired" in r.err
    assert r.err.count("tokenmgr: ") == 2


def test_a_bad_signature_on_an_expired_token_names_both(
    cli: CliRunner, keys: Keys, server: KeyServer
) -> None:
    now = int(time.time())
    tok = good_token(keys, server, iat=now - 7200, exp=now - 3600)
    h, p, _ = tok.split(".")
    other = good_token(keys, server).split(".")[2]
    r = decode(cli, "--verify", "--issuer", server.issuer, token=f"{h}.{p}.{other}")
    assert r.status == 6
    assert "not verified (invalid)" in r.err and "has expired" in r.err


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
    verdicts = []
    for tok in forged:
        r = decode(cli, "--json", "--verify", "--issuer", server.issuer, token=tok)
        assert r.status == 6, (tok, r)
        verdicts.append(json.loads(r.out)["signature"])
        assert f"not verified ({verdicts[-1]})" in r.err
    # HS256 "keyed" with the public key: an issuer's keys cannot check an HMAC token, so it
    # is unverifiable (it would take the shared secret); the others are plainly invalid.
    assert verdicts == ["unverifiable", "invalid", "invalid"]


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
        r = decode(cli, "--verify", token=tok)
        assert r.status == 6
        assert evil.requests == []
    assert "jku is ignored" in r.out


def test_unknown_kid_exits_6(cli: CliRunner, keys: Keys, server: KeyServer) -> None:
    tok = sign({"iss": server.issuer}, keys.rsa, "RS256", "rotated-away")
    r = decode(cli, "--verify", token=tok)
    assert r.status == 6
    assert "unverifiable" in r.err


def test_unreachable_keys_exit_5(cli: CliRunner, keys: Keys) -> None:
    with KeyServer() as gone:
        url = gone.base
    tok = sign({"iss": url, "exp": int(time.time()) + 600}, keys.rsa, "RS256", "rsa")
    r = decode(cli, "--json", "--verify", token=tok)
    assert r.status == 5, r
    doc = json.loads(r.out)
    assert doc["signature"] == "unverifiable"
    assert doc["verification"]["keys_unavailable"] is True
    assert decode(cli, "--jwks", url + "/jwks", token=tok).status == 5


def test_issuer_mismatch_in_discovery_exits_5(
    cli: CliRunner, keys: Keys, server: KeyServer
) -> None:
    server.serve_issuer(keys.jwks(), issuer=server.issuer + "/")
    r = decode(cli, "--verify", "--issuer", server.issuer, token=good_token(keys, server))
    assert r.status == 5
    assert "mismatch" in r.err
    assert server.count("/jwks") == 0


def test_non_loopback_http_iss_is_not_contacted(cli: CliRunner, keys: Keys) -> None:
    tok = sign(
        {"iss": "http://issuer.example", "exp": int(time.time()) + 60}, keys.rsa, "RS256", None
    )
    r = decode(cli, "--verify", token=tok)
    assert r.status == 6
    assert "https" in r.err


def test_malformed_with_verify_exits_6(cli: CliRunner) -> None:
    r = decode(cli, "--verify", token="eyJhbGciOiJSUzI1NiJ9.bm9wZQ.c2ln")
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
    assert entry.report["claims"]["email"] == "alice@example.com"  # every claim, in order
    assert list(entry.report["claims"])[-1] == "email"
    assert tok not in raw


def test_add_opaque_token_report(cli: CliRunner, vault: Vault) -> None:
    assert cli("add", "gh", stdin="ghp_abc123").status == 0
    report = vault.entry("gh").report
    assert report is not None and report["kind"] == "opaque"
    assert "ghp_abc123" not in json.dumps(report)


# ------------------------------------------------------------- subprocess


def test_subprocess_decode(keys: Keys, server: KeyServer) -> None:
    tok = good_token(keys, server)
    cmd = [sys.executable, "-m", "tokenmgr", "decode", "--json", "--verify"]
    out = subprocess.run(
        [*cmd, "--issuer", server.issuer, "-"],
        input=tok,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["signature"] == "verified" and doc["pinned"] is True
    assert "Traceback" not in out.stderr
    out = subprocess.run([*cmd, "-"], input=tok, capture_output=True, text=True, timeout=60)
    assert out.returncode == 6, out.stderr
    assert json.loads(out.stdout)["pinned"] is False
    assert "not pinned" in out.stderr


def test_an_invalid_host_name_in_iss_or_jwks_is_a_clear_message(cli: CliRunner, keys: Keys) -> None:
    tok = sign({"iss": "https://a..b", "sub": "x"}, keys.private("rsa"), "RS256", "rsa")
    r = decode(cli, "--verify", token=tok)
    assert r.status in (5, 6), r
    assert "internal error" not in r.err and "invalid host name" in r.err
    r = decode(cli, "--jwks", "https://a..b/jwks", token=tok)
    assert r.status == 2, r  # the user's own option: a usage error, nothing fetched
    assert "internal error" not in r.err and "invalid host name" in r.err
