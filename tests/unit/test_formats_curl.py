"""The curl rendering (the GUI's "Copy curl command"): bash reads back exactly the header."""

from __future__ import annotations

import subprocess

import pytest

from tokenmgr.core.formats import RenderError, render, render_curl


@pytest.mark.parametrize(
    "token",
    ["ghp_plain123", "it's $HOME `id` \"q\" \\n;&|", "a b\tc", "ünïcødé-ȶoken", "'''"],
)
def test_bash_reads_back_the_header(token: str) -> None:
    line = render_curl("Bearer", token)
    assert line.endswith("\n") and line.count("\n") == 1
    out = subprocess.run(
        ["bash", "-c", 'curl() { printf "%s\\0" "$@"; }; eval "$LINE"'],
        env={"LINE": line, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        check=True,
    ).stdout
    assert out.split(b"\0")[:-1] == [b"-H", f"Authorization: Bearer {token}".encode()]


def test_url_is_quoted_and_render_knows_curl() -> None:
    assert render_curl("token", "abc", "https://api.example/x?a=1&b=2") == (
        "curl -H 'Authorization: token abc' 'https://api.example/x?a=1&b=2'\n"
    )
    text = render("curl", name="n", token="abc", scheme="Bearer", env_var="N_TOKEN",
                  expires_at=None, shell="bash")
    assert text == "curl -H 'Authorization: Bearer abc'\n"


def test_line_breaks_are_refused() -> None:
    with pytest.raises(RenderError):
        render_curl("Bearer", "a\nb")
