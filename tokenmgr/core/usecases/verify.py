"""Which issuers the vault pins, and verifying a token against them or a given key."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.usecases.handout import read_secret

if TYPE_CHECKING:

    from tokenmgr.core.jwt_inspect.model import TokenReport as Report
    from tokenmgr.core.vault import Vault


class Pins(dict[str, str]):
    """Issuer → the name of the entry that pins it, with `notes` on what could not be
    pinned (a sentence each, for stderr or the report)."""

    def __init__(self, pins: Mapping[str, str] | None = None, notes: Sequence[str] = ()) -> None:
        super().__init__(pins or {})
        self.notes = list(notes)


def pinned_issuers(entries: Sequence[Entry]) -> dict[str, str]:
    """Issuer → entry name for these OAuth entries, as the index says (nothing checked:
    `vault_pins` keeps only the entries whose binding matches)."""
    pins: dict[str, str] = {}
    for entry in entries:
        if entry.kind == "oauth2" and entry.oauth is not None and entry.oauth.issuer:
            pins.setdefault(entry.oauth.issuer, entry.name)
    return pins


def vault_pins(vault: Vault, issuers: Collection[str] | None = None) -> Pins:
    """The issuers the vault's OAuth entries pin (`decode --verify`, the app's Verify):
    only entries whose binding in the store matches them, as the index is plain text
    anyone of the user's processes can edit. `issuers` limits the look-up to the
    issuers that matter (a token's `iss`), so no other entry's binding is read. A store
    or index that cannot be read pins nothing, with a note. Reads the store: call it
    where I/O is allowed (a worker, not the GUI thread)."""
    from tokenmgr.core.oauth import binding

    try:
        entries = vault.list_entries()
    except TokenMgrError as e:
        return Pins(notes=[f"no issuer is pinned from the vault ({e})"])
    candidates = [
        entry
        for entry in entries
        if entry.kind == "oauth2"
        and entry.oauth is not None
        and entry.oauth.issuer
        and (issuers is None or entry.oauth.issuer in issuers)
    ]
    pins = Pins()
    unpinned: list[tuple[Entry, str, binding.State]] = []
    for entry in candidates:
        issuer = entry.oauth.issuer if entry.oauth is not None else None
        if issuer is None or issuer in pins:
            continue
        try:
            verdict = binding.state(binding.read(vault.store, entry), entry)
        except TokenMgrError as e:
            return Pins(notes=[f"no issuer is pinned from the vault ({e})"])
        # An older binding that still matches covered the issuer too.
        if verdict in (binding.State.MATCHES, binding.State.OUTDATED):
            pins[issuer] = entry.name
        else:
            unpinned.append((entry, issuer, verdict))
    for entry, issuer, verdict in unpinned:
        if issuer in pins:
            continue
        why = (
            "no binding is stored with its secrets"
            if verdict is binding.State.MISSING
            else "its settings do not match the binding stored with its secrets (was the "
            "index edited?)"
        )
        pins.notes.append(f"the OAuth entry {entry.name!r} pins no issuer: {why}")
    return pins


def verify(report: Report, pins: Mapping[str, str] | None = None, **kwargs: Any) -> Report:
    """Verify a token's report with its issuer's keys; pinned when `pins` trusts it."""
    from tokenmgr.core import jwt_inspect

    return jwt_inspect.verify(report, pinned_issuers=dict(pins or {}), **kwargs)


def token_issuer(report: Report) -> str | None:
    """The `iss` a token names (unverified), to look its pins up by."""
    iss = (report.claims or {}).get("iss")
    return iss if isinstance(iss, str) else None


def verify_pinned(vault: Vault, report: Report) -> Report:
    """Verify with the issuers the vault pins (the app's Verify and Paste & decode); why
    an issuer could not be pinned goes into the report's warnings."""
    import dataclasses

    iss = token_issuer(report)
    pins = vault_pins(vault, [iss] if iss else [])
    verified = verify(report, pins)
    if pins.notes:
        verified = dataclasses.replace(verified, warnings=(*verified.warnings, *pins.notes))
    return verified


# What a token may be checked with besides the vault's pins (the app's Paste & decode).
VERIFY_SOURCES = ("issuer", "secret", "public_key", "jwks_url")


def verify_given(
    report: Report,
    source: str,
    given: str = "",
    *,
    base64url: bool = False,
    vault: Vault | None = None,
) -> Report:
    """Verify a pasted token with what the user chose: "issuer" (the issuer's published
    keys, pinned when the vault names it), "secret" (a shared secret for HMAC),
    "public_key" (PEM, certificate, JWK or JWK Set) or "jwks_url" (https, or http on
    loopback). What is given is used for this check only, never stored; a secret is
    registered with the redaction filter first. Raises UsageError for bad input."""
    from tokenmgr.core import jwt_inspect
    from tokenmgr.core.jwt_inspect.keys import GivenKey

    if source == "issuer":
        return verify_pinned(vault, report) if vault is not None else verify(report)
    if source == "jwks_url":
        url = given.strip()
        if not url:
            from tokenmgr.core.errors import UsageError

            raise UsageError("give the JWKS URL, e.g. https://id.example.com/jwks.json")
        return jwt_inspect.verify(report, jwks_url=url)
    if source == "secret":
        key = GivenKey.shared_secret(given, base64url=base64url)
    elif source == "public_key":
        key = GivenKey.public_key(given)
    else:
        raise ValueError(f"unknown key source {source!r}")
    return jwt_inspect.verify(report, key=key)


def inspect_stored(
    vault: Vault,
    name: str,
    field: str = "access",
    *,
    check_signature: bool = False,
) -> Report:
    """The full report of a stored token, verified against the vault's pins when asked.
    The token stays inside the report only (whoever shows it drops the report when it
    conceals)."""
    from tokenmgr.core import jwt_inspect

    report = jwt_inspect.inspect(read_secret(vault, name, field))
    return verify_pinned(vault, report) if check_signature else report
