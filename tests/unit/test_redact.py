"""The redaction filter: known shapes and every registered value are masked."""

from __future__ import annotations

import logging

import pytest

from tokenmgr.core import redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-123"


@pytest.mark.parametrize(
    "text",
    [
        f"got {JWT} back",
        "Authorization: Bearer sekrit-value-1",
        "headers={'Authorization': 'Basic c2VjcmV0OnZhbHVl'}",
        "POST body: grant_type=refresh_token&refresh_token=sekrit-value-1&client_id=x",
        "redirect /callback?code=sekrit-value-1&state=abc",
        '{"access_token": "sekrit-value-1", "token_type": "Bearer"}',
        "client_secret=sekrit-value-1",
        "code_verifier=sekrit-value-1",
        "Authorization: SSWS sekrit-value-1",
        "send: b'GET / HTTP/1.1\\r\\nAuthorization: ApiKey sekrit-value-1\\r\\n'",
        "{'Authorization': 'sekrit-value-1'}",
    ],
)
def test_patterns_are_masked(text: str) -> None:
    out = redact.redact(text)
    assert "sekrit-value-1" not in out
    assert "c2VjcmV0OnZhbHVl" not in out
    assert JWT not in out
    assert redact.MASK in out


def test_registered_values_are_masked_anywhere() -> None:
    redact.register_secret("opaque-registered-9f8e7d")
    assert redact.redact("x=opaque-registered-9f8e7d;") == "x=***;"


def test_registered_values_are_masked_when_encoded() -> None:
    redact.register_secret("Zq9/abc+def=ghi\"j")
    for text in ("x=Zq9%2Fabc%2Bdef%3Dghi%22j", "x=Zq9%2Fabc%2Bdef%3Dghi%22j&y=1",
                 '{"v": "Zq9/abc+def=ghi\\"j"}'):
        assert "Zq9" not in redact.redact(text), text


def test_many_registrations_stay_cheap() -> None:
    """Registering is O(1): the ordered list is rebuilt lazily, once per change burst."""
    for i in range(3000):
        redact.register_secret(f"bulk-secret-{i:05d}-xxxxxxxx")
    assert redact.redact("a bulk-secret-02999-xxxxxxxx b") == "a *** b"


def test_filter_on_records_with_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    redact.register_secret("in-an-exception-42")
    logger = logging.getLogger("tokenmgr.test")
    handler = logging.Handler()
    records: list[logging.LogRecord] = []
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(redact.RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("token %s", JWT)
        try:
            raise ValueError("bad in-an-exception-42")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = " ".join(r.getMessage() + (r.exc_text or "") for r in records)
    assert JWT not in text and "in-an-exception-42" not in text
    assert "ValueError" in text
