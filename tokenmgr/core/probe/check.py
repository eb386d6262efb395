"""One check of a token at its provider: `ask` (one token, one target, one answer),
`merge` (an answer into the last known state, which an answer that could not check
leaves as it was) and `apply` (the state into the entry: a provider's expiry replaces a
typed one; a JWT's own `exp` is never replaced)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from tokenmgr.core.entries import Entry, ProviderCheck
from tokenmgr.core.probe import answers
from tokenmgr.core.probe.answers import UNKNOWN, Answer
from tokenmgr.core.probe.providers import Target
from tokenmgr.core.rules import EXPIRY_FROM_PROVIDER, EXPIRY_FROM_TOKEN, VERDICT_REFUSED, same_time

if TYPE_CHECKING:
    from tokenmgr.core.entries import OAuthConfig

__all__ = ["apply", "ask", "merge"]


def ask(
    target: Target,
    token: str,
    *,
    now: datetime,
    env: Mapping[str, str],
    scheme: str = "Bearer",
    client: tuple[OAuthConfig, str | None] | None = None,
) -> Answer:
    """Ask `target` about `token` once. `client` (an OAuth entry's settings and client
    secret) authenticates an introspection request the way its sign-in does."""
    from tokenmgr.core.probe.http import Unreachable, send

    provider = target.provider
    secrets: tuple[str, ...] = (token,)
    data: dict[str, str] | None = None
    credentials: dict[str, str] = {}
    if provider.credential == "bearer":
        credentials["Authorization"] = f"Bearer {token}"
    elif provider.credential == "private-token":
        credentials["PRIVATE-TOKEN"] = token
    elif provider.credential == "scheme":
        credentials["Authorization"] = f"{scheme} {token}"
    else:  # introspection: the token in the body, the client as at its token endpoint
        from tokenmgr.core.oauth.flows import client_auth

        if client is None:
            raise ValueError("introspection needs the entry's OAuth settings")
        cfg, secret = client
        data = {"token": token, "token_type_hint": "access_token"}
        basic = client_auth(cfg, data, secret)  # the one rule of the sign-in's requests
        if basic is not None:
            pair = f"{basic[0]}:{basic[1]}".encode()
            credentials["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        if secret:
            secrets += (secret,)
    try:
        reply = send(
            provider.method,
            target.url,
            credentials=credentials,
            secrets=secrets,
            data=data,
            env=env,
        )
    except Unreachable as e:
        return answers.unknown(str(e))
    if provider.reader == "read_github":
        return answers.read_github(reply, now, pat=target.pat)
    reader: answers.Reader = getattr(answers, provider.reader)
    return reader(reply, now)


def merge(
    old: ProviderCheck | None,
    target: Target,
    answer: Answer,
    *,
    now: datetime,
    token_issued_at: datetime | None,
) -> ProviderCheck:
    """The entry's new provider state: an answer replaces what was known; an attempt
    that could not check keeps it (with its age) and says why."""
    base = old or ProviderCheck(provider=target.label, kind=target.provider.kind)
    base = replace(base, provider=target.label, kind=target.provider.kind, attempted_at=now)
    if answer.verdict == UNKNOWN:
        return replace(base, problem=answer.reason, retry_after=answer.retry_after)
    same_token = old is not None and same_time(old.token_issued_at, token_issued_at)
    same = same_token and old is not None and old.verdict == answer.verdict and old.since
    expires, no_expiry = answer.expires_at, answer.no_expiry
    scopes = list(answer.scopes) if answer.scopes is not None else None
    account = answer.account
    if answer.verdict == VERDICT_REFUSED and old is not None and same_token:
        # A refusal says nothing of the token's expiry or scopes: the last known stay.
        if expires is None and not no_expiry:
            expires, no_expiry = old.expires_at, old.no_expiry
        scopes = old.scopes if scopes is None else scopes
        account = account or old.account
    return replace(
        base,
        verdict=answer.verdict,
        reason=answer.reason,
        expires_at=expires,
        no_expiry=no_expiry,
        scopes=scopes,
        account=account,
        token_type=target.token_type,
        checked_at=now,
        since=old.since if same and old is not None else now,
        token_issued_at=token_issued_at,
        problem="",
        retry_after=None,
    )


def apply(entry: Entry, check: ProviderCheck) -> None:
    """Keep `check` on the entry and let it decide the entry's expiry when it is about
    the token the entry holds now: a provider's date replaces a typed one (and an
    earlier provider's); "no expiry" clears only an expiry that came from a provider;
    a JWT's own `exp` always stays."""
    source = entry.expiry_source()
    entry.provider_check = check
    if check.verdict is None or not same_time(check.token_issued_at, entry.issued_at):
        return
    if check.checked_at != check.attempted_at:
        return  # this attempt did not answer: nothing new about the expiry
    if source == EXPIRY_FROM_TOKEN:
        return
    if check.expires_at is not None:
        entry.expires_at = check.expires_at
    elif check.no_expiry and source == EXPIRY_FROM_PROVIDER and entry.kind == "static":
        entry.expires_at = None
