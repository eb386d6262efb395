"""How the sign-in window's address bar shows hosts (gui/address.py): look-alikes as
punycode, the registrable domain apart. The public suffixes here are a small fixed set;
tests/gui/test_login_window.py checks Qt's list behind the real window."""

from __future__ import annotations

import pytest

from tokenmgr.gui.address import display_host, registrable_labels, unicode_label_is_safe

SUFFIXES = {"com", "org", "de", "uk", "co.uk", "jp", "xn--p1ai", "github.io", "test.invalid"}


def public(name: str) -> bool:
    return name in SUFFIXES


def ace(host: str) -> str:
    return host.encode("idna").decode("ascii")


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        # A dotless i passes for github.com at a glance.
        ("xn--gthub-n4a.com", "xn--gthub-n4a.com"),
        # Cyrillic а in an otherwise Latin name: mixed scripts.
        (ace("ebаy.com"), ace("ebаy.com")),
        # Armenian օ (oh) in a Latin name.
        (ace("gօօgle.com"), ace("gօօgle.com")),
        # Whole-script Cyrillic look-alike of "apple" under an ASCII TLD.
        (ace("аррӏе.com"), ace("аррӏе.com")),
        # Greek omicron among Latin letters.
        (ace("gοοgle.com"), ace("gοοgle.com")),
        # Latin small capitals.
        (ace("gᴏogle.com"), "xn--gogle-m29a.com"),
    ],
)
def test_look_alikes_stay_punycode(host: str, shown: str) -> None:
    h = display_host(host, public)
    assert h.shown == shown
    assert h.spoofable


@pytest.mark.parametrize(
    "unicode_host",
    [
        "bücher.de",  # German: Latin with a diacritic
        "münchen.de",
        "例え.jp",  # Japanese: Han + Hiragana
        "пример.рф",  # Cyrillic under a Cyrillic TLD
        "παράδειγμα.com",  # Greek, not every letter Latin-alike
        "日本abc.jp",  # ASCII Latin mixes with Han
        "한국.com",
    ],
)
def test_honest_names_show_in_unicode(unicode_host: str) -> None:
    h = display_host(ace(unicode_host), public)
    assert h.shown == unicode_host
    assert not h.spoofable


def test_deviation_invisible_and_mixed_digits_stay_punycode() -> None:
    assert not unicode_label_is_safe("straße", ascii_tld=True)
    assert not unicode_label_is_safe("pay\u200dpal", ascii_tld=True)
    assert not unicode_label_is_safe("pay\u00adpal", ascii_tld=True)  # soft hyphen
    assert not unicode_label_is_safe("a\u0301\u0301", ascii_tld=True)  # a mark twice
    assert not unicode_label_is_safe("abc1\u0662", ascii_tld=True)  # ASCII + Arabic-Indic
    assert not unicode_label_is_safe("bücher日本", ascii_tld=True)  # non-ASCII Latin + Han
    assert not unicode_label_is_safe("a☺b", ascii_tld=True)  # a symbol


def test_the_registrable_domain_is_the_public_suffix_and_one_label() -> None:
    assert display_host("login.example.co.uk", public).registrable == "example.co.uk"
    assert display_host("login.example.co.uk", public).prefix == "login."
    assert display_host("accounts.google.com", public).registrable == "google.com"
    # A host under a public suffix that anyone can register under.
    assert display_host("evil.github.io", public).registrable == "evil.github.io"
    assert display_host("github.io", public).registrable == "github.io"
    # Unknown top-level domains: the last two labels.
    assert display_host("id.example.internal", public).registrable == "example.internal"
    assert display_host("localhost", public).registrable == "localhost"
    # Punycode kept as punycode in the registrable part too.
    h = display_host("login.xn--gthub-n4a.com", public)
    assert (h.prefix, h.registrable) == ("login.", "xn--gthub-n4a.com")
    # Unicode where it is safe.
    assert display_host(ace("www.пример.рф"), public).registrable == "пример.рф"
    assert registrable_labels(["a", "b", "c"], lambda _n: False) == 2


def test_ip_addresses_are_shown_as_they_are() -> None:
    assert display_host("127.0.0.1", public).shown == "127.0.0.1"
    assert display_host("127.0.0.1", public).registrable == "127.0.0.1"
    assert display_host("[::1]", public).registrable == "[::1]"


def test_invalid_punycode_is_shown_as_it_came() -> None:
    h = display_host("xn--zz-.com", public)
    assert h.shown == "xn--zz-.com"
