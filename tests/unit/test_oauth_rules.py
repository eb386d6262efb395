"""Rules that hold by construction: no implicit or password grant, no `plain` PKCE,
no `localhost` redirect, and the OAuth package stays free of Qt."""

from __future__ import annotations

import re
from pathlib import Path

import tokenmgr.core.oauth as oauth_pkg

SOURCES = sorted(Path(oauth_pkg.__file__).parent.glob("*.py"))


def _code(path: Path) -> str:
    text = path.read_text()
    # Drop comments and docstrings' prose lines loosely: rules are about string literals.
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_sources_exist() -> None:
    names = {p.name for p in SOURCES}
    assert {
        "discovery.py",
        "pkce.py",
        "loopback.py",
        "flows.py",
        "refresh.py",
        "revoke.py",
        "presets.py",
        "http.py",
    } <= names


def test_no_implicit_or_password_grant_and_no_plain_pkce() -> None:
    for path in SOURCES:
        code = _code(path)
        assert not re.search(r"""["']response_type["']\s*:\s*["'](token|id_token)""", code), path
        assert not re.search(r"""["']grant_type["']\s*:\s*["']password["']""", code), path
        assert '"plain"' not in code and "'plain'" not in code, path
        assert "PySide6" not in code, path


def test_loopback_is_127_0_0_1() -> None:
    from tokenmgr.core.oauth import loopback

    assert loopback.HOST == "127.0.0.1"
    assert "localhost" not in (Path(loopback.__file__).read_text().split('"""', 2)[2])
