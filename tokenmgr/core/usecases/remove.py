"""Removing an entry, with or without revoking its grant first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tokenmgr.core.errors import AuthError

if TYPE_CHECKING:

    from tokenmgr.core.vault import Vault


class RevokeFailed(AuthError):
    """Revocation failed and the entry was kept (a live grant is never dropped).
    `no_endpoint`: there is no way to revoke from here (retrying will not help)."""

    def __init__(self, name: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.name = name
        self.cause = cause
        from tokenmgr.core.oauth.revoke import NoRevocationEndpoint

        self.no_endpoint = isinstance(cause, NoRevocationEndpoint)


def remove(vault: Vault, name: str, *, revoke: bool = False) -> list[str]:
    """Delete an entry and its secrets; with `revoke`, an OAuth entry's grant is revoked
    at the provider first. Returns notes worth saying. A failed revocation raises
    RevokeFailed and keeps the entry: deleting a refresh token the provider still
    honours would leave a live grant no one can end from here."""
    entry = vault.entry(name)
    if not revoke:
        vault.remove(name)
        return []
    if entry.kind != "oauth2":
        vault.remove(name)
        return [f"{entry.name!r} is a static token: revoke it at its provider"]
    from tokenmgr.core.oauth.revoke import revoke_entry

    # Under the entry lock: a refresh in flight finishes first, so the refresh token
    # revoked is the current one and nothing brings the entry back afterwards.
    with vault.entry_lock(name):
        entry = vault.entry(name)
        try:
            notes = list(revoke_entry(vault, entry))
        except AuthError as e:
            raise RevokeFailed(name, e) from None
        vault.remove(name)
    return notes
