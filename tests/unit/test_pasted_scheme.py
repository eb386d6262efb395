"""`entries.strip_pasted_scheme`: a header value pasted as a token loses its scheme (and
header name) in front, and nothing else; the CLI's `add` and the app's paste share it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenmgr.core.errors import InvalidSecret
from tokenmgr.core.rules import KNOWN_SCHEMES, strip_pasted_scheme

KNOWN = {s.lower() for s in KNOWN_SCHEMES}


@pytest.mark.parametrize(
    ("pasted", "scheme", "token", "removed"),
    [
        ("Bearer abc", "Bearer", "abc", "Bearer"),
        ("bearer abc", "Bearer", "abc", "bearer"),
        ("BEARER \t abc", "Bearer", "abc", "BEARER"),
        ("  Bearer abc", "Bearer", "abc", "Bearer"),
        ("Authorization: Bearer abc", "Bearer", "abc", "Authorization: Bearer"),
        ("authorization:bearer abc", "Bearer", "abc", "authorization:bearer"),
        ("AUTHORIZATION :  Bearer abc", "Bearer", "abc", "AUTHORIZATION : Bearer"),
        ("token ghp_x", "token", "ghp_x", "token"),
        ("Token ghp_x", "token", "ghp_x", "Token"),
        ("Bearer ghp_x", "token", "ghp_x", "Bearer"),  # Bearer, whatever the entry's scheme
        ("Authorization: token ghp_x", "token", "ghp_x", "Authorization: token"),
        ("Bearer Bearer abc", "Bearer", "Bearer abc", "Bearer"),  # once, at the front only
        ("Bearer a b", "Bearer", "a b", "Bearer"),
    ],
)
def test_a_pasted_prefix_is_removed_and_named(
    pasted: str, scheme: str, token: str, removed: str
) -> None:
    got, note = strip_pasted_scheme(pasted, scheme)
    assert got == token
    assert note is not None and f"removed {removed!r} pasted in front of the token" in note
    assert token not in note


def test_a_header_with_another_scheme_is_removed_with_a_warning() -> None:
    got, note = strip_pasted_scheme("Authorization: Basic dXNlcjpwdw==", "Bearer")
    assert got == "dXNlcjpwdw=="
    assert note is not None and "'Basic'" in note and "this entry uses 'Bearer'" in note


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("abc", "Bearer"),
        ("two words", "Bearer"),  # a token with a space: not a scheme of this entry
        ("token ghp_x", "Bearer"),  # `token` is not this entry's scheme, and no header
        ("x Bearer y", "Bearer"),  # never from the middle
        ("abc Authorization: Bearer y", "Bearer"),
        ("Bearerabc", "Bearer"),  # no separator: part of the token
        ("Bearer", "Bearer"),
        ("Authorization: Frobnicate abc", "Bearer"),  # not a scheme we know
        ("eyJhbGciOiJIUzI1NiJ9.e30.sig", "Bearer"),
    ],
)
def test_other_text_is_left_as_it_is(text: str, scheme: str) -> None:
    assert strip_pasted_scheme(text, scheme) == (text, None)


@pytest.mark.parametrize("pasted", ["Bearer ", "Bearer \t ", "Authorization: Bearer  ", "token  "])
def test_a_prefix_alone_is_refused_not_emptied(pasted: str) -> None:
    with pytest.raises(InvalidSecret, match="no token after it"):
        strip_pasted_scheme(pasted, "token")


@given(
    prefix=st.sampled_from(["", "Bearer ", "bearer\t", "Authorization: Bearer ", "token  ", " "]),
    text=st.text(min_size=1),
    scheme=st.sampled_from(["Bearer", "token", "Bot"]),
)
def test_only_ever_a_prefix_and_never_an_empty_token(prefix: str, text: str, scheme: str) -> None:
    pasted = prefix + text
    try:
        got, note = strip_pasted_scheme(pasted, scheme)
    except InvalidSecret:  # only when the text is a header name and scheme, and nothing else
        words = {w.lower() for w in re.split(r"[\s:]+", pasted) if w}
        assert words <= {"authorization", "bearer", scheme.lower(), *KNOWN}
        return
    assert pasted.endswith(got)  # a suffix: nothing taken from the middle or the end
    assert (note is None) == (got == pasted)
    if note is not None:
        assert got.strip() != ""  # what is left after a removed prefix is never empty
