"""One wording of durations for the CLI and the app (core.durations)."""

from __future__ import annotations

import pytest

from tokenmgr.core.durations import magnitude
from tokenmgr.core.jwt_inspect import times


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0, "0 s"), (89, "89 s"), (90, "2 min"), (119, "2 min"), (3 * 3600 - 20, "3 h"),
     (86400 * 1.5, "36 h"), (86400 * 2, "2 days"), (-4 * 60, "4 min"),
     (800 * 86400, "2 years")],
)
def test_magnitude(seconds: float, words: str) -> None:
    assert magnitude(seconds) == words


def test_the_cli_says_it_the_apps_way() -> None:
    for seconds in (5, 119, 3599, 7200, 86400 * 3, -60):
        assert times.relative(seconds) == magnitude(seconds)


def test_durations_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = ("import sys, tokenmgr.core.durations; "
            "print(any(m.startswith(('tokenmgr.core.jwt_inspect', 'jwt', 'PySide6')) "
            "for m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"
