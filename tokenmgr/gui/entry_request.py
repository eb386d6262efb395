"""What the add/edit dialog asks to save (`EntryRequest`), and saving it
(`save_entry`, run in a worker). No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenmgr.core.errors import TokenMgrError

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.probe.answers import Answer
    from tokenmgr.core.probe.providers import Target
    from tokenmgr.core.vault import Vault


@dataclass
class EntryRequest:
    """What the dialog asks the window to save."""

    name: str
    token: str | None  # None: keep the stored token (edit)
    service: str = ""
    env_var: str = ""
    scheme: str = "Bearer"
    expires_at: datetime | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)
    # What it serves to git, kubectl and docker (`host[:port][/path-prefix]`).
    hosts: list[str] = field(default_factory=list)
    editing: bool = False
    check_url: str | None = None
    # What the token's provider said as it was pasted (where, what, when): kept with the
    # new entry instead of asking again.
    asked: tuple[Target, Answer, datetime] | None = None
    old_name: str | None = None  # editing: the entry's name before (another: a rename)

    @property
    def renames(self) -> bool:
        return self.old_name is not None and self.old_name != self.name

    def __repr__(self) -> str:  # the token never reaches a log or traceback
        return f"EntryRequest(name={self.name!r}, token={'<set>' if self.token else None})"


def save_entry(vault: Vault, req: EntryRequest) -> Entry:
    """What the add/edit dialog asked for (runs in a worker): a new token is stored with
    its metadata, and what its provider says kept with it (what it said as the token was
    pasted, else asked once now); an edit without a token changes the metadata only; an
    edit with a new name renames the entry first (`Vault.rename`: secrets moved, binding
    kept), then saves the rest under the new name."""
    if req.renames:
        assert req.old_name is not None
        vault.rename(req.old_name, req.name)
        try:
            return _save(vault, req)
        except TokenMgrError as e:
            raise RenamedOnly(req.old_name, req.name, e) from None
    return _save(vault, req)


class RenamedOnly(TokenMgrError):
    """The rename was done; what else the edit asked for was not."""

    def __init__(self, old: str, new: str, cause: TokenMgrError) -> None:
        super().__init__(f"{old!r} was renamed to {new!r}, but the other changes were not saved: "
                         f"{cause}")
        self.exit_status = cause.exit_status


def _save(vault: Vault, req: EntryRequest) -> Entry:
    if req.token is not None:
        old = vault.entry(req.name) if req.editing else None
        entry = vault.add(
            req.name,
            req.token,
            service=req.service,
            env_var=req.env_var or None,
            scheme=req.scheme,
            expires_at=req.expires_at,
            note=req.note,
            tags=req.tags,
            force=old is not None,
            hosts=req.hosts,
            check_url=req.check_url or "",  # "": none (None would keep the old one)
        )
        return _provider_said(vault, entry, req)
    # Read-modify-write under the index lock: a refresh meanwhile is kept.
    changes: dict[str, Any] = {
        "service": req.service,
        "scheme": req.scheme,
        "note": req.note,
        "tags": list(req.tags),
    }
    if req.env_var:
        changes["env_var"] = req.env_var
    if req.expires_at is not None:
        changes["expires_at"] = req.expires_at
    from tokenmgr.core.hosts import normalize

    stored = vault.entry(req.name)
    # Only when they change: hosts and the check URL are bound to the token, so changing
    # them needs the store.
    if normalize(req.hosts) != stored.hosts:
        changes["hosts"] = req.hosts
    if (req.check_url or None) != stored.check_url:
        changes["check_url"] = req.check_url or None
    return vault.edit_metadata(req.name, changes)


def _provider_said(vault: Vault, entry: Entry, req: EntryRequest) -> Entry:
    """Keep what the provider said of the new token; never fails the save (what could
    not be asked is asked again later)."""
    import logging

    from tokenmgr.core.errors import TokenMgrError
    from tokenmgr.core.probe.providers import NoTarget
    from tokenmgr.core.usecases import probing

    try:
        if req.asked is not None:
            target, answer, at = req.asked
            return probing.record_answer(
                vault, entry.name, target, answer, at=at, token_issued_at=entry.issued_at
            )
        return probing.probe(vault, entry.name, mind_network=True, token=req.token).entry
    except NoTarget:
        return entry
    except TokenMgrError as e:
        logging.getLogger("tokenmgr.gui").info("not checked with its provider: %s", e)
        return entry
