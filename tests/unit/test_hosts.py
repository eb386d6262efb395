"""The hosts an entry serves: the `host[:port][/path-prefix]` syntax, which entry serves a
request (exact host and port, the longest path prefix, whole segments), and one entry
per host and prefix."""

from __future__ import annotations

import pytest

from tokenmgr.core import hosts
from tokenmgr.core.errors import UsageError


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("github.com", "github.com"),
        ("GitHub.COM", "github.com"),
        ("github.com:443", "github.com"),  # git and docker leave the https port out
        ("127.0.0.1:8443", "127.0.0.1:8443"),
        ("github.com/acme", "github.com/acme"),
        ("github.com/Acme/Team/", "github.com/Acme/Team"),
        ("[::1]:6443", "[::1]:6443"),
        ("[0:0::1]", "[::1]"),
        ("registry.example.com:5000", "registry.example.com:5000"),
        ("  gitlab.com  ", "gitlab.com"),
        ("my_host.internal", "my_host.internal"),
    ],
)
def test_canonical_spelling(given: str, canonical: str) -> None:
    assert str(hosts.parse(given)) == canonical


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("https://github.com", "without a scheme"),
        ("user@github.com", "no user name"),
        ("github.com?x=1", "no user name, query or fragment"),
        ("github.com:0", "port must be a number"),
        ("github.com:99999", "port must be a number"),
        ("github.com:x", "port must be a number"),
        ("github.com//acme", "empty segment"),
        ("github.com/../x", "path prefix may hold"),
        ("github.com/a b", "give a host name"),
        ("-bad-.com", "not a host name"),
        ("", "give a host name"),
        ("[::zz]", "not an IPv6 address"),
        ("999.1.1.1", "not an IPv4 address"),
    ],
)
def test_refused_with_what_to_fix(given: str, says: str) -> None:
    with pytest.raises(UsageError, match=says.replace("?", r"\?")):
        hosts.parse(given)


def test_a_token_pasted_as_a_host_is_not_echoed() -> None:
    token = "ghp_" + "x" * 36 + "/" + "y" * 60
    with pytest.raises(UsageError) as info:
        hosts.parse("https://" + token)
    assert "xxxxxxxx" not in str(info.value)


def test_repeats_are_dropped_keeping_the_first_spelling() -> None:
    assert hosts.normalize(["github.com/Acme", "GITHUB.com/acme", "gitlab.com"]) == [
        "github.com/Acme",
        "gitlab.com",
    ]


def test_loopback_hosts() -> None:
    for name in ("127.0.0.1", "127.1.2.3", "[::1]", "localhost", "LOCALHOST"):
        assert hosts.is_loopback(name), name
    for name in ("128.0.0.1", "localhost.example", "10.0.0.1", "[::2]"):
        assert not hosts.is_loopback(name), name


ENTRIES = [
    ("personal", ["github.com"]),
    ("work", ["github.com/acme"]),
    ("team", ["github.com/acme/infra"]),
    ("local", ["127.0.0.1:8443"]),
]


@pytest.mark.parametrize(
    ("hostport", "path", "served_by"),
    [
        ("github.com", "", "personal"),
        ("github.com", "other/app.git", "personal"),
        ("github.com", "acme/app.git", "work"),
        ("github.com", "ACME/app.git", "work"),  # prefixes choose without case
        ("github.com", "acme/infra/tools.git", "team"),
        ("github.com", "acme-evil/app.git", "personal"),  # whole segments only
        ("GitHub.com", "acme", "work"),
        ("127.0.0.1:8443", "", "local"),
        ("127.0.0.1", "", None),  # the port is part of the host
        ("127.0.0.1:9443", "", None),
        ("gitlab.com", "", None),
    ],
)
def test_the_longest_covering_prefix_serves(
    hostport: str, path: str, served_by: str | None
) -> None:
    match = hosts.best_match(hostport, hosts.split_path(path), ENTRIES)
    assert (match[0] if match else None) == served_by


def test_no_path_sent_means_only_a_prefixless_host_serves() -> None:
    only_prefixed = [("work", ["github.com/acme"])]
    assert hosts.best_match("github.com", (), only_prefixed) is None


def test_two_entries_on_one_host_and_prefix_are_never_a_guess() -> None:
    edited = [("a", ["github.com/acme"]), ("b", ["GITHUB.COM/Acme"])]
    with pytest.raises(hosts.Ambiguous, match="'a' and 'b' both serve"):
        hosts.best_match("github.com", ("acme", "app.git"), edited)
    # A longer prefix elsewhere still wins outright.
    edited.append(("c", ["github.com/acme/app.git"]))
    assert hosts.best_match("github.com", ("acme", "app.git"), edited) == (
        "c",
        hosts.parse("github.com/acme/app.git"),
    )


def test_set_up_refuses_a_host_and_prefix_another_entry_serves() -> None:
    others = [("personal", ["github.com"]), ("work", ["github.com/acme"])]
    with pytest.raises(UsageError, match="'work' already serves github.com/acme"):
        hosts.check_unique("new", ["github.com/ACME/"], others)
    with pytest.raises(UsageError, match="'personal' already serves github.com"):
        hosts.check_unique("new", ["GitHub.com:443"], others)
    hosts.check_unique("new", ["github.com/other", "gitlab.com"], others)
    hosts.check_unique("work", ["github.com/acme"], others)  # itself


def test_split_path() -> None:
    assert hosts.split_path("/v1/") == ("v1",)
    assert hosts.split_path("acme/app.git") == ("acme", "app.git")
    assert hosts.split_path("a/b?x=1") == ("a", "b")
    assert hosts.split_path(None) == ()
    # Dot segments as the server resolves them: `..` never keeps an `acme` prefix.
    assert hosts.split_path("acme/../other/repo.git") == ("other", "repo.git")
    assert hosts.split_path("./acme/./app.git") == ("acme", "app.git")
    assert hosts.split_path("../../acme") == ("acme",)
