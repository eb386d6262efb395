""".env files (core/envfile.py): read as python-dotenv reads them, what gives no token
said by line and never by value; written so python-dotenv reads the tokens back
exactly, in a file only its owner can read, put in place atomically."""

from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenmgr.core import envfile
from tokenmgr.core.errors import UsageError
from tokenmgr.core.formats import RenderError
from tokenmgr.core.rules import ENV_VAR_RE, default_env_var, looks_like_token

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

# ------------------------------------------------------------------ reading

keys = st.one_of(
    st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True),
    st.sampled_from(["lower_case", "X", "1BAD", "my-var", "a.b", "ghp_16C7e42F292c6912E7710c8"]),
)
plain = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=20)


def quoted_single(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quoted_double(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


values = st.one_of(
    plain.map(lambda s: s.strip().replace("'", "").replace('"', "").replace("#", "")),
    plain.map(quoted_single),
    plain.map(quoted_double),
    st.sampled_from([
        "", "a b  # note", "#hash", "x#y", "'un closed", '"two\nlines"', "'${HOME}x'",
        '"esc \\n \\t \\\\ \\" end"', "'single \\\\ \\' \\n'", "v ' tail", "'a' junk",
        '"a"   # fine',
    ]),
)
lines = st.one_of(
    st.tuples(st.sampled_from(["", "export ", "  ", "export\t"]), keys,
              st.sampled_from(["=", " = ", "= ", "="]), values)
    .map(lambda t: "".join(t)),
    st.sampled_from(["", "# a comment", "   # indented", "JUSTAKEY",
                     "ghp_16C7e42F292c6912E7710c838347Ae178B4a", "=novalue", "'QK'=q"]),
)
texts = st.tuples(st.lists(lines, max_size=8), st.sampled_from(["\n", "\r\n", "\r"]),
                  st.booleans()).map(lambda t: ("\ufeff" if t[2] else "") + t[1].join(t[0]))


def usable(key: str, value: str | None) -> bool:
    """What the import takes: a variable name and a one-line value it can store."""
    return (
        value is not None and value != "" and ENV_VAR_RE.fullmatch(key) is not None
        and len(key) <= 64 and not looks_like_token(key)
        and not any(c in value for c in "\r\n\x00") and "${" not in value
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_reads_what_python_dotenv_reads(text: str) -> None:
    theirs = dotenv_values(stream=io.StringIO(text), interpolate=False)
    ours = envfile.parse(text)
    assert {a.var: a.secret for a in ours.assignments} == {
        k: v for k, v in theirs.items() if usable(k, v)
    }
    lines_of = [a.line for a in ours.assignments]
    assert lines_of == sorted(lines_of)


def test_what_gives_no_token_is_said_by_line_never_by_value() -> None:
    text = (
        "# deploy settings\n"
        "export GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a\n"
        "ghp_AAAAbbbbCCCCddddEEEEffffGGGGhhhh1234\n"
        "EMPTY=\n"
        "CERT=\"-----BEGIN\nsecret-middle\n-----END\"\n"
        "URL=https://x.example/${PATH_PART}\n"
        "bad-name=secret-in-bad-name\n"
        "QUOTED='oops' trailing-secret\n"
        "API_KEY='sk_live_51Hq2Rq' # the key\n"
    )
    parsed = envfile.parse(text)
    assert [(a.line, a.var, a.secret) for a in parsed.assignments] == [
        (2, "GITHUB_TOKEN", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
        (11, "API_KEY", "sk_live_51Hq2Rq"),
    ]
    assert [(p.line, p.why) for p in parsed.problems] == [
        (3, "not NAME=value (the line is not shown: it may be a token)"),
        (4, "EMPTY is empty"),
        (5, "CERT runs over several lines; a token is one line"),
        (8, "URL refers to another variable (${…}), which loaders expand"),
        (9, "its name is not an environment variable name (letters, digits and _)"),
        (10, "cannot be read as NAME=value"),
    ]
    said = repr(parsed)
    for secret in ("ghp_AAAA", "secret-middle", "secret-in-bad-name", "trailing-secret",
                   "sk_live_51Hq2Rq", "ghp_16C7"):
        assert secret not in said


def test_read_refuses_what_is_not_a_env_file(tmp_path: Path) -> None:
    big = tmp_path / "big.env"
    big.write_bytes(b"A=b\n" * (envfile.MAX_BYTES // 4 + 1))
    with pytest.raises(UsageError, match="over 1024 KiB"):
        envfile.read(big)
    binary = tmp_path / "bin.env"
    binary.write_bytes(b"A=\xff\xfe\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        envfile.read(binary)


def test_the_first_guess_names_and_ticks() -> None:
    assert envfile.suggested_name("GITHUB_TOKEN") == "github"
    assert default_env_var(envfile.suggested_name("GITHUB_TOKEN")) == "GITHUB_TOKEN"
    assert envfile.suggested_name("STRIPE_API_KEY") == "stripe-api-key"
    assert envfile.suggested_name("_TOKEN") == "token"
    assert envfile.suggested_name("__X__") == "x"
    a = envfile.Assignment
    assert envfile.looks_secret(a(1, "OPENAI_API_KEY", "x"))
    assert envfile.looks_secret(a(1, "DEPLOY", "glpat-Xk29sLqP0vNw7RtY4mZb"))
    assert not envfile.looks_secret(a(1, "PORT", "8080"))
    assert not envfile.looks_secret(a(1, "KEYBOARD_LAYOUT", "us"))


# ------------------------------------------------------------------ writing

tokens = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), min_size=1,
                 max_size=60).filter(lambda t: "${" not in t)


@settings(max_examples=300, deadline=None)
@given(st.lists(tokens, min_size=1, max_size=4))
def test_python_dotenv_reads_the_export_back_exactly(tmp_path_factory, toks: list[str]) -> None:
    path = tmp_path_factory.mktemp("export") / "out.env"
    pairs = [(f"T{i}_TOKEN", t) for i, t in enumerate(toks)]
    envfile.write_private(path, envfile.render(pairs, AT))
    assert dotenv_values(path) == dict(pairs)  # with python-dotenv's default interpolation
    # and the import reads its own export back too
    assert [(a.var, a.secret) for a in envfile.read(path).assignments] == pairs


def test_the_export_is_private_atomic_and_leaves_the_directory(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir(mode=0o755)
    os.chmod(project, 0o755)
    path = project / ".env"
    path.write_text("OLD=1\n")
    os.chmod(path, 0o644)
    envfile.write_private(path, envfile.render([("A_TOKEN", "x y")], AT))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(project.stat().st_mode) == 0o755
    assert path.read_text() == (
        "# Exported by Token Manager at 2026-12-01T12:00:00Z: 1 token. Keep this file private.\n"
        "A_TOKEN='x y'\n"
    )
    assert sorted(p.name for p in project.iterdir()) == [".env"]  # no temporary left
    # A token no .env line can carry: nothing is written, the old file stays.
    with pytest.raises(RenderError):
        envfile.write_private(path, envfile.render([("B_TOKEN", "a${B}")], AT))
    assert "A_TOKEN='x y'" in path.read_text()
