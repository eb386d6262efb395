"""Handing a token out: refreshed first when it needs it, rendered for a tool or the
clipboard, put on the access record; refreshing now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import NotFound
from tokenmgr.core.rules import format_time, now_utc

if TYPE_CHECKING:

    from tokenmgr.core.vault import Vault


def refresh_if_needed(vault: Vault, entry: Entry) -> str:
    """`Vault.refresher` for OAuth entries: the access token, refreshed first when it has
    expired or is about to (the OAuth code is imported only when one is read)."""
    from tokenmgr.core.oauth.refresh import refresh_if_needed as refresh

    return refresh(vault, entry)


def with_refresh(vault: Vault) -> Vault:
    """The vault, set to refresh OAuth entries as it hands them out."""
    vault.refresher = refresh_if_needed
    return vault


def hand_out(
    vault: Vault, name: str, *, refresh: bool = True, how: str | None = "get"
) -> tuple[Entry, str]:
    """The entry and its access token (refreshed first unless `refresh` is off), put on
    the access record as having left by `how` (a key of `record.HOW`). With `how` None
    the caller puts it on the record once the token has really left (rendered, written,
    its command found): the record says what went out, not what was attempted."""
    entry, token = with_refresh(vault).get_token(name, refresh=refresh)
    if how is not None:
        put_on_record(vault, entry.name, how)
    return entry, token


def hand_out_many(
    vault: Vault, names: Sequence[str], *, how: str | None = "export"
) -> list[tuple[Entry, str]]:
    """Entries and their access tokens, in the order named (all entries, by name, when
    none is named); one index read, and nothing handed out when a name is missing. `how`
    as for `hand_out`."""
    with_refresh(vault)
    entries = {e.name: e for e in vault.list_entries()}
    missing = [n for n in names if n not in entries]
    if missing:
        raise NotFound(f"no entry named {missing[0]!r} (see `tokenmgr list`)")
    out = [vault.token_for(entries[n]) for n in names or sorted(entries)]
    if how is not None:
        for entry, _ in out:
            put_on_record(vault, entry.name, how)
    return out


def put_on_record(vault: Vault, name: str, how: str, host: str | None = None) -> None:
    """Append the hand-out to the access record; a failed write is said (`vault.warn`:
    stderr for the CLI) and never stops the hand-out."""
    from tokenmgr.core import record

    try:
        record.write(vault.home, name, how, host=host)
    except record.RecordFailed as e:
        vault.warn(str(e))


def expired_note(entry: Entry, now: datetime | None = None) -> str | None:
    """What to say when the token just handed out has expired (it is handed out all the
    same: the person may know better, e.g. a server that ignores `exp`), with the way to
    a new one; None while it is still valid or its expiry is unknown."""
    from tokenmgr.core.durations import magnitude

    now = now or now_utc()
    if entry.expires_at is None or entry.expires_at > now:
        return None
    ago = magnitude((now - entry.expires_at).total_seconds())
    if entry.kind == "oauth2":
        way = f"refresh it (`tokenmgr refresh {entry.name}`) or sign in again"
    else:
        way = f"store a new one (`tokenmgr add {entry.name} --force`)"
    return (
        f"{entry.name} expired {ago} ago ({format_time(entry.expires_at)}) and was handed out "
        f"anyway; {way}"
    )


def render_for(
    entry: Entry,
    token: str,
    fmt: str,
    shell: str,
    *,
    clipboard: bool = False,
) -> str:
    """The token as `fmt` wants it (formats.render). For the clipboard without the
    trailing newline: pasted into a terminal, it would run an export line at once."""
    from tokenmgr.core.formats import render

    text = render(
        fmt,
        name=entry.name,
        token=token,
        scheme=entry.scheme,
        env_var=entry.env_var,
        expires_at=format_time(entry.expires_at),
        shell=shell,
        # The cached, non-secret inspection report (claims summary, times, verdict).
        extra={"report": entry.report},
    )
    if clipboard and text.endswith("\n"):
        return text[:-1]
    return text


def copy_text(
    vault: Vault, name: str, fmt: str, shell: str, *, how: str = "copy"
) -> tuple[Entry, str]:
    """What a copy puts on the clipboard: the token handed out, rendered (`how` is "copy"
    from the window, "tray" from the tray menu)."""
    entry, token = hand_out(vault, name, how=None)
    text = render_for(entry, token, fmt, shell, clipboard=True)
    put_on_record(vault, entry.name, how)
    return entry, text


def read_secret(vault: Vault, name: str, field: str = "access") -> str:
    """One secret of an entry as stored, never refreshed (to reveal or inspect it)."""
    return vault.get_secret(vault.entry(name), field)


def refresh_now(vault: Vault, name: str) -> Entry:
    """A fresh access token now, whatever the old one's expiry (on the record)."""
    from tokenmgr.core.oauth.refresh import refresh_now as refresh

    entry, _ = refresh(vault, name)
    put_on_record(vault, entry.name, "refresh")
    return entry


def refresh_if_due(vault: Vault, name: str) -> Entry:
    """The app's background refresh: refresh unless another process just did (then
    nothing is recorded: no new token came)."""
    from tokenmgr.core.oauth.refresh import locked_refresh, needs_refresh

    with vault.entry_lock(name):
        entry = vault.entry(name)  # re-read under the lock
        if not needs_refresh(entry):
            return entry
        entry, _ = locked_refresh(vault, name, force=True)  # the lock is re-entrant
    put_on_record(vault, entry.name, "refresh")
    return entry
