"""Helpers for the JWT inspector tests: keys, token signing, and a local JWKS server.

`KeyServer` is a real `http.server` on 127.0.0.1 port 0 in a thread. It serves an
OIDC discovery document and a JWKS (or whatever routes a test sets), and records
every request (path and headers) so tests can count fetches and prove that a URL
was never contacted.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

# RFC 7515 Appendix A / RFC 7519 §3.1: the published examples.
RFC_PAYLOAD_B64 = (
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
)
RFC_CLAIMS = {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
RFC7519_3_1 = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    + RFC_PAYLOAD_B64
    + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC7515_A1_KEY = (
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
)
RFC7515_A1 = RFC7519_3_1  # A.1 is the same HS256 JWS as RFC 7519 §3.1
RFC7515_A2_JWK = {
    "kty": "RSA",
    "n": (
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPM"
        "EzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"
        "bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3"
        "qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9g"
        "b54h4FRWyuXpoQ"
    ),
    "e": "AQAB",
}
RFC7515_A2 = (
    "eyJhbGciOiJSUzI1NiJ9."
    + RFC_PAYLOAD_B64
    + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt"
    "_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARN"
    "PvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1p"
    "hCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
RFC7515_A3_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
RFC7515_A3 = (
    "eyJhbGciOiJFUzI1NiJ9."
    + RFC_PAYLOAD_B64
    + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_json(value: Any) -> str:
    return b64u(json.dumps(value, separators=(",", ":")).encode())


def raw_token(header: Any, claims: Any, signature: bytes = b"sig") -> str:
    """A compact JWS from arbitrary JSON values (not necessarily valid)."""
    return f"{b64u_json(header)}.{b64u_json(claims)}.{b64u(signature)}"


@dataclass
class Keys:
    """Signing keys of one test issuer, with their public JWKs (kid = name)."""

    rsa: rsa.RSAPrivateKey
    ec256: ec.EllipticCurvePrivateKey
    ec384: ec.EllipticCurvePrivateKey
    ed: ed25519.Ed25519PrivateKey

    @classmethod
    def generate(cls) -> Keys:
        return cls(
            rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
            ec256=ec.generate_private_key(ec.SECP256R1()),
            ec384=ec.generate_private_key(ec.SECP384R1()),
            ed=ed25519.Ed25519PrivateKey.generate(),
        )

    def private(self, kid: str) -> Any:
        return {"rsa": self.rsa, "ec256": self.ec256, "ec384": self.ec384, "ed": self.ed}[kid]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, algo, key in (
            ("rsa", RSAAlgorithm, self.rsa),
            ("ec256", ECAlgorithm, self.ec256),
            ("ec384", ECAlgorithm, self.ec384),
            ("ed", OKPAlgorithm, self.ed),
        ):
            jwk = algo.to_jwk(key.public_key(), as_dict=True)
            jwk["kid"] = kid
            jwk["use"] = "sig"
            keys.append(jwk)
        return {"keys": keys}

    def rsa_public_pem(self) -> bytes:
        return self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def sign(claims: dict[str, Any], key: Any, alg: str, kid: str | None, **headers: Any) -> str:
    hdr = dict(headers)
    if kid is not None:
        hdr["kid"] = kid
    return jwt.encode(claims, key, algorithm=alg, headers=hdr or None)


def hs256_with_public_key(claims: dict[str, Any], pem: bytes, kid: str | None) -> str:
    """The PyJWT advisories' forgery: HS256 "keyed" with the RSA public key PEM."""
    header: dict[str, Any] = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{b64u_json(header)}.{b64u_json(claims)}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u(mac)}"


def a1_is_authentic() -> bool:
    """The A.1 vector's MAC matches its published key (guards the vector's text)."""
    key = base64.urlsafe_b64decode(RFC7515_A1_KEY + "==")
    signing_input, _, sig = RFC7515_A1.rpartition(".")
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return b64u(mac) == sig


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_length: bool = True


class KeyServer:
    """A tiny issuer: discovery + JWKS on 127.0.0.1 port 0, counting requests."""

    def __init__(self, issuer_path: str = "") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with server._lock:
                    server.requests.append((self.path, dict(self.headers.items())))
                    route = server.routes.get(self.path, Route(404, b'{"error":"not found"}'))
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json")
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if route.content_length:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = self.base + issuer_path
        self.jwks_uri = self.base + "/jwks"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> KeyServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def set_json(self, path: str, doc: Any, **kw: Any) -> None:
        self.routes[path] = Route(body=json.dumps(doc).encode(), **kw)

    def serve_issuer(self, jwks: dict[str, Any], *, issuer: str | None = None) -> None:
        """Discovery (OIDC suffix) naming `issuer` (default: ours) and the JWKS."""
        path = self.issuer[len(self.base) :].rstrip("/")
        self.set_json(
            path + "/.well-known/openid-configuration",
            {"issuer": issuer or self.issuer, "jwks_uri": self.jwks_uri},
        )
        self.set_json("/jwks", jwks)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for p, _ in self.requests if p == path)

    def __enter__(self) -> KeyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(jwks: dict[str, Any], issuer_path: str = "") -> Iterator[KeyServer]:
    """Fixture body: a started KeyServer serving `jwks` under its own issuer."""
    with KeyServer(issuer_path) as server:
        server.serve_issuer(jwks)
        yield server
