"""The loopback listener (RFC 8252 §7.3, RFC 9207): on a real 127.0.0.1 socket, in process."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tokenmgr.core.errors import AuthError, UsageError
from tokenmgr.core.oauth.loopback import Callback, LoopbackListener, SignInTimeout

ISSUER = "https://id.example.com"
STATE = "s" * 43


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def run(listener: LoopbackListener) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["result"] = listener.wait(20)
        except AuthError as e:
            out["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, out


def cb(listener: LoopbackListener, **params: str) -> str:
    return listener.redirect_uri + "?" + urllib.parse.urlencode(params)


def test_binds_127_0_0_1_on_a_free_port() -> None:
    with LoopbackListener(state=STATE, issuer=ISSUER, iss_required=True) as lst:
        assert lst.redirect_uri.startswith("http://127.0.0.1:")
        assert lst.redirect_uri.endswith("/callback")
        assert lst.port > 0
        assert lst.server.server_address[0] == "127.0.0.1"


def test_bad_callbacks_get_error_pages_then_the_first_valid_one_wins() -> None:
    lst = LoopbackListener(state=STATE, issuer=ISSUER, iss_required=True)
    t, out = run(lst)
    assert get(cb(lst, code="c1", state="wrong", iss=ISSUER))[0] == 400
    assert get(cb(lst, code="c1", iss=ISSUER))[0] == 400
    status, page = get(cb(lst, code="c1", state=STATE, iss="https://evil.example"))
    assert status == 400 and "issuer" in page
    assert get(cb(lst, code="c1", state=STATE))[0] == 400  # iss required (advertised)
    assert get(cb(lst, state=STATE, iss=ISSUER))[0] == 400  # no code
    assert get(lst.redirect_uri.replace("/callback", "/other"))[0] == 404
    assert "result" not in out and "error" not in out
    status, page = get(cb(lst, code="c2", state=STATE, iss=ISSUER))
    assert status == 200 and "close this tab" in page
    t.join(10)
    assert out["result"] == Callback(code="c2", state=STATE, iss=ISSUER)
    # closed after the first valid callback
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", lst.port), timeout=2).close()


def test_iss_is_optional_when_not_advertised_but_checked_when_present() -> None:
    lst = LoopbackListener(state=STATE, issuer=ISSUER, iss_required=False)
    t, out = run(lst)
    assert get(cb(lst, code="c", state=STATE, iss="https://other"))[0] == 400
    assert get(cb(lst, code="c", state=STATE))[0] == 200
    t.join(10)
    assert out["result"].iss is None


def test_error_with_the_right_state_ends_the_sign_in() -> None:
    lst = LoopbackListener(state=STATE, issuer=ISSUER, iss_required=False)
    t, out = run(lst)
    assert get(cb(lst, error="access_denied", state="wrong"))[0] == 400  # ignored
    assert get(cb(lst, error="access_denied", error_description="no", state=STATE))[0] == 200
    t.join(10)
    assert "access_denied" in str(out["error"])


def test_timeout() -> None:
    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    with pytest.raises(SignInTimeout) as info:
        lst.wait(0.3)
    assert info.value.exit_status == 5
    assert "was the browser closed" in str(info.value)


def test_taken_port_is_a_usage_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(UsageError) as info:
            LoopbackListener(state=STATE, issuer=None, iss_required=False, port=port)
    assert f"port {port}" in str(info.value)


def test_cancel_ends_the_wait() -> None:
    from tokenmgr.core.oauth.loopback import SignInCancelled

    cancel = threading.Event()
    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            lst.wait(30, cancel)
        except AuthError as e:
            out["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    cancel.set()
    t.join(10)
    assert isinstance(out["error"], SignInCancelled)
    assert out["error"].exit_status == 5
