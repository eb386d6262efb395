"""Fuzz run over the token parser: at least 100,000 generated inputs through `inspect`.

Run it standalone (it is not part of the normal test suite):

    .venv/bin/python tests/fuzz/fuzz_inspect.py              # 120,000 inputs, seed 1
    .venv/bin/python tests/fuzz/fuzz_inspect.py -n 300000 --seed 7

Inputs are structured mutations of real JWTs (RFC 7515 examples and freshly signed
RS256 / PS256 / ES256 / ES384 / EdDSA tokens, a JWE, `alg: none`, opaque tokens):
character flips, inserts and deletions, segment drops / swaps / duplications,
segments replaced by base64url of hostile JSON (duplicate keys, huge and non-finite
numbers, lone surrogates, deep nesting, wrong claim types, non-UTF-8 bytes), prefixes
and whitespace, truncation, plus random bytes and random text.

For every input it checks that `inspect`, `to_json` (strict JSON), `summary` and
`render_text` return without an exception and that the verdicts stay in their
documented vocabularies. One input in ten also goes through `verify` against an
in-memory JWKS (no network): a mutation may never come out `verified` unless its
signing input and signature are exactly those of a genuinely signed seed.

It prints the count, the time taken and every unhandled exception (type, message,
input), and exits 1 if there was any.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tokenmgr.core import jwt_inspect  # noqa: E402
from tokenmgr.core.jwks import FetchResult, JWKSCache  # noqa: E402

KINDS = {"jws", "jwe", "opaque", "malformed"}
STATUSES = {"valid", "expiring", "expired", "not_yet_valid", "no_expiry"}
SIGNATURES = {"unverified", "verified", "invalid", "unverifiable"}
JWKS_URL = "https://keys.fuzz.test/jwks"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_json(value: Any) -> str:
    return b64u(json.dumps(value, separators=(",", ":")).encode())


class Corpus:
    """Seed tokens, plus the JWKS that verifies the genuinely signed ones."""

    def __init__(self) -> None:
        from tests.support.jwt_helpers import (
            RFC7515_A1,
            RFC7515_A2,
            RFC7515_A2_JWK,
            RFC7515_A3,
            RFC7515_A3_JWK,
            Keys,
            sign,
        )

        keys = Keys.generate()
        now = int(time.time())
        claims = {
            "iss": "https://issuer.fuzz.test",
            "sub": "alice",
            "aud": ["api", "web"],
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600,
            "scope": "read write",
            "nested": {"a": [1, 2.5, None, True, {"b": "c"}]},
        }
        self.genuine = [
            sign(claims, keys.rsa, "RS256", "rsa"),
            sign(claims, keys.rsa, "PS256", "rsa"),
            sign(claims, keys.ec256, "ES256", "ec256"),
            sign(claims, keys.ec384, "ES384", "ec384"),
            sign(claims, keys.ed, "EdDSA", "ed"),
            sign(claims, keys.ec256, "ES256", None),
            RFC7515_A2,
            RFC7515_A3,
        ]
        jwks = keys.jwks()
        jwks["keys"] += [RFC7515_A2_JWK, RFC7515_A3_JWK]
        self.jwks = jwks
        self.genuine_parts = {self._parts(t) for t in self.genuine}
        jwe = ".".join(
            [
                b64u_json({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "k"}),
                b64u(bytes(range(200))),
                b64u(b"0123456789ab"),
                b64u(b"ciphertext" * 5),
                b64u(b"tag-tag-tag-tag!"),
            ]
        )
        self.seeds = [
            *self.genuine,
            RFC7515_A1,
            jwe,
            b64u_json({"alg": "none"}) + "." + b64u_json(claims) + ".",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "ya29.a0AfH6SMBx-opaque.token_value",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
        ]

    @staticmethod
    def _parts(token: str) -> tuple[str, bytes]:
        signing_input, _, sig = token.rpartition(".")
        return signing_input, base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))

    def cache(self) -> JWKSCache:
        doc = self.jwks

        def fetch(url: str) -> FetchResult:
            return FetchResult(url=url, document=doc, max_age=3600)

        return JWKSCache(fetcher=fetch)


# ------------------------------------------------------------ generators

ALPHABET = "ABCxyz019-_.=+/ \t\r\n\x00\x7f\u00e9\u202e\ud83d\U0001f600{}\"'\\"
ALGS = ["RS256", "ES256", "EdDSA", "PS512", "HS256", "none", "None", "", "ES521", "RS1", None, 7]


def hostile_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        return rng.choice(
            [
                0,
                -1,
                2**63,
                10 ** rng.randint(15, 400),
                -(10**30),
                1.5,
                1e308,
                True,
                None,
                "",
                "x" * rng.randint(0, 200),
                "\u202e\x1b[31m",
                "🎉",
                rng.randint(-(2**40), 2**40),
            ]
        )
    if roll < 0.7:
        return {
            rng.choice(["exp", "iat", "nbf", "iss", "aud", "sub", "kid", "k", "x"]): hostile_json(
                rng, depth + 1
            )
            for _ in range(rng.randint(0, 5))
        }
    return [hostile_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]


RAW_JSON_SNIPPETS = [
    b'{"alg":"RS256","alg":"none"}',
    b'{"exp":NaN}',
    b'{"exp":Infinity}',
    b'{"exp":-Infinity}',
    b'{"exp":1e999}',
    b'{"exp":"1700000000"}',
    b'{"s":"\\ud800"}',
    b'{"s":"\\udfff\\ud800"}',
    b'{"n":' + b"9" * 5000 + b"}",
    b"[" * 3000 + b"]" * 3000,
    b'{"a":' + b"[" * 40 + b"]" * 40 + b"}",
    b'{"a":' + b'{"a":' * 2000 + b"1" + b"}" * 2001,
    b"\xff\xfe\xfd",
    b"\xef\xbb\xbf{}",
    b'{"alg":"RS256"',
    b"null",
    b'"just a string"',
    b"{}",
    b"",
    b" {\n\t} ",
]


def structured_segment(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return b64u(rng.choice(RAW_JSON_SNIPPETS))
    if roll < 0.7:
        header: dict[str, Any] = {"alg": rng.choice(ALGS)}
        for name in rng.sample(["kid", "typ", "crit", "jku", "x5u", "jwk", "enc", "b64", "cty"], 3):
            header[name] = hostile_json(rng, 3)
        return b64u_json(header)
    try:
        return b64u(json.dumps(hostile_json(rng)).encode())
    except ValueError:
        return b64u(b"{}")


def mutate(rng: random.Random, token: str) -> str | bytes:
    s = token
    roll = rng.random()
    if roll < 0.05:
        return s  # the seed itself: verify() must still say "verified" for genuine ones
    if roll < 0.25 and s.count(".") == 2:
        # A well-formed JWS around hostile claims, keeping the seed's header and signature.
        h, _, sig = s.split(".")
        claims = hostile_json(rng)
        if not isinstance(claims, dict):
            claims = {"v": claims}
        try:
            return f"{h}.{b64u_json(claims)}.{sig}"
        except ValueError:
            return s
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.randrange(12)
        parts = s.split(".")
        if op == 0 and s:  # replace one character
            i = rng.randrange(len(s))
            s = s[:i] + rng.choice(ALPHABET) + s[i + 1 :]
        elif op == 1:  # insert
            i = rng.randrange(len(s) + 1)
            s = s[:i] + rng.choice(ALPHABET) * rng.randint(1, 3) + s[i:]
        elif op == 2 and s:  # delete a range
            i = rng.randrange(len(s))
            s = s[:i] + s[i + rng.randint(1, 8) :]
        elif op == 3:  # drop a segment
            del parts[rng.randrange(len(parts))]
            s = ".".join(parts)
        elif op == 4:  # duplicate a segment
            i = rng.randrange(len(parts))
            parts.insert(i, parts[i])
            s = ".".join(parts)
        elif op == 5 and len(parts) > 1:  # swap segments
            i, j = rng.sample(range(len(parts)), 2)
            parts[i], parts[j] = parts[j], parts[i]
            s = ".".join(parts)
        elif op in (6, 7):  # a hostile header / payload segment
            i = 0 if op == 6 else min(1, len(parts) - 1)
            parts[i] = structured_segment(rng)
            s = ".".join(parts)
        elif op == 8:  # truncate
            s = s[: rng.randrange(len(s) + 1)]
        elif op == 9:  # prefixes and whitespace
            s = rng.choice(["Bearer ", "bearer\t", "Authorization: Bearer ", " \n", "Basic "]) + s
            s += rng.choice(["", "\n", "\r\n", "  ", " x"])
        elif op == 10:  # flip a bit inside the decoded payload and re-encode
            if len(parts) >= 2:
                try:
                    raw = bytearray(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
                    if raw:
                        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
                    parts[1] = b64u(bytes(raw))
                except ValueError:
                    pass
                s = ".".join(parts)
        else:  # padding and alphabet confusion
            s = s.replace("-", "+").replace("_", "/") if rng.random() < 0.5 else s + "=="
    if rng.random() < 0.02:
        s = s * rng.randint(2, 3000)  # sometimes far over the 64 KiB cap
    if rng.random() < 0.05:
        return s.encode("utf-8", "surrogatepass")
    return s


def random_input(rng: random.Random) -> str | bytes:
    roll = rng.random()
    if roll < 0.5:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 120)))
    if roll < 0.8:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 120)))
    return ".".join(structured_segment(rng) for _ in range(rng.choice([2, 3, 3, 3, 5, 6])))


# ---------------------------------------------------------------- checks


def check(
    text: str | bytes,
    corpus: Corpus | None = None,
    cache: JWKSCache | None = None,
    verdicts: Counter[str] | None = None,
) -> str:
    """Run every public entry point on `text`; raise AssertionError on a broken invariant."""
    r = jwt_inspect.inspect(text)
    assert r.kind in KINDS, r.kind
    assert r.status in STATUSES, r.status
    assert r.signature in SIGNATURES, r.signature
    if r.kind == "malformed":
        assert r.reason, "a malformed verdict must say why"
    json.dumps(r.to_json(), allow_nan=False).encode("utf-8")
    json.dumps(jwt_inspect.summary(r), allow_nan=False).encode("utf-8")
    jwt_inspect.render_text(r).encode("utf-8")
    if corpus is not None and cache is not None:
        v = jwt_inspect.verify(r, jwks_url=JWKS_URL, cache=cache)
        assert v.signature in SIGNATURES
        if verdicts is not None:
            verdicts[v.signature] += 1
        if v.signature == "verified":
            assert Corpus._parts(v.token) in corpus.genuine_parts, "a mutation verified!"
        jwt_inspect.render_text(v).encode("utf-8")
        json.dumps(v.to_json(), allow_nan=False)
    return r.kind


def run(count: int, seed: int, verify_every: int = 10) -> int:
    rng = random.Random(seed)
    corpus = Corpus()
    cache = corpus.cache()
    kinds: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    failures: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    for i in range(count):
        if i % 5 == 4:
            text: str | bytes = random_input(rng)
        else:
            text = mutate(rng, rng.choice(corpus.seeds))
        try:
            verifying = i % verify_every == 0
            if verifying:
                kinds[check(text, corpus, cache, verdicts)] += 1
            else:
                kinds[check(text)] += 1
        except Exception as e:  # noqa: BLE001 - the whole point is to catch anything
            failures.append((type(e).__name__, str(e)[:200], repr(text)[:300]))
            if len(failures) <= 3:
                traceback.print_exc()
    elapsed = time.perf_counter() - started
    print(f"fuzz_inspect: {count} inputs in {elapsed:.1f} s (seed {seed})")
    print("  verdicts: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    shown = ", ".join(f"{k} {n}" for k, n in sorted(verdicts.items()))
    print(f"  verify() on every {verify_every}th input: {shown}")
    if failures:
        print(f"  UNHANDLED: {len(failures)} inputs raised")
        for name, msg, text in failures[:20]:
            print(f"    {name}: {msg}\n      input: {text}")
        return 1
    print("  unhandled exceptions: 0")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--count", type=int, default=120_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    return run(args.count, args.seed)


if __name__ == "__main__":
    sys.exit(main())
