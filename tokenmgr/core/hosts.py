"""The hosts an entry serves to credential helpers: `host[:port][/path-prefix]`.

No scheme is written: https is implied, and plain http is answered only for a
loopback host. A host is matched exactly as the client names it (a port is part
of it; host names are compared without case), and among the entries that serve
it the one with the longest path prefix that covers the request's path wins, so
a person may keep one token for `github.com` and another for `github.com/acme`.
Path prefixes match whole segments (`acme` covers `acme/app.git`, never
`acme-evil/app.git`), without case: they choose between a person's own tokens
for one host, while the host alone decides where a token may go.

Two entries serving the same host and prefix are refused when the second is set
up (`check_unique`); a hand-out that still finds two (an index edited by hand)
answers nothing rather than guess (`Ambiguous`).

Pure functions over strings: no I/O, nothing heavy to import (the git helper runs
on every fetch).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tokenmgr.core.errors import UsageError

MAX_HOSTS = 64  # per entry: more is a mistake (or an index edited to be slow to read)
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_SEGMENT = re.compile(r"[A-Za-z0-9._~%+-]+")
_PORT = re.compile(r"[0-9]{1,5}")
DEFAULT_PORT = 443  # https: git and docker leave it out, so it is dropped here too


class Ambiguous(UsageError):
    """Two entries serve the same host and prefix (the index was edited by hand)."""

    exit_status = 1


def _shown(text: str) -> str:
    """The host as typed, for a message: short and printable (it may be a pasted token)."""
    if len(text) > 80 or not text.isprintable():
        return "(not shown)"
    return repr(text)


@dataclass(frozen=True)
class Host:
    """One parsed `host[:port][/path-prefix]`."""

    name: str  # lower case; an IPv6 address keeps its brackets
    port: int | None
    path: tuple[str, ...]

    @property
    def hostport(self) -> str:
        """`host[:port]`, as git's `host=` and docker's registry name give it."""
        return self.name if self.port is None else f"{self.name}:{self.port}"

    @property
    def prefix(self) -> str:
        return "/".join(self.path)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """What two entries may not share: the host and the prefix, without case."""
        return self.hostport, tuple(s.casefold() for s in self.path)

    def __str__(self) -> str:
        return self.hostport + ("/" + self.prefix if self.path else "")

    def covers(self, path: Sequence[str]) -> bool:
        """Does this prefix cover a request for `path` (segments)?"""
        if len(path) < len(self.path):
            return False
        return all(a.casefold() == b.casefold() for a, b in zip(self.path, path, strict=False))


def is_loopback(name: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts answered over plain http."""
    bare = name.strip("[]").lower()
    if bare in ("localhost", "::1"):
        return True
    parts = bare.split(".")
    return len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts)


def _parse_name(text: str, given: str) -> str:
    if text.startswith("["):
        import ipaddress

        inner = text[1:-1] if text.endswith("]") else ""
        try:
            return f"[{ipaddress.IPv6Address(inner).compressed}]"
        except ValueError:
            raise UsageError(f"host {_shown(given)}: {text!r} is not an IPv6 address") from None
    name = text.lower()
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise UsageError(
            f"host {_shown(given)} is not a host name: use letters, digits, - and dots, "
            "e.g. github.com or registry.example.com:5000"
        )
    if all(label.isdigit() for label in labels):
        import ipaddress

        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise UsageError(f"host {_shown(given)} is not an IPv4 address") from None
    return name


def parse(text: str) -> Host:
    """Parse and check one `host[:port][/path-prefix]` (a usage error says what to fix)."""
    given = text
    text = text.strip()
    if "://" in text:
        rest = text.split("://", 1)[1]
        raise UsageError(
            f"host {_shown(given)}: give it without a scheme (https is implied), "
            f"e.g. {_shown(rest.rstrip('/'))}"
        )
    if not text or any(c.isspace() or not c.isprintable() for c in text):
        raise UsageError(f"host {_shown(given)}: give a host name such as github.com")
    if any(c in text for c in "@?#\\"):
        raise UsageError(
            f"host {_shown(given)}: a host holds no user name, query or fragment "
            "(use host[:port][/path-prefix], e.g. github.com/acme)"
        )
    hostport, _, path_text = text.partition("/")
    if hostport.startswith("["):
        end = hostport.find("]")
        name_text, port_text = hostport[: end + 1], hostport[end + 1 :]
        if port_text and not port_text.startswith(":"):
            raise UsageError(f"host {_shown(given)}: write an IPv6 host as [::1]:8443")
        port_text = port_text[1:]
        has_port = bool(hostport[end + 1 :])
    else:
        name_text, sep, port_text = hostport.partition(":")
        has_port = bool(sep)
    name = _parse_name(name_text, given)
    port: int | None = None
    if has_port:
        if not _PORT.fullmatch(port_text) or not 0 < int(port_text) < 65536:
            raise UsageError(f"host {_shown(given)}: the port must be a number from 1 to 65535")
        port = int(port_text)
        if port == DEFAULT_PORT:
            port = None
    inner = path_text[:-1] if path_text.endswith("/") else path_text  # one trailing / is fine
    segments = tuple(inner.split("/")) if inner else ()
    if any(not s for s in segments):
        raise UsageError(f"host {_shown(given)}: the path prefix has an empty segment (//)")
    for segment in segments:
        if segment in (".", "..") or not _SEGMENT.fullmatch(segment):
            raise UsageError(
                f"host {_shown(given)}: the path prefix may hold letters, digits and . _ ~ % + -"
                " between slashes, e.g. github.com/acme"
            )
    return Host(name, port, segments)


def parse_all(texts: Iterable[str]) -> list[Host]:
    """Parse several, dropping repeats (the first spelling is kept)."""
    out: dict[tuple[str, tuple[str, ...]], Host] = {}
    for text in texts:
        host = parse(text)
        out.setdefault(host.key, host)
    if len(out) > MAX_HOSTS:
        raise UsageError(f"an entry serves at most {MAX_HOSTS} hosts")
    return list(out.values())


def normalize(texts: Iterable[str]) -> list[str]:
    """The canonical spellings, in the order given, without repeats."""
    return [str(h) for h in parse_all(texts)]


def check_unique(name: str, hosts: Iterable[str], others: Iterable[tuple[str, list[str]]]) -> None:
    """Refuse a host and prefix that another entry already serves (the set-up error the
    hand-out never has to guess about). `others` is (entry name, its hosts)."""
    mine = {h.key: h for h in parse_all(hosts)}
    for other, their_hosts in others:
        if other == name:
            continue
        for host in parse_all(their_hosts):
            if host.key in mine:
                raise UsageError(
                    f"{other!r} already serves {host}: one entry per host and prefix "
                    f"(remove it there with `tokenmgr edit {other} --no-host {host}`, or "
                    "give this one a path prefix, e.g. "
                    f"{host.hostport}/ORG)"
                )


def split_path(path: str | None) -> tuple[str, ...]:
    """A request path (`acme/app.git`, `/v1/`) as segments, with `.` and `..` resolved
    as a server resolves them (RFC 3986 §5.2.4), so `acme/../other` is `other`'s and
    never the `acme` prefix's."""
    if not path:
        return ()
    segments: list[str] = []
    for s in path.split("?", 1)[0].split("/"):
        if s == "..":
            if segments:
                segments.pop()
        elif s and s != ".":
            segments.append(s)
    return tuple(segments)


def best_match(
    hostport: str, path: Sequence[str], candidates: Iterable[tuple[str, list[str]]]
) -> tuple[str, Host] | None:
    """The entry (name, and which of its hosts) that serves `hostport` for `path`: the
    longest covering prefix wins. Raises Ambiguous when two entries tie (an index edited
    by hand: set-up refuses that)."""
    wanted = hostport.lower()
    best: tuple[str, Host] | None = None
    tie: str | None = None
    for name, texts in candidates:
        for text in texts:
            try:
                host = parse(text)
            except UsageError:
                continue  # the index is validated on load; a bad host serves nothing
            if host.hostport != wanted or not host.covers(path):
                continue
            if best is None or len(host.path) > len(best[1].path):
                best, tie = (name, host), None
            elif len(host.path) == len(best[1].path) and name != best[0]:
                tie = name
    if best is not None and tie is not None:
        raise Ambiguous(
            f"{best[0]!r} and {tie!r} both serve {best[1]}: nothing was handed out. Keep it "
            f"on one of them (`tokenmgr edit {tie} --no-host {best[1]}`)"
        )
    return best
