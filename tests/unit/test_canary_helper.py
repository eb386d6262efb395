"""The canary tests' leak check finds partial leaks (so a canary test can fail)."""

from __future__ import annotations

from pathlib import Path

from tests.support.canary import leaked_in_files, leaked_run

SECRET = "0123456789abcdefghij"


def test_whole_start_middle_and_end_runs_are_found(tmp_path: Path) -> None:
    for text in (SECRET, "x" + SECRET[:8], SECRET[6:14] + "y", "z" + SECRET[-8:]):
        assert leaked_run([SECRET], text) is not None, text
    assert SECRET not in (leaked_run([SECRET], SECRET) or "")  # the report hides the secret
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f").write_text("..." + SECRET[5:13] + "...")
    assert leaked_in_files([SECRET], tmp_path) is not None


def test_seven_characters_or_other_text_are_not_leaks(tmp_path: Path) -> None:
    assert leaked_run([SECRET], SECRET[:7] + " " + SECRET[7:14]) is None
    assert leaked_run(["short"], "short") is None  # under 8 characters: not checked
    (tmp_path / "f").write_text("nothing here")
    assert leaked_in_files([SECRET], tmp_path) is None
