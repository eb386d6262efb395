"""The loopback listener (RFC 8252 §7.3, RFC 9207): on a real 127.0.0.1 socket, in process."""

from __future__ import annotations

import contextlib
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


# ------------------------------------------------ slow, idle and broken connections


def _drip(port: int, stop: threading.Event, head: bytes) -> threading.Thread:
    """A client sending its request one byte a second (a slowloris)."""

    def target() -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                for ch in head:
                    if stop.wait(1.0):
                        return
                    s.send(bytes([ch]))
        except OSError:
            return

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t


def test_idle_and_dripping_connections_do_not_block_the_valid_callback() -> None:
    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    stop = threading.Event()
    idle = [socket.create_connection(("127.0.0.1", lst.port)) for _ in range(3)]
    try:
        _drip(lst.port, stop, b"GET /callback?state=x HTTP/1.1\r\nHost: a\r\n" + b"X" * 100)
        t, out = run(lst)
        status, page = get(cb(lst, code="good-code", state=STATE))
        assert status == 200 and "close this tab" in page
        t.join(10)
        assert not t.is_alive()
        assert out["result"].code == "good-code"
    finally:
        stop.set()
        for s in idle:
            s.close()


@pytest.mark.parametrize("how", ["timeout", "cancel"])
def test_deadline_and_cancel_hold_while_a_connection_drips(how: str) -> None:
    from tokenmgr.core.oauth.loopback import SignInCancelled

    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    stop = threading.Event()
    cancel = threading.Event()
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            lst.wait(1.0 if how == "timeout" else 30, cancel)
        except AuthError as e:
            out["error"] = e

    idle: list[socket.socket] = []
    try:
        # The dripping connection is first in the queue, idle ones behind it.
        _drip(lst.port, stop, b"GET /callback HTTP/1.1\r\n" + b"X" * 100)
        stop.wait(0.3)
        idle = [socket.create_connection(("127.0.0.1", lst.port)) for _ in range(3)]
        t = threading.Thread(target=target, daemon=True)
        t.start()
        if how == "cancel":
            cancel.wait(1.0)
            cancel.set()
        t.join(6)
        assert not t.is_alive(), "the listener ignored its deadline / cancel"
        expected = SignInTimeout if how == "timeout" else SignInCancelled
        assert isinstance(out["error"], expected)
    finally:
        stop.set()
        for s in idle:
            s.close()


def test_an_over_long_request_head_is_refused_and_the_sign_in_goes_on() -> None:
    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    t, out = run(lst)
    with socket.create_connection(("127.0.0.1", lst.port), timeout=5) as s:
        # The listener may hang up before it has read it all.
        with contextlib.suppress(OSError):
            s.sendall(b"GET /callback?state=x HTTP/1.1\r\nX-Pad: " + b"a" * 20000 + b"\r\n\r\n")
        try:
            answer = s.recv(100)
        except OSError:
            answer = b""
    assert answer == b"" or answer.startswith(b"HTTP/1.0 431 ")
    assert get(cb(lst, code="good-code", state=STATE))[0] == 200
    t.join(10)
    assert out["result"].code == "good-code"


def test_concurrent_valid_callbacks_only_the_first_wins() -> None:
    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    t, out = run(lst)
    statuses: list[int] = []

    def hit(i: int) -> None:
        try:
            statuses.append(get(cb(lst, code=f"code-{i}", state=STATE))[0])
        except OSError:
            statuses.append(0)  # the listener closed before this one got in

    hits = [threading.Thread(target=hit, args=(i,)) for i in range(5)]
    for h in hits:
        h.start()
    for h in hits:
        h.join(10)
    t.join(10)
    assert statuses.count(200) == 1
    assert out["result"].code.startswith("code-")


def test_a_failing_page_write_does_not_lose_the_sign_in() -> None:
    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    try:

        def page(status: int, title: str, text: str) -> None:
            raise ConnectionResetError(104, "Connection reset by peer")

        outcome = lst.check(f"/callback?state={STATE}&code=the-code", page)
        assert isinstance(outcome, Callback) and outcome.code == "the-code"
    finally:
        lst.close()


def test_a_reset_while_answering_keeps_the_sign_in_and_prints_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import struct

    lst = LoopbackListener(state=STATE, issuer=None, iss_required=False)
    t, out = run(lst)

    def reset(raw: bytes) -> None:
        s = socket.create_connection(("127.0.0.1", lst.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(raw)
        s.close()  # RST, possibly before the page is written

    reset(b"GET /callb")  # a reset in the middle of the request line
    reset(
        f"GET /callback?state={STATE}&code=first-code HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{lst.port}\r\n\r\n".encode()
    )
    t.join(2)
    if t.is_alive():  # the reset beat the request: the sign-in must still be open
        assert get(cb(lst, code="second-code", state=STATE))[0] == 200
    t.join(10)
    assert not t.is_alive()
    assert out["result"].code in ("first-code", "second-code")
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError" not in err
