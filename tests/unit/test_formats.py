"""Renderings: exact text per the contract, and injection safety proven by
evaluating generated lines in real shells for arbitrary tokens."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokenmgr.core.formats import (
    RenderError,
    quote_powershell,
    render,
    render_dotenv,
    render_env,
    render_header,
)

# Tokens are any text a user may store: everything but CR, LF, NUL and lone surrogates.
token_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    min_size=1,
    max_size=80,
)
nasty = st.sampled_from(
    [
        "'",
        '"',
        "\\",
        "$(id)",
        "`id`",
        "${HOME}",
        "$HOME",
        "~",
        "=ls",
        "-e",
        "--",
        "*",
        "?",
        "[a]",
        "{a,b}",
        "!",
        "#x",
        ";",
        "&",
        "|",
        " a ",
        "\t",
        "%PATH%",
        "\\'",
        "a\\",
        "'\"'",
        "=",
        "%self",
        "(x)",
        "\u2019",
        "\x1b[31m",
        "\x7f",
    ]
)
tokens = st.one_of(token_text, st.lists(nasty, min_size=1, max_size=6).map("".join))


def _eval_in(shell: list[str], script: str) -> bytes:
    proc = subprocess.run(shell, input=script.encode(), capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def _roundtrip(shell_name: str, argv: list[str], printer: str, values: list[str]) -> None:
    lines = [render_env(f"V{i}", v, shell_name) for i, v in enumerate(values)]
    script = "".join(lines) + "".join(printer.format(i=i) for i in range(len(values)))
    out = _eval_in(argv, script)
    got = out.split(b"\x00")[:-1]
    assert [g.decode() for g in got] == values


@pytest.mark.parametrize(
    ("shell", "argv", "printer"),
    [
        ("bash", ["bash", "--norc", "--noprofile"], "printf '%s\\0' \"$V{i}\"\n"),
        ("zsh", ["zsh", "-f"], "printf '%s\\0' \"$V{i}\"\n"),
        ("fish", ["fish", "--no-config"], "printf '%s\\0' \"$V{i}\"\n"),
    ],
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(tokens, min_size=1, max_size=12))
def test_eval_export_yields_exact_token(
    shell: str, argv: list[str], printer: str, values: list[str]
) -> None:
    if shutil.which(argv[0]) is None:
        pytest.fail(
            f"{argv[0]} is not installed: `make test` installs it (apt-get install {shell})"
        )
    _roundtrip(shell, argv, printer, values)


def test_export_is_also_exported_to_children() -> None:
    out = _eval_in(
        ["bash", "--norc"], render_env("V", "a b'c", "bash") + "bash -c 'printf %s \"$V\"'"
    )
    assert out == b"a b'c"


@settings(max_examples=300, deadline=None)
@given(value=tokens)
def test_dotenv_roundtrip_python_dotenv(value: str) -> None:
    from dotenv import dotenv_values

    if "${" in value:
        # python-dotenv expands ${...} even inside single quotes (its default), so no
        # dotenv line reads back as such a token: the rendering refuses it instead.
        with pytest.raises(RenderError, match="dotenv"):
            render_dotenv("V", value)
        return
    line = render_dotenv("V", value)
    for interpolate in (True, False):
        parsed = dotenv_values(stream=io.StringIO(line), interpolate=interpolate)
        assert parsed == {"V": value}, line


def test_exact_renderings() -> None:
    kw = dict(name="gh", token="t0k", scheme="Bearer", env_var="GH_TOKEN", expires_at=None)
    assert render("raw", shell="bash", **kw) == "t0k\n"  # type: ignore[arg-type]
    assert render("header", shell="bash", **kw) == "Authorization: Bearer t0k\n"  # type: ignore[arg-type]
    assert render("env", shell="bash", **kw) == "export GH_TOKEN=t0k\n"  # type: ignore[arg-type]
    assert render("env", shell="fish", **kw) == "set -gx GH_TOKEN t0k\n"  # type: ignore[arg-type]
    assert render("env", shell="powershell", **kw) == "$env:GH_TOKEN = 't0k'\n"  # type: ignore[arg-type]
    assert render("env", shell="cmd", **kw) == 'set "GH_TOKEN=t0k"\n'  # type: ignore[arg-type]
    assert render("dotenv", shell="bash", **kw) == "GH_TOKEN=t0k\n"  # type: ignore[arg-type]
    assert render("json", shell="bash", **kw) == (  # type: ignore[arg-type]
        '{"name": "gh", "token": "t0k", "scheme": "Bearer", "env_var": "GH_TOKEN", '
        '"expires_at": null}\n'
    )
    assert render_env("V", "it's", "bash") == "export V='it'\\''s'\n"
    assert render_dotenv("V", "a'b\\c") == "V='a\\'b\\\\c'\n"


def test_powershell_doubles_every_single_quote_form() -> None:
    assert quote_powershell("a'b\u2019c") == "'a''b\u2019\u2019c'"


@pytest.mark.parametrize("bad", ['a"b', "50%", "x!y", "a^b", "\x07"])
def test_cmd_refuses_what_it_cannot_quote(bad: str) -> None:
    with pytest.raises(RenderError, match="powershell"):
        render_env("V", bad, "cmd")


@pytest.mark.parametrize("bad", ["a\r\nX-Evil: 1", "a\nb", "a\rb"])
def test_header_refuses_crlf(bad: str) -> None:
    with pytest.raises(RenderError):
        render_header("Bearer", bad)
    with pytest.raises(RenderError):
        render_header(bad, "tok")
