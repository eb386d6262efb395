"""`.env` files: reading one to import its tokens, and writing entries out as one.

Reading follows python-dotenv's grammar (what most loaders accept): blank lines
and `#` comments, an optional `export `, `KEY=value` with the value bare (an
inline comment after whitespace and `#` is dropped), in single quotes (`\\'` and
`\\\\` are escapes) or in double quotes (`\\n`, `\\t`, `\\"` and the other C
escapes), quoted values possibly running over several lines, the last of a
repeated key winning. What cannot be a token is reported by line number and
never by its value: no `=`, a key that is not an environment variable name, an
empty value, one over several lines, one that refers to another variable
(`${…}`, which loaders expand), one with a NUL. Nothing here stores anything.

Writing renders each entry with the command line's dotenv rendering
(`formats.render_dotenv`, which python-dotenv reads back exactly) into a new
file readable by its owner only, put in place atomically; the directory it is
in is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tokenmgr.core.rules import ENV_VAR_RE, NAME_RE, format_time, looks_like_token

# Larger than any .env file a person keeps; a bigger one is not what they meant.
MAX_BYTES = 1 << 20

_WS = r"[^\S\r\n]*"
_NEWLINE = re.compile(r"\r\n|\n|\r")
_BLANK = re.compile(r"\s*")
_EXPORT = re.compile(r"(?:export[^\S\r\n]+)?")
_QUOTED_KEY = re.compile(r"'([^']+)'")
_KEY = re.compile(r"([^=#\s]+)")
_SPACE = re.compile(_WS)
_EQUALS = re.compile(r"=" + _WS)
_SINGLE = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_DOUBLE = re.compile(r'"((?:\\.|[^"\\])*)"', re.DOTALL)
_BARE = re.compile(r"[^\r\n]*")
_COMMENT = re.compile(r"(?:" + _WS + r"#[^\r\n]*)?")
_END = re.compile(_WS + r"(?:\r\n|\n|\r|$)")
_REST = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)?")
_SINGLE_ESCAPES = re.compile(r"\\([\\'])")
_DOUBLE_ESCAPES = re.compile(r"\\([\\'\"abfnrtv])")
_C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

# Variable names that say "a credential", for the import's first guess.
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:TOKEN|SECRET|KEY|APIKEY|PAT|PASSWORD|PASSWD|PWD|AUTH|CREDENTIALS?|BEARER|JWT)"
    r"(?:_|$)"
)


@dataclass(frozen=True)
class Assignment:
    """`var=secret` on line `line` of a .env file; the value is a secret (never shown)."""

    line: int
    var: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Problem:
    """A line that gives no token, and why (in words that never quote its value)."""

    line: int
    why: str


@dataclass(frozen=True)
class EnvFile:
    """What a .env file holds: one assignment per variable (the last one), in file order,
    and the lines that give none."""

    assignments: tuple[Assignment, ...]
    problems: tuple[Problem, ...]


class _Unreadable(Exception):
    pass


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text.removeprefix("\ufeff")
        self.pos = 0
        self.line = 1

    def more(self) -> bool:
        return self.pos < len(self.text)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def take(self, regex: re.Pattern[str]) -> re.Match[str]:
        m = regex.match(self.text, self.pos)
        if m is None:
            raise _Unreadable
        self.line += len(_NEWLINE.findall(m.group(0)))
        self.pos = m.end()
        return m


def _unescape(regex: re.Pattern[str], value: str) -> str:
    return regex.sub(lambda m: _C_ESCAPES.get(m.group(1), m.group(1)), value)


def _value(r: _Reader) -> str:
    quote = r.peek()
    if quote == "'":
        return _unescape(_SINGLE_ESCAPES, r.take(_SINGLE).group(1))
    if quote == '"':
        return _unescape(_DOUBLE_ESCAPES, r.take(_DOUBLE).group(1))
    if quote in ("", "\n", "\r"):
        return ""
    return re.sub(r"\s+#.*", "", r.take(_BARE).group(0)).rstrip()


def parse(text: str) -> EnvFile:
    """Read a .env file's text (see the module's docstring for the grammar)."""
    r = _Reader(text)
    found: dict[str, Assignment] = {}
    problems: list[Problem] = []
    while r.more():
        r.take(_BLANK)
        if not r.more():
            break
        start = r.line
        try:
            r.take(_EXPORT)
            if r.peek() == "#":
                r.take(_REST)
                continue
            key = r.take(_QUOTED_KEY if r.peek() == "'" else _KEY).group(1)
            r.take(_SPACE)
            value: str | None = None
            if r.peek() == "=":
                equals = r.take(_EQUALS).group(0)
                # `KEY= # note`: an empty value and a comment; `KEY=#x`: the value "#x".
                value = "" if len(equals) > 1 and r.peek() == "#" else _value(r)
            r.take(_COMMENT)
            r.take(_END)
        except _Unreadable:
            r.take(_REST)
            problems.append(Problem(start, "cannot be read as NAME=value"))
            continue
        why = _refused(key, value)
        if why:
            problems.append(Problem(start, why))
            found.pop(key, None)  # a later bad line hides an earlier good one, as loaders do
            continue
        assert value is not None
        found[key] = Assignment(start, key, value)
    return EnvFile(tuple(sorted(found.values(), key=lambda a: a.line)), tuple(problems))


def _refused(key: str, value: str | None) -> str:
    """Why this assignment gives no token ("" when it does); never quotes the value, nor a
    name that may be a token pasted on a line of its own."""
    if not ENV_VAR_RE.fullmatch(key) or len(key) > 64 or looks_like_token(key):
        if value is None:
            return "not NAME=value (the line is not shown: it may be a token)"
        return "its name is not an environment variable name (letters, digits and _)"
    if value is None:
        return f"{key} has no value (no =)"
    if value == "":
        return f"{key} is empty"
    if "\n" in value or "\r" in value:
        return f"{key} runs over several lines; a token is one line"
    if "${" in value:
        return f"{key} refers to another variable (${{…}}), which loaders expand"
    if "\x00" in value:
        return f"{key} holds a NUL character"
    return ""


def read(path: Path) -> EnvFile:
    """Read and parse a .env file (UTF-8, at most MAX_BYTES); OSError, or UsageError with a
    sentence when it is not a .env file."""
    from tokenmgr.core.errors import UsageError

    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path.name} is over {MAX_BYTES // 1024} KiB: not a .env file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path.name} is not UTF-8 text: not a .env file") from None
    return parse(text)


# ------------------------------------------------------------------ the first guess


def looks_secret(a: Assignment) -> bool:
    """Is it likely a token (ticked for import at first)? Its variable's name says so
    (`…_TOKEN`, `…_KEY`, `…_SECRET`…), or its value has a token's shape."""
    return bool(_SECRET_NAME.search(a.var.upper())) or looks_like_token(a.secret)


def suggested_name(var: str) -> str:
    """An entry name for a variable: `GITHUB_TOKEN` → `github` (whose default variable is
    `GITHUB_TOKEN` again), `STRIPE_API_KEY` → `stripe-api-key`."""
    base = var.lower()
    if base.endswith("_token") and len(base) > len("_token"):
        base = base[: -len("_token")]
    name = re.sub(r"[^a-z0-9._@+-]+", "-", base.replace("_", "-")).strip("-.@+")
    name = name[:64] or "token"
    if not NAME_RE.fullmatch(name):
        name = ("t" + name)[:64]
    return name


# ------------------------------------------------------------------------- export


def render(pairs: Sequence[tuple[str, str]], at: datetime) -> str:
    """The text of an exported file: a comment, then `VAR=token` per (var, token) in the
    command line's dotenv rendering. RenderError for a token no .env line can carry."""
    from tokenmgr.core.formats import render_dotenv

    n = len(pairs)
    head = (
        f"# Exported by Token Manager at {format_time(at)}: {n} token{'s' if n != 1 else ''}."
        " Keep this file private.\n"
    )
    return head + "".join(render_dotenv(var, token) for var, token in pairs)


def write_private(path: Path, text: str) -> None:
    """Put `text` at `path` (replacing what is there) as a file only its owner can read,
    never half-written. The directory is not touched."""
    from tokenmgr.core.paths import replace_file

    replace_file(path, text.encode("utf-8"))
