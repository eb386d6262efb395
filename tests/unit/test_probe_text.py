"""What a provider said, in one line, and what saying it costs: the details pane draws
the line for the selected entry at start, before the list is on screen, so the line's
module must not bring the request, the readers of each provider's answer or their date
parsing (email.utils) with it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tokenmgr.core.entries import Entry, ProviderCheck
from tokenmgr.core.probe.text import line


def test_the_line_says_what_was_said_and_when() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    check = ProviderCheck(
        provider="GitHub", kind="github", verdict="accepted",
        checked_at=now - timedelta(minutes=2),
        expires_at=datetime(2027, 1, 31, tzinfo=UTC), scopes=["repo", "read:org"],
    )
    entry = Entry("gh", service="GitHub", provider_check=check)
    said = line(check, now, entry)
    assert said.startswith("GitHub says: expires 2027-01-31 (in 60 days)"), said
    assert "scopes repo, read:org" in said and said.endswith("checked 2 min ago")


def test_the_line_loads_no_request_and_no_answer_reader() -> None:
    code = (
        "import sys\nimport tokenmgr.core.probe.text\n"
        "print([m for m in ('tokenmgr.core.probe.http', 'tokenmgr.core.probe.answers',"
        " 'tokenmgr.core.probe.providers', 'tokenmgr.core.probe.check', 'email.utils')"
        " if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
