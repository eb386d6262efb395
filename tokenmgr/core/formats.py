"""Renderings of a token: raw, header, shell exports, dotenv, curl, json.

Every rendering ends with exactly one newline. Shell text is injection-safe:
evaluating the line in that shell sets the variable to exactly the token.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tokenmgr.core.errors import UsageError
from tokenmgr.core.rules import validate_env_var, validate_scheme

FORMATS = ("raw", "header", "env", "dotenv", "json")
SHELLS = ("bash", "zsh", "fish", "powershell", "cmd")

_SAFE_SH = re.compile(r"[A-Za-z0-9_@+:,./-]+")
_SAFE_DOTENV = re.compile(r"[A-Za-z0-9_@%+=:,./~-]+")
# PowerShell treats these four as single quotes too; each must be doubled.
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"


class RenderError(UsageError):
    """The token cannot be rendered safely in the requested form."""

    exit_status = 1


def _no_newlines(value: str, what: str) -> None:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise RenderError(f"the {what} holds CR, LF or NUL and cannot be rendered safely")


def quote_posix(token: str) -> str:
    """Quote for bash/zsh/sh: bare when safe, else single quotes with `'\\''`."""
    if _SAFE_SH.fullmatch(token):
        return token
    return "'" + token.replace("'", "'\\''") + "'"


def quote_fish(token: str) -> str:
    """fish single quotes: only `\\\\` and `\\'` are escapes inside them."""
    if _SAFE_SH.fullmatch(token):
        return token
    return "'" + token.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_powershell(token: str) -> str:
    out = []
    for ch in token:
        out.append(ch + ch if ch in _PS_QUOTES else ch)
    return "'" + "".join(out) + "'"


def render_env(var: str, token: str, shell: str) -> str:
    _no_newlines(token, "token")
    validate_env_var(var)  # defence in depth: the name is printed unquoted
    if shell in ("bash", "zsh"):
        return f"export {var}={quote_posix(token)}\n"
    if shell == "fish":
        return f"set -gx {var} {quote_fish(token)}\n"
    if shell == "powershell":
        return f"$env:{var} = {quote_powershell(token)}\n"
    if shell == "cmd":
        # cmd.exe expands %VAR% (and !VAR! with delayed expansion) even inside
        # quotes, and a " ends the quoted assignment: refuse rather than guess.
        bad = sorted({c for c in token if c in '"%!^' or ord(c) < 0x20})
        if bad:
            shown = " ".join(repr(c) for c in bad)
            raise RenderError(
                f"the token holds characters cmd.exe cannot quote safely ({shown}); "
                "use --shell powershell"
            )
        return f'set "{var}={token}"\n'
    raise UsageError(f"unknown shell {shell!r}: choose one of {', '.join(SHELLS)}")


def render_dotenv(var: str, token: str) -> str:
    _no_newlines(token, "token")
    validate_env_var(var)
    if "${" in token:
        # python-dotenv (and docker compose) expand ${...} even inside single quotes,
        # so no dotenv line would read back as this token: refuse rather than mislead.
        raise RenderError(
            "the token holds '${', which dotenv loaders expand even inside quotes; "
            "use --format env or --format json"
        )
    if _SAFE_DOTENV.fullmatch(token):
        return f"{var}={token}\n"
    return f"{var}='" + token.replace("\\", "\\\\").replace("'", "\\'") + "'\n"


def render_header(scheme: str, token: str) -> str:
    _no_newlines(token, "token")
    _no_newlines(scheme, "scheme")
    validate_scheme(scheme)
    return f"Authorization: {scheme} {token}\n"


def render_curl(scheme: str, token: str, url: str | None = None) -> str:
    """`curl -H 'Authorization: <scheme> <token>' [URL]` for POSIX shells (the GUI's
    "Copy curl command"; the URL is left for the user to type when not given)."""
    header = render_header(scheme, token)[:-1]
    line = f"curl -H {quote_posix(header)}"
    if url:
        _no_newlines(url, "URL")
        line += f" {quote_posix(url)}"
    return line + "\n"


def render_json(
    name: str,
    token: str,
    scheme: str,
    env_var: str,
    expires_at: str | None,
    extra: dict[str, Any] | None = None,
) -> str:
    doc: dict[str, Any] = {
        "name": name,
        "token": token,
        "scheme": scheme,
        "env_var": env_var,
        "expires_at": expires_at,
    }
    if extra:
        doc.update(extra)
    return json.dumps(doc, ensure_ascii=False) + "\n"


def render(
    fmt: str,
    *,
    name: str,
    token: str,
    scheme: str,
    env_var: str,
    expires_at: str | None,
    shell: str,
    extra: dict[str, Any] | None = None,
) -> str:
    """`extra` adds keys to the json rendering only (the documented five come first)."""
    if fmt == "raw":
        _no_newlines(token, "token")
        return token + "\n"
    if fmt == "header":
        return render_header(scheme, token)
    if fmt == "env":
        return render_env(env_var, token, shell)
    if fmt == "dotenv":
        return render_dotenv(env_var, token)
    if fmt == "json":
        return render_json(name, token, scheme, env_var, expires_at, extra)
    if fmt == "curl":  # not a `get --format` choice: the GUI's copy action
        return render_curl(scheme, token)
    raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def default_shell(env: dict[str, str] | Any, platform: str) -> str:
    """The user's shell from $SHELL; PowerShell on Windows."""
    if platform == "win32":
        return "powershell"
    shell = str(env.get("SHELL", "")).rsplit("/", 1)[-1]
    if shell in ("zsh", "fish", "bash"):
        return shell
    if shell in ("pwsh", "powershell"):
        return "powershell"
    return "bash"
