"""One limit on a token the user gives, and one sentence for a line break, whichever face
takes it: `add` (stdin or the prompt), the vault's `add` (the app's add dialog saves
through it), and `decode`. The add dialog's side is in tests/gui/test_entry_dialog.py."""

from __future__ import annotations

import pytest

from tests.support.cli import CliRunner
from tokenmgr.core import jwt_inspect
from tokenmgr.core.errors import InvalidSecret
from tokenmgr.core.rules import LINE_BREAK, MAX_TOKEN_BYTES, TOO_LONG
from tokenmgr.core.vault import Vault

LIMIT = 64 * 1024


def test_the_limit_is_64_kib_and_decode_shares_it() -> None:
    assert MAX_TOKEN_BYTES == LIMIT
    assert jwt_inspect.MAX_INPUT == MAX_TOKEN_BYTES


@pytest.mark.parametrize("newline", ["", "\n", "\r\n"])
def test_add_takes_a_token_of_exactly_the_limit(
    cli: CliRunner, vault: Vault, newline: str
) -> None:
    token = "t" * LIMIT
    r = cli("add", "big", stdin=token + newline)
    assert r.status == 0, r.err
    assert vault.get_secret(vault.entry("big")) == token


@pytest.mark.parametrize(
    "stdin", ["t" * (LIMIT + 1), "t" * (LIMIT + 1) + "\n", "t" * LIMIT + "\nmore", "t" * 10**6]
)
def test_add_refuses_more_and_stores_nothing(cli: CliRunner, vault: Vault, stdin: str) -> None:
    r = cli("add", "big", stdin=stdin)
    assert r.status == 1
    assert r.err == f"tokenmgr: {TOO_LONG}: nothing was stored\n"
    assert vault.list_entries() == []


def test_add_at_the_prompt_refuses_more(cli: CliRunner, vault: Vault) -> None:
    r = cli("add", "big", tty=True, ask=lambda _prompt: "é" * (LIMIT // 2 + 1))  # 2 bytes each
    assert r.status == 1 and TOO_LONG in r.err
    assert vault.list_entries() == []


def test_the_vault_refuses_more_whoever_asks(vault: Vault) -> None:
    with pytest.raises(InvalidSecret, match="over 64 KiB"):
        vault.add("big", "t" * (LIMIT + 1))
    assert vault.list_entries() == []


def test_decode_takes_the_limit_and_refuses_more(cli: CliRunner) -> None:
    assert jwt_inspect.inspect("t" * LIMIT).kind == "opaque"
    report = jwt_inspect.inspect("t" * (LIMIT + 1))
    assert report.kind == "malformed" and report.reason == TOO_LONG


def test_a_line_break_gets_one_sentence_from_add_and_decode(cli: CliRunner) -> None:
    r = cli("add", "x", stdin="ghp_abc\ndef\n")
    assert r.status == 1
    assert r.err == f"tokenmgr: {LINE_BREAK}: nothing was stored\n"
    r = cli("decode", "-", stdin="ghp_abc\ndef\n")
    assert r.status == 6
    assert r.err == f"tokenmgr: the token is malformed: {LINE_BREAK}\n"
    assert jwt_inspect.inspect("abc\r\ndef").reason == LINE_BREAK
    # A JWT wrapped over lines is still joined for display, with a note (decode only).
    from tests.support.jwt_helpers import RFC7515_A2

    wrapped = RFC7515_A2[:40] + "\n" + RFC7515_A2[40:]
    assert jwt_inspect.inspect(wrapped).kind == "jws"
