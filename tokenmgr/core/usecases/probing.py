"""Asking a token's own provider about it, and keeping what it said."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tokenmgr.core.entries import Entry
from tokenmgr.core.rules import now_utc
from tokenmgr.core.usecases.handout import with_refresh

if TYPE_CHECKING:

    from tokenmgr.core.probe.answers import Answer
    from tokenmgr.core.probe.providers import Target
    from tokenmgr.core.vault import Vault


@dataclass
class Probed:
    """What asking an entry's provider gave: the entry as now stored, the answer (None
    when nothing was sent, `skipped` saying why)."""

    entry: Entry
    answer: Answer | None = None
    skipped: str = ""


def probe_token_of(vault: Vault, entry: Entry) -> tuple[Entry, str]:
    """The token a probe asks about: the one handed out (an OAuth entry that renews
    itself is refreshed first when it needs it, as `get` does)."""
    from tokenmgr.core.expiry import renews_itself

    if renews_itself(entry):
        return with_refresh(vault).token_for(entry)
    return entry, vault.get_secret(entry, "access")


def probe(
    vault: Vault,
    name: str,
    *,
    mind_network: bool = False,
    now: datetime | None = None,
    token: str | None = None,
) -> Probed:
    """Ask the entry's own provider about its token, once, and keep the answer in the
    index (no secret). Nothing is sent when it has no provider to ask (NoTarget), when
    the entry's bound settings no longer match the binding stored with its secrets
    (IndexAltered, BindingOutdated), or, with `mind_network`, when the desktop says the
    computer is offline or the connection metered (`skipped`). `token`: the static
    token just stored, so it is not read back."""
    from tokenmgr.core.probe import check, providers

    entry = vault.entry(name)
    if token is None or entry.kind != "static":
        entry, token = probe_token_of(vault, entry)
    target = providers.target_for(entry, token)
    if mind_network:
        from tokenmgr.core.probe.network import network_state

        state = network_state(vault.env)
        if state is not None and state.reason():
            return Probed(entry, None, state.reason())
    # Where the token goes was decided by the entry's bound settings: they must still
    # be the ones stored with its secrets.
    vault.require_binding(entry, "nothing was sent")
    client = None
    if target.provider.credential == "introspection" and entry.oauth is not None:
        secret = None
        if "client_secret" in entry.secrets:
            secret = vault.get_secret(entry, "client_secret")
        client = (entry.oauth, secret)
    at = now or now_utc()
    answer = check.ask(target, token, now=at, env=vault.env, scheme=entry.scheme, client=client)
    stored = record_answer(vault, name, target, answer, at=at, token_issued_at=entry.issued_at)
    return Probed(stored, answer)


def record_answer(
    vault: Vault,
    name: str,
    target: Target,
    answer: Answer,
    *,
    at: datetime,
    token_issued_at: datetime | None,
) -> Entry:
    """Keep what `target` answered about the token issued at `token_issued_at` in the
    entry (under the index lock: a refresh meanwhile makes it an answer about an earlier
    token, which then decides nothing)."""
    from tokenmgr.core.probe import check

    def record(stored: Entry) -> None:
        old = stored.provider_check
        state = check.merge(old, target, answer, now=at, token_issued_at=token_issued_at)
        check.apply(stored, state)

    return vault.modify(name, record)


def ask_before_storing(
    token: str,
    env: Mapping[str, str],
    *,
    check_url: str | None = None,
    hosts: Sequence[str] = (),
    scheme: str = "Bearer",
) -> tuple[Target, Answer] | str:
    """What a static token's provider says of it before it is stored (the add dialog, as
    the token is pasted): its prefix, or the hosts and check URL typed beside it, decide
    where it is asked. A sentence instead when it is not asked: no provider to ask ("" then), or
    the desktop says the computer is offline or the connection metered."""
    from tokenmgr.core.probe import check, providers
    from tokenmgr.core.probe.network import network_state

    try:
        prospect = Entry(name="new", check_url=check_url, hosts=list(hosts))
        target = providers.target_for(prospect, token)
    except providers.NoTarget:
        return ""
    state = network_state(env)
    if state is not None and state.reason():
        return f"Not checked with {target.label}: {state.reason()}."
    return target, check.ask(target, token, now=now_utc(), env=env, scheme=scheme)


def provider_page(vault: Vault, name: str) -> str | None:
    """The page where the entry's provider makes a new token (GitHub's token settings,
    GitLab's access tokens), when it has one; from the token's prefix and the entry's
    bound settings only, so an edited index cannot point it elsewhere."""
    from tokenmgr.core.probe import providers

    entry = vault.entry(name)
    vault.require_binding(entry, "no page was opened")
    try:
        return providers.target_for(entry, vault.get_secret(entry, "access")).page
    except providers.NoTarget:
        return None
