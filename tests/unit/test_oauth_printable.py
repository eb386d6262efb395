"""Provider-supplied text (verification URI, user code, error descriptions, URLs) is
shown without terminal control sequences, bidi overrides or line breaks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cli import CliRunner
from tokenmgr.core.entries import OAuthConfig
from tokenmgr.core.errors import AuthError, NetworkError
from tokenmgr.core.oauth.http import OAuthError, Response
from tokenmgr.core.redact import printable

NASTY = "\x1b[2J\x1b]0;pwned\x07\r\nFAKE: ok\u202egnp.exe\x00"
BAD_CHARS = ("\x1b", "\x07", "\r", "\x00", "\u202e")


def clean(text: str) -> bool:
    return not any(c in text for c in BAD_CHARS)


def test_printable_replaces_non_printable_characters_and_cuts_long_text() -> None:
    assert printable("https://id.example.com/device") == "https://id.example.com/device"
    assert printable("ünïcödé ok") == "ünïcödé ok"
    out = printable(NASTY)
    assert clean(out) and "\n" not in out
    assert out.count("\ufffd") == 7
    assert printable("x" * 1000, limit=300) == "x" * 299 + "…"
    assert len(printable("a\x1b" * 500)) == 300


def test_oauth_error_descriptions_are_printable() -> None:
    e = OAuthError("invalid\x1b[31m_grant", "bad " + NASTY, status=400)
    assert clean(str(e)) and "\n" not in str(e)


def test_loopback_error_callback_message_is_printable() -> None:
    import urllib.parse

    from tokenmgr.core.oauth.loopback import LoopbackListener

    state = "s" * 43
    with LoopbackListener(state=state, issuer=None, iss_required=False) as lst:
        query = urllib.parse.urlencode(
            {"state": state, "error": "access\x1b[2J_denied", "error_description": NASTY}
        )
        outcome = lst.check("/callback?" + query, lambda *a: None)
    assert isinstance(outcome, AuthError)
    assert clean(str(outcome)) and "\n" not in str(outcome)


class FakeHttp:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def request(self, method: str, url: str, **kw: Any) -> Response:
        return Response(200, "application/json", json.dumps(self.doc).encode(), url)


def device_doc(**over: Any) -> dict[str, Any]:
    doc = {
        "device_code": "dev-code-123456",
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://id.example.com/device",
        "expires_in": 600,
        "interval": 5,
    }
    doc.update(over)
    return doc


CFG = OAuthConfig(client_id="c", device_url="https://id.example.com/device/code")


@pytest.mark.parametrize(
    "uri",
    [
        "http://evil.example/device",  # plain http off loopback
        "javascript:alert(1)",
        "https://user:pw@evil.example/",
        "https://a..b/device",
    ],
)
def test_verification_uri_must_pass_check_url(uri: str) -> None:
    from tokenmgr.core.oauth.flows import start_device

    with pytest.raises(NetworkError) as info:
        start_device(FakeHttp(device_doc(verification_uri=uri)), CFG, None)  # type: ignore[arg-type]
    assert "verification_uri" in str(info.value)
    assert info.value.exit_status == 5


def test_an_unsafe_verification_uri_complete_is_dropped() -> None:
    from tokenmgr.core.oauth.flows import start_device

    doc = device_doc(verification_uri_complete="http://evil.example/?code=x")
    auth = start_device(FakeHttp(doc), CFG, None)  # type: ignore[arg-type]
    assert auth.verification_uri_complete is None


def test_login_prints_verification_url_and_user_code_printably(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokenmgr.core.oauth import signin
    from tokenmgr.core.oauth.flows import DeviceAuthorization

    def fake_sign_in(vault: Any, req: Any, *, open_url: Any, announce: Any, **kw: Any) -> Any:
        announce(
            DeviceAuthorization(
                device_code="dev-code-123456",
                user_code="AB\x1b[2JCD\u202e",
                verification_uri="https://id.example.com/dev\x1b]0;x\x07ice",
                verification_uri_complete=None,
                expires_in=600,
                interval=5,
            )
        )
        raise AuthError("stop here")

    monkeypatch.setattr(signin, "sign_in", fake_sign_in)
    r = cli("login", "d", "--issuer", "https://id.example.com", "--client-id", "c")
    assert r.status == 5
    lines = r.err.splitlines()
    assert "Verification URL: https://id.example.com/dev\ufffd]0;x\ufffdice" in lines
    assert "User code: AB\ufffd[2JCD\ufffd" in lines
    assert clean(r.err)


def test_check_url_messages_are_printable_and_bounded() -> None:
    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.oauth.http import check_url

    with pytest.raises(UsageError) as info:
        check_url("ftp://x/" + "\u202e" * 2 + "y" * 5000, "--issuer")
    assert clean(str(info.value)) and len(str(info.value)) < 600
