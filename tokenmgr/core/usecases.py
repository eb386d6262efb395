"""What the command line and the desktop app both do with the vault.

One function per use case, each the single place its rule lives: setting up the
store, handing a token
out (refreshed first when it needs it), rendering it for a tool or the clipboard,
refreshing now, removing with or without revocation, which issuers are pinned,
verifying, and the `list` rows with their status. The CLI turns the results into
stdout lines and exit statuses, the desktop app into status-bar text; neither
re-implements a rule here.

Nothing here imports Qt or argparse, prints, or reads a secret it does not hand
out; the OAuth and JWT code is imported when a use case needs it, so `list` and a
static `get` stay light.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenmgr.core.entries import (
    KINDS,
    STATUS_EXPIRED,
    VERDICT_ACCEPTED,
    VERDICT_REFUSED,
    Entry,
    expiry_source,
    format_time,
    now_utc,
    parse_time,
    parse_time_or_none,
    refused_now,
    renews,
    status_at,
    validate_env_var,
    validate_name,
    validate_scheme,
)
from tokenmgr.core.errors import AuthError, NotFound, TokenMgrError

if TYPE_CHECKING:
    from pathlib import Path

    from tokenmgr.core.jwt_inspect.model import TokenReport as Report
    from tokenmgr.core.probe.answers import Answer
    from tokenmgr.core.probe.providers import Target
    from tokenmgr.core.stores import SecretStore, StoreInfo
    from tokenmgr.core.vault import Vault


# ------------------------------------------------------------------ the store


def probe_store(vault: Vault) -> StoreInfo:
    """Does the vault's store answer (and is it unlocked)? What it is, when it does.

    The encrypted session (and the crypto code it loads) waits for the first secret,
    which may come hours later: a service that offers none is refused then, before
    anything is sent or written."""
    store = vault.store
    info = store.info()
    store.probe(protect=False)
    return info


def create_vault_file(home: Path, passphrase: str) -> SecretStore:
    """Create an empty encrypted vault file with this passphrase; the store, open."""
    from tokenmgr.core.stores.vault_file import EncryptedFileStore

    store = EncryptedFileStore(home, passphrase=lambda _new: passphrase)
    # Writing and removing a marker creates the file (with its salt) through the
    # public API, so the next start has something to check the passphrase against.
    store.set("__tokenmgr_probe__", "probe", "created")
    store.delete("__tokenmgr_probe__", "probe")
    return store


def unlock_vault_file(home: Path, passphrase: str) -> SecretStore:
    """A fresh store (a refused passphrase is sticky per store object), unlocked now."""
    from tokenmgr.core.stores.vault_file import EncryptedFileStore

    store = EncryptedFileStore(home, passphrase=lambda _new: passphrase)
    store.unlock()
    return store


# ------------------------------------------------------------------ hand-out


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
    vault: Vault, name: str, *, refresh: bool = True, how: str = "get"
) -> tuple[Entry, str]:
    """The entry and its access token (refreshed first unless `refresh` is off), put on
    the access record as having left by `how` (a key of `record.HOW`)."""
    entry, token = with_refresh(vault).get_token(name, refresh=refresh)
    put_on_record(vault, entry.name, how)
    return entry, token


def hand_out_many(
    vault: Vault, names: Sequence[str], *, how: str = "export"
) -> list[tuple[Entry, str]]:
    """Entries and their access tokens, in the order named (all entries, by name, when
    none is named); one index read, and nothing handed out when a name is missing."""
    with_refresh(vault)
    entries = {e.name: e for e in vault.list_entries()}
    missing = [n for n in names if n not in entries]
    if missing:
        raise NotFound(f"no entry named {missing[0]!r} (see `tokenmgr list`)")
    out = [vault.token_for(entries[n]) for n in names or sorted(entries)]
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
    entry, token = hand_out(vault, name, how=how)
    return entry, render_for(entry, token, fmt, shell, clipboard=True)


def read_secret(vault: Vault, name: str, field: str = "access") -> str:
    """One secret of an entry as stored, never refreshed (to reveal or inspect it)."""
    return vault.get_secret(vault.entry(name), field)


# ------------------------------------------------------------- .env files


@dataclass(frozen=True)
class EnvImport:
    """One token to store from a .env file: its entry name, variable and value."""

    name: str
    env_var: str
    token: str = field(repr=False)  # never in a log or a traceback
    service: str = ""
    note: str = ""


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    failed: list[tuple[str, TokenMgrError]] = field(default_factory=list)  # (name, why)
    not_tried: list[str] = field(default_factory=list)  # after the store failed


def import_env(vault: Vault, items: Sequence[EnvImport]) -> ImportResult:
    """Store each token as a new static entry, one by one; a name taken meanwhile or a
    token refused is reported and the others go on; when the store itself fails, the
    rest are not tried (and nothing half-stored is left: `Vault.add` undoes its own)."""
    from tokenmgr.core.errors import StorageUnavailable

    result = ImportResult()
    for i, item in enumerate(items):
        try:
            vault.add(item.name, item.token, service=item.service, env_var=item.env_var,
                      note=item.note)
        except StorageUnavailable as e:
            result.failed.append((item.name, e))
            result.not_tried = [it.name for it in items[i + 1 :]]
            break
        except TokenMgrError as e:
            result.failed.append((item.name, e))
        else:
            result.added.append(item.name)
    return result


def export_env(vault: Vault, names: Sequence[str], path: Path, at: datetime | None = None) -> int:
    """Write the named entries' tokens (refreshed as `get` would) as a .env file at `path`,
    readable by its owner only; how many. Nothing is written when one cannot be: two
    entries that share a variable, a token no .env line can carry."""
    from tokenmgr.core import envfile
    from tokenmgr.core.errors import UsageError

    if not names:
        raise UsageError("choose at least one token to export")
    entries = {e.name: e for e in vault.list_entries()}
    users: dict[str, list[str]] = {}
    for name in names:
        if name in entries:
            users.setdefault(entries[name].env_var, []).append(name)
    for var, sharing in users.items():
        if len(sharing) > 1:
            raise UsageError(
                f"{' and '.join(sharing)} both use {var}, and a .env file holds one value per "
                "variable: export one of them, or give the other its own variable (Edit)"
            )
    handed = hand_out_many(vault, names)
    text = envfile.render([(entry.env_var, token) for entry, token in handed], at or now_utc())
    envfile.write_private(path, text)
    return len(handed)


# ------------------------------------------------------------------ refresh


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


# ------------------------------------------------------------------- remove


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


# ------------------------------------------------------------- verification


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
    from tokenmgr.core.errors import TokenMgrError
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


# --------------------------------------------------------------------- list


def _checked_status(item: Mapping[str, Any], now: datetime) -> str:
    """`Entry.from_dict(item).status(now)` without building the Entry (a third of
    `list`'s own time with 1,000 entries): the same checks in the same order, so a
    tampered entry fails with the same message, then the one status rule."""
    return _checked(item, now)[0]


def _checked(item: Mapping[str, Any], now: datetime) -> tuple[str, datetime | None]:
    """`_checked_status`, with the expiry it parsed (`list` shows where it came from)."""
    validate_name(str(item["name"]))
    if item.get("env_var"):
        validate_env_var(str(item["env_var"]))
    validate_scheme(str(item.get("scheme", "Bearer")))
    if item.get("kind", "static") not in KINDS:
        raise ValueError(f"unknown kind {item.get('kind')!r}")
    expires = parse_time(item.get("expires_at"))
    issued = parse_time(item.get("issued_at"))
    iter(item.get("tags", []))
    created = parse_time(item.get("created_at"))
    parse_time(item.get("updated_at"))
    secrets = item.get("secrets", [])
    iter(secrets)
    oauth = item.get("oauth")
    flow = str(oauth.get("flow", "code")) if isinstance(oauth, dict) else None
    renewable = renews(str(item.get("kind", "static")), flow, secrets, item.get("state"))
    # The command line has no settings: the default lead time (`entries.DEFAULT_LEAD`).
    since = issued or created or now_utc()  # as Entry.from_dict fills a missing created_at
    check = item.get("provider_check")
    if isinstance(check, dict) and refused_now(
        check.get("verdict"), parse_time_or_none(check.get("token_issued_at")), issued
    ):
        return STATUS_EXPIRED, expires  # the provider refuses it: it no longer works
    return status_at(expires, since, now, renewable=renewable), expires


def _provider_columns(item: Mapping[str, Any], expires: datetime | None) -> dict[str, Any]:
    """`list`'s columns after the documented ones: where the expiry (`expires`, parsed
    already) came from, and the provider's last verdict and when it was given (None when
    never asked)."""
    check = item.get("provider_check")
    check = check if isinstance(check, dict) else {}
    report = item.get("report")
    verdict = check.get("verdict")
    checked_at = parse_time_or_none(check.get("checked_at"))
    return {
        "expiry_source": expiry_source(
            expires,
            str(item.get("kind", "static")),
            report.get("expires_at") if isinstance(report, dict) else None,
            parse_time_or_none(check.get("expires_at")),
        ),
        "verdict": verdict if verdict in (VERDICT_ACCEPTED, VERDICT_REFUSED) else None,
        "checked_at": format_time(checked_at),
    }


def list_rows(vault: Vault, now: datetime) -> list[dict[str, Any]]:
    """The rows of `list` (no secrets), sorted by name, each with its status."""
    rows = []
    for item in vault.list_raw():
        try:
            status, expires = _checked(item, now)
        except Exception as e:  # a malformed field is a corrupted index, reported as such
            raise vault.index.corrupt(f"entry {item['name']!r} is malformed ({e})") from None
        rows.append(
            {
                "name": item["name"],
                "kind": item.get("kind", "static"),
                "service": item.get("service", ""),
                "env_var": item.get("env_var", ""),
                "scheme": item.get("scheme", "Bearer"),
                "expires_at": item.get("expires_at"),
                "status": status,
                "hosts": list(item.get("hosts") or []),
                "refused_by": item.get("refused_by"),
                **_provider_columns(item, expires),
            }
        )
    return rows


# -------------------------------------------------------------------- probe


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
    from tokenmgr.core import probe as p
    from tokenmgr.core.entries import now_utc

    entry = vault.entry(name)
    if token is None or entry.kind != "static":
        entry, token = probe_token_of(vault, entry)
    target = p.target_for(entry, token)
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
    answer = p.ask(target, token, now=at, env=vault.env, scheme=entry.scheme, client=client)
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
    from tokenmgr.core import probe as p

    def record(stored: Entry) -> None:
        old = stored.provider_check
        check = p.merge(old, target, answer, now=at, token_issued_at=token_issued_at)
        p.apply(stored, check)

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
    from tokenmgr.core import probe as p
    from tokenmgr.core.entries import now_utc
    from tokenmgr.core.probe.network import network_state

    try:
        target = p.target_for(Entry(name="new", check_url=check_url, hosts=list(hosts)), token)
    except p.NoTarget:
        return ""
    state = network_state(env)
    if state is not None and state.reason():
        return f"Not checked with {target.label}: {state.reason()}."
    return target, p.ask(target, token, now=now_utc(), env=env, scheme=scheme)


def provider_page(vault: Vault, name: str) -> str | None:
    """The page where the entry's provider makes a new token (GitHub's token settings,
    GitLab's access tokens), when it has one; from the token's prefix and the entry's
    bound settings only, so an edited index cannot point it elsewhere."""
    from tokenmgr.core import probe as p

    entry = vault.entry(name)
    vault.require_binding(entry, "no page was opened")
    try:
        return p.target_for(entry, vault.get_secret(entry, "access")).page
    except p.NoTarget:
        return None
