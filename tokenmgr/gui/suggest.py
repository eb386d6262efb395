"""The name and service a pasted token suggests: a well-known prefix (`ghp_` is GitHub's),
else its issuer's host ("login.acme.example" is Acme's). Used by the add dialog and
the .env import's preview.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tokenmgr.gui.report_text import ReportData

# Well-known token prefixes → (suggested name, service).
_PREFIXES = (
    ("github_pat_", "github", "GitHub"),
    ("ghp_", "github", "GitHub"),
    ("gho_", "github", "GitHub"),
    ("ghs_", "github", "GitHub"),
    ("glpat-", "gitlab", "GitLab"),
    ("sk_live_", "stripe", "Stripe"),
    ("sk_test_", "stripe-test", "Stripe"),
    ("rk_live_", "stripe", "Stripe"),
    ("xoxb-", "slack-bot", "Slack"),
    ("xoxp-", "slack", "Slack"),
    ("npm_", "npm", "npm"),
    ("pypi-", "pypi", "PyPI"),
    ("hf_", "huggingface", "Hugging Face"),
    ("sk-ant-", "anthropic", "Anthropic"),
    ("sk-", "openai", "OpenAI"),
    ("dop_v1_", "digitalocean", "DigitalOcean"),
)
# Host labels that say nothing about the service ("login.acme.example" is Acme's).
_GENERIC_LABELS = ("www", "login", "accounts", "auth", "id", "sso", "oauth")


def suggest(data: ReportData | None, token: str) -> tuple[str, str]:
    """(name, service) suggested from the token: a known prefix or its issuer's host."""
    for prefix, name, service in _PREFIXES:
        if token.startswith(prefix):
            return name, service
    if data is not None:
        iss = data.claims.get("iss")
        if isinstance(iss, str):
            host = urlsplit(iss).hostname or ""
            labels = [p for p in host.split(".") if p and p not in _GENERIC_LABELS]
            base = labels[-2] if len(labels) >= 2 else labels[0] if labels else ""
            base = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-")
            if base and base not in ("localhost", "127"):
                return base, base.capitalize()
    return "", ""
