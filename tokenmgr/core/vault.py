"""Vault: the one facade the CLI and the GUI use.

Metadata lives in the index (`index.py`), secrets in a `SecretStore`. Every
mutation takes the index lock, writes the secret first and the index second,
and records what it is about to write in a small journal so a crash between
the two leaves no orphaned secret behind (reconciled by the next mutation).
Reads take no lock and read only the secret they hand out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenmgr.core import paths
from tokenmgr.core.entries import Entry, TokenSet
from tokenmgr.core.errors import (
    AlreadyExists,
    IndexAltered,
    NotFound,
    TokenMgrError,
    UsageError,
)
from tokenmgr.core.index import Index, atomic_write, file_lock
from tokenmgr.core.redact import register_secret
from tokenmgr.core.rules import (
    SECRET_FIELDS,
    now_utc,
    validate_env_var,
    validate_name,
    validate_scheme,
    validate_secret,
    validate_token,
    validate_username,
)

if TYPE_CHECKING:
    # The stores load keyring/D-Bus/crypto code: only when a secret is touched (`list`
    # never does).
    from tokenmgr.core.stores import PassphraseSource, SecretStore

JOURNAL_NAME = "pending.json"
# A refresh holds its entry's lock across one token request (bounded by the HTTP
# deadline); waiting longer than this means something is stuck.
ENTRY_LOCK_TIMEOUT = 120.0

# Called by get_token for oauth2 entries that need a fresh access token.
Refresher = Callable[["Vault", Entry], str]


def _log_warning(message: str) -> None:
    import logging

    logging.getLogger("tokenmgr").warning("%s", message)


def _edited(items: list[str], added: Any, dropped: Any) -> list[str]:
    """`items` with `added` appended (once each) and `dropped` removed, order kept."""
    out = [i for i in items if i not in set(dropped or [])]
    for item in added or []:
        if item not in out:
            out.append(str(item))
    return out


class SecretMissing(TokenMgrError):
    """The index names a secret that the store no longer holds."""

    exit_status = 1


class Vault:
    def __init__(
        self,
        home: Path | None = None,
        store: SecretStore | None = None,
        *,
        env: Mapping[str, str] | None = None,
        passphrase: PassphraseSource | None = None,
    ) -> None:
        self.env = os.environ if env is None else env
        self.home = home if home is not None else paths.home(self.env)
        self.index = Index(self.home)
        self._store = store
        self._passphrase = passphrase
        self.refresher: Refresher | None = None
        # Where what went wrong but stopped nothing is said (an access record that could
        # not be written): the CLI's stderr, the app's status bar; a log warning otherwise.
        self.warn: Callable[[str], None] = _log_warning
        self.journal_path = self.home / JOURNAL_NAME
        self._held = threading.local()  # entry locks this thread holds

    @property
    def store(self) -> SecretStore:
        if self._store is None:
            from tokenmgr.core.stores import open_store

            self._store = open_store(self.home, self.env, self._passphrase)
        return self._store

    # ---------------------------------------------------------------- reads

    def list_entries(self) -> list[Entry]:
        entries = self.index.load()
        return [entries[k] for k in sorted(entries)]

    def list_raw(self) -> list[dict[str, Any]]:
        """Entries as stored (plain dicts), for the fast `list --json` path."""
        return sorted(self.index.load_raw(), key=lambda d: str(d["name"]))

    def entry(self, name: str) -> Entry:
        for item in self.index.load_raw():
            if item["name"] == name:
                try:
                    return Entry.from_dict(item)
                except Exception as e:
                    raise self.index.corrupt(f"entry {name!r} is malformed ({e})") from None
        raise NotFound(f"no entry named {name!r} (see `tokenmgr list`)")

    def get_secret(self, entry: Entry, field: str = "access") -> str:
        value = self.store.get(entry.name, field)
        if value is None:
            raise SecretMissing(
                f"the {field} token of {entry.name!r} is not in the {self.store.info().kind} "
                f"store (removed outside tokenmgr?); store it again with "
                f"`tokenmgr add {entry.name} --force`"
            )
        register_secret(value)
        return value

    def get_token(self, name: str, *, refresh: bool = True) -> tuple[Entry, str]:
        """The entry and its access token, refreshed first if it needs it and can be."""
        return self.token_for(self.entry(name), refresh=refresh)

    def token_for(self, entry: Entry, *, refresh: bool = True) -> tuple[Entry, str]:
        """`get_token` for an entry already read (no second index read)."""
        if refresh and entry.kind == "oauth2" and self.refresher is not None:
            return entry, self.refresher(self, entry)
        return entry, self.get_secret(entry, "access")

    # ------------------------------------------------------------ mutations

    @contextlib.contextmanager
    def transaction(self) -> Any:
        """Lock the index and reconcile any half-finished earlier mutation."""
        with self.index.lock():
            self._reconcile()
            yield

    def _journal(
        self, name: str, fields: Iterable[str], *, also: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        """Record the secrets about to be written (and, in `also`, those of other entries
        about to be deleted): whichever of them the index does not list when the next
        mutation looks is an orphan, and is deleted then."""
        doc: dict[str, Any] = {"name": name, "fields": list(fields)}
        if also:
            doc["also"] = [{"name": n, "fields": list(f)} for n, f in also.items()]
        atomic_write(self.journal_path, json.dumps(doc).encode())

    def _clear_journal(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal_path)

    def _reconcile(self) -> None:
        """Delete secrets a crashed mutation wrote but never recorded in the index."""
        try:
            raw = self.journal_path.read_bytes()
        except FileNotFoundError:
            return
        try:
            pending = json.loads(raw)
            items = [pending, *pending.get("also", [])]
            touched = [(str(i["name"]), [str(f) for f in i["fields"]]) for i in items]
        except Exception:
            self._clear_journal()
            return
        entries = self.index.load()
        for name, fields in touched:
            known = set(entries[name].secrets) if name in entries else set()
            for field in fields:
                if field not in known:
                    self.store.delete(name, field)
        self._clear_journal()

    def add(
        self,
        name: str,
        token: str,
        *,
        service: str = "",
        env_var: str | None = None,
        scheme: str = "Bearer",
        expires_at: datetime | None = None,
        note: str = "",
        tags: list[str] | None = None,
        force: bool = False,
        hosts: list[str] | None = None,
        username: str | None = None,
        check_url: str | None = None,
    ) -> Entry:
        """Store a static token. Secret first, index second.

        `hosts` (what it serves to credential helpers) and `check_url` (where it is
        checked) are bound to the token in the same write. Replacing a token (`force`)
        keeps the hosts, user name and check URL of the old one when none are given, if
        they are still the ones bound to the old token."""
        from tokenmgr.core.hosts import check_unique
        from tokenmgr.core.hosts import normalize as normalize_hosts

        validate_name(name)
        if hosts is not None:
            hosts = normalize_hosts(hosts)
        if username is not None:
            validate_username(username)
        if env_var:
            validate_env_var(env_var)
        validate_scheme(scheme)
        validate_token(token)
        register_secret(token)
        # Decoded without verification: for expiry, status and the cached report only.
        from tokenmgr.core.jwt_inspect import inspect as inspect_token
        from tokenmgr.core.jwt_inspect import summary

        report = inspect_token(token)
        exp, iat = report.expires_at, report.issued_at
        store = self.store
        store.probe()  # no keyring, or a locked one: fail before anything is written
        with self.entry_lock(name), self.transaction():
            entries = self.index.load()
            old = entries.get(name)
            if old is not None and not force:
                raise AlreadyExists(
                    f"an entry named {name!r} exists; use --force to replace its token "
                    "(it was kept as it is)"
                )
            entry = Entry(
                name=name,
                kind="static",
                service=service,
                env_var=env_var or "",
                scheme=scheme,
                expires_at=expires_at or exp,
                issued_at=iat or now_utc(),
                note=note,
                tags=list(tags or []),
                secrets=["access"],
                report=summary(report),
                check_url=check_url or None,
            )
            if old is not None:
                entry.created_at = old.created_at
                if hosts is None and old.hosts and self.binding_holds(old):
                    hosts = list(old.hosts)
                if check_url is None and old.check_url and self.binding_holds(old):
                    entry.check_url = old.check_url
                if username is None:
                    username = old.username
            entry.hosts = list(hosts or [])
            entry.username = username or ""
            check_unique(name, entry.hosts, ((e.name, e.hosts) for e in entries.values()))
            values = {"access": token, **self._binding_of(entry)}
            entry.secrets = sorted(values)
            self._write(entry, values, old, entries, restore=True)
            if old is not None:
                for field in set(old.secrets) - set(entry.secrets):
                    with contextlib.suppress(TokenMgrError):
                        store.delete(name, field)
        return entry

    def save_tokens(
        self,
        entry: Entry,
        tokens: TokenSet,
        *,
        replace: bool = False,
        must_exist: bool = False,
    ) -> Entry:
        """Store an entry with the given secrets (used by sign-in and refresh).

        Secrets are written before the index. Fields absent from `tokens` keep
        their stored value unless `replace` is set, in which case they are removed.
        With `must_exist` (a refresh), the entry must still be the OAuth entry it
        was: if it was removed or replaced meanwhile, nothing is written.
        """
        from tokenmgr.core.hosts import check_unique

        validate_name(entry.name)
        values = tokens.fields()
        for v in values.values():
            validate_secret(v)
            register_secret(v)
        if "access" in values:
            # The non-secret report of the new access token, so nothing re-reads it to draw.
            from tokenmgr.core.jwt_inspect import inspect as inspect_token
            from tokenmgr.core.jwt_inspect import summary

            report = inspect_token(values["access"])
            entry.report = summary(report)
            if entry.expires_at is None:
                entry.expires_at = report.expires_at
            # A new token: whatever refused the old one has not seen this one.
            entry.refused_by = entry.refused_at = None
        store = self.store
        store.probe()
        with self.entry_lock(entry.name), self.transaction():
            entries = self.index.load()
            old = entries.get(entry.name)
            if must_exist and (old is None or old.kind != "oauth2"):
                raise NotFound(
                    f"{entry.name!r} was removed or replaced while it was being refreshed; "
                    "nothing was saved"
                )
            kept = set(old.secrets) if (old is not None and not replace) else set()
            entry.secrets = sorted(kept | set(values))
            if entry.hosts:
                check_unique(entry.name, entry.hosts, ((e.name, e.hosts) for e in entries.values()))
            entry.updated_at = now_utc()
            if old is not None:
                entry.created_at = old.created_at
            # A refresh (must_exist) restores nothing: the server has rotated, the old
            # refresh token is dead, and an old token never overwrites a newer one.
            self._write(entry, values, old, entries, restore=not must_exist)
            if old is not None and replace:
                for field in set(old.secrets) - set(entry.secrets):
                    with contextlib.suppress(TokenMgrError):
                        store.delete(entry.name, field)
        return entry

    def _write(
        self,
        entry: Entry,
        values: dict[str, str],
        old: Entry | None,
        entries: dict[str, Entry],
        *,
        restore: bool,
        also: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Secrets first, then the index, journalled; on failure undo the secrets.

        Undoing deletes the fields the index did not list and, with `restore`, puts
        back the values the write overwrote, so the index and the store agree again
        (an `add --force` whose index write failed leaves the old token, not the new
        one under old metadata). Call inside `transaction()`. The journal is cleared
        only when the index write succeeded or the rollback did; otherwise the next
        mutation reconciles. With `also` (other entries' secrets the caller deletes next,
        see `_journal`), a successful write leaves the journal for the caller to clear.
        """
        store = self.store
        known = set(old.secrets) if old is not None else set()
        previous: dict[str, str | None] = {}
        if restore:
            # Read before anything is written: a store that cannot be read changes nothing.
            for field in values:
                if field in known:
                    value = store.get(entry.name, field)
                    register_secret(value)
                    previous[field] = value
        self._journal(entry.name, values, also=also)
        attempted: list[str] = []
        try:
            for field, v in values.items():
                attempted.append(field)
                store.set(entry.name, field, v)
            entries[entry.name] = entry
            self.index.save(entries)
        except BaseException:
            rolled_back = True
            for field in attempted:
                try:
                    if field not in known:
                        store.delete(entry.name, field)
                    elif restore:
                        before = previous[field]
                        if before is None:  # listed but absent: absent again
                            store.delete(entry.name, field)
                        else:
                            store.set(entry.name, field, before)
                except Exception:  # best effort: the first failure is the one reported
                    rolled_back = False  # journal kept: the next mutation reconciles
            if rolled_back:
                self._clear_journal()
            raise
        if also is None:
            self._clear_journal()

    def update_entry(self, entry: Entry) -> None:
        """Write changed metadata of an existing entry (no secrets touched)."""
        with self.transaction():
            entries = self.index.load()
            if entry.name not in entries:
                raise NotFound(f"no entry named {entry.name!r} (see `tokenmgr list`)")
            # The stored list is the truth: a caller's copy may predate a sign-in.
            entry.secrets = list(entries[entry.name].secrets)
            entry.updated_at = now_utc()
            entries[entry.name] = entry
            self.index.save(entries)

    def modify(self, name: str, change: Callable[[Entry], None]) -> Entry:
        """Apply `change` to the entry as stored now, inside the index lock (a refresh
        that lands meanwhile is kept); no secret is touched. For what the app learns
        about an entry (a provider's answer), not for what a person edits."""
        with self.transaction():
            entries = self.index.load()
            entry = entries.get(name)
            if entry is None:
                raise NotFound(f"no entry named {name!r} (see `tokenmgr list`)")
            change(entry)
            self.index.save(entries)
        return entry

    # What a person may edit of an entry; the rest (expiry of an OAuth token, its state,
    # its endpoints, the cached report) belongs to sign-in and refresh.
    EDITABLE = ("service", "env_var", "scheme", "note", "tags", "username")
    # Edits to a list: items added to or dropped from what is stored when the lock is held.
    LIST_EDITS = ("add_tags", "drop_tags", "add_hosts", "drop_hosts")

    def edit_metadata(self, name: str, changes: Mapping[str, Any]) -> Entry:
        """Apply `changes` to the stored entry inside the index lock, so a refresh that
        lands meanwhile is kept: fields of EDITABLE, `expires_at` (a static token's),
        `hosts` (the whole list), the LIST_EDITS and `check_url` (None removes it).

        A change to the hosts or the check URL (bound settings: where the token goes) is
        bound to the entry's secrets in the same write, and only when the entry's
        settings still match the binding stored with them: an entry whose index was
        edited is not bound again by editing it (that would adopt the edit). Two entries
        never serve the same host and prefix."""
        from tokenmgr.core.hosts import check_unique
        from tokenmgr.core.hosts import normalize as normalize_hosts

        allowed = set(self.EDITABLE) | {"expires_at", "hosts", "check_url"} | set(self.LIST_EDITS)
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
        if changes.get("env_var"):
            validate_env_var(str(changes["env_var"]))
        if "scheme" in changes:
            validate_scheme(str(changes["scheme"]))
        if "username" in changes:
            validate_username(str(changes["username"]))
        host_edit = any(k in changes for k in ("hosts", "add_hosts", "drop_hosts"))
        if host_edit:
            for key in ("hosts", "add_hosts", "drop_hosts"):
                normalize_hosts([str(h) for h in changes.get(key) or []])
        if changes.get("check_url") is not None:
            from tokenmgr.core.oauth.http import check_url

            check_url(str(changes["check_url"]), "the check URL")
        bound_edit = host_edit or "check_url" in changes
        if bound_edit:
            self.store.probe()  # a locked keyring fails before anything is locked
        lock = self.entry_lock(name) if bound_edit else contextlib.nullcontext()
        with lock, self.transaction():
            entries = self.index.load()
            entry = entries.get(name)
            if entry is None:
                raise NotFound(f"no entry named {name!r} (see `tokenmgr list`)")
            before = dataclasses.replace(entry, hosts=list(entry.hosts))
            for field, value in changes.items():
                if field == "expires_at" and entry.kind != "static":
                    continue  # an OAuth token's expiry comes from the provider
                if field in ("service", "env_var", "scheme", "note", "username", "expires_at"):
                    setattr(entry, field, value)
                elif field == "tags":
                    entry.tags = list(value)
                elif field == "check_url":
                    entry.check_url = str(value) if value else None
            entry.tags = _edited(entry.tags, changes.get("add_tags"), changes.get("drop_tags"))
            if host_edit:
                entry.hosts = self._edited_hosts(entry, changes)
                check_unique(name, entry.hosts, ((e.name, e.hosts) for e in entries.values()))
            if (entry.hosts, entry.check_url) == (before.hosts, before.check_url):
                entry.updated_at = now_utc()
                self.index.save(entries)
                return entry
            what = "the hosts were not changed" if host_edit else "the check URL was not changed"
            self.require_binding(before, what)
            values = self._binding_of(entry, always=True)
            entry.secrets = sorted(set(entry.secrets) | set(values))
            entry.updated_at = now_utc()
            self._write(entry, values, before, entries, restore=True)
        return entry

    def _edited_hosts(self, entry: Entry, changes: Mapping[str, Any]) -> list[str]:
        from tokenmgr.core.hosts import normalize as normalize_hosts
        from tokenmgr.core.hosts import parse_all

        current = parse_all(changes["hosts"]) if "hosts" in changes else parse_all(entry.hosts)
        dropped = parse_all([str(h) for h in changes.get("drop_hosts") or []])
        keys = {h.key for h in current}
        for host in dropped:
            if host.key not in keys:
                raise UsageError(
                    f"{entry.name!r} does not serve {host} (it serves "
                    f"{', '.join(entry.hosts) or 'no host'}): nothing was changed"
                )
        gone = {h.key for h in dropped}
        kept = [h for h in current if h.key not in gone]
        return normalize_hosts([*map(str, kept), *(changes.get("add_hosts") or [])])

    # -------------------------------------------------------------- binding

    def _binding_of(self, entry: Entry, *, always: bool = False) -> dict[str, str]:
        """The binding secret to write with `entry` ({} when nothing of it is bound,
        unless `always`)."""
        from tokenmgr.core.oauth import binding

        if not always and not binding.bound_values(entry):
            return {}
        return {binding.FIELD: binding.digest(entry)}

    def binding_holds(self, entry: Entry) -> bool:
        """Do the entry's settings match the binding stored with its secrets?"""
        from tokenmgr.core.oauth import binding

        state = binding.state(binding.read(self.store, entry), entry)
        return state in (binding.State.MATCHES, binding.State.NOT_NEEDED)

    def require_binding(self, entry: Entry, outcome: str) -> None:
        """Raise unless the entry's settings match the binding stored with its secrets;
        `outcome` says what was therefore not done ("nothing was handed out")."""
        if self.binding_holds(entry):
            return
        from tokenmgr.core.oauth import binding

        if binding.FIELD in entry.secrets and binding.read(self.store, entry) is None:
            raise SecretMissing(
                f"the binding of {entry.name!r} is not in the {self.store.info().kind} store "
                f"(removed outside tokenmgr, or another store?), so {outcome}"
            )
        if entry.kind == "oauth2":
            binding.check_store(self.store, entry)
        raise IndexAltered(
            f"the hosts or check URL of {entry.name!r} in the index are not the ones bound to "
            f"its token (was the index edited?), so {outcome}. Store the token again with "
            f"them: `tokenmgr add {entry.name} --force --host HOST --check-url URL`"
        )

    # ------------------------------------------------------------- OAuth helpers

    def refresh_lock_path(self, name: str) -> Path:
        """The per-entry lock file that serialises refreshes across processes."""
        validate_name(name)
        return self.home / "locks" / f"refresh-{name}.lock"

    @contextlib.contextmanager
    def entry_lock(self, name: str) -> Iterator[None]:
        """Serialise everything that changes one entry's secrets across processes.

        Refresh, sign-in, add, rm and revocation all take it (before the index
        lock), so a refresh in flight can neither resurrect a removed entry nor
        overwrite a token stored meanwhile. Re-entrant within a thread.
        """
        held: set[str] = self._held.__dict__.setdefault("names", set())
        if name in held:
            yield
            return
        path = self.refresh_lock_path(name)
        paths.ensure_private_dir(self.home)  # before `locks/` is made inside it
        with file_lock(path, ENTRY_LOCK_TIMEOUT, f"the entry {name!r}"):
            held.add(name)
            try:
                yield
            finally:
                held.discard(name)

    def set_state(self, name: str, state: str | None) -> Entry:
        """Record an entry's state (e.g. "sign_in_needed"); no secret is touched."""
        with self.transaction():
            entries = self.index.load()
            entry = entries.get(name)
            if entry is None:
                raise NotFound(f"no entry named {name!r} (see `tokenmgr list`)")
            entry.state = state
            entry.updated_at = now_utc()
            self.index.save(entries)
        return entry

    def set_refused(self, name: str, host: str | None) -> Entry | None:
        """Mark the entry as refused by `host` (a credential helper's client said the
        server refused its token), or clear the mark (None). Only the index changes;
        None when the entry is gone meanwhile."""
        with self.transaction():
            entries = self.index.load()
            entry = entries.get(name)
            if entry is None:
                return None
            if entry.refused_by == host:
                return entry
            entry.refused_by = host
            entry.refused_at = now_utc() if host is not None else None
            self.index.save(entries)
        return entry

    def rename(self, old: str, new: str) -> Entry:
        """Give an entry another name: its secrets are copied to the new name, then the
        index names it, then the old name's secrets go.

        Under both names' entry locks (a refresh in flight finishes first, and one that
        waited finds no entry by the old name) and the index lock, journalled: a crash
        before the index write leaves the old entry as it was (the copies are orphans the
        next mutation deletes), one after it leaves the renamed entry (the old name's
        secrets are then the orphans). Nothing else of the entry changes: its settings,
        its environment variable and, for an OAuth entry, its binding (which names
        endpoints, not the entry) move as they are.
        """
        validate_name(new)
        if new == old:
            raise UsageError(f"{old!r} already has that name: nothing was changed")
        if old not in {e["name"] for e in self.index.load_raw()}:
            raise NotFound(f"no entry named {old!r} (see `tokenmgr list`)")
        store = self.store
        store.probe()  # a locked keyring fails here, before any lock file is made
        first, second = sorted((old, new))
        with self.entry_lock(first), self.entry_lock(second), self.transaction():
            entries = self.index.load()
            entry = entries.get(old)
            if entry is None:
                raise NotFound(f"no entry named {old!r} (see `tokenmgr list`)")
            if new in entries:
                raise AlreadyExists(
                    f"an entry named {new!r} exists: remove it first or pick another name "
                    f"({old!r} was kept as it is)"
                )
            values: dict[str, str] = {}
            for field in entry.secrets:
                value = store.get(old, field)
                if value is not None:
                    register_secret(value)
                    values[field] = value
            moved = dataclasses.replace(entry, name=new, secrets=sorted(values))
            moved.updated_at = now_utc()
            # No values to restore: an item already stored under the new name is not
            # an entry's (the index does not list it), so overwriting it loses nothing.
            del entries[old]
            self._write(moved, values, None, entries, restore=False, also={old: entry.secrets})
            # The index names the new entry: the old name's secrets are orphans now. If
            # deleting one fails, the journal stays and the next mutation finishes.
            try:
                for field in entry.secrets:
                    store.delete(old, field)
            except TokenMgrError:
                return moved
            self._clear_journal()
        return moved

    def remove(self, name: str) -> Entry:
        """Delete an entry's secrets, then its metadata."""
        store = self.store
        if name not in {e["name"] for e in self.index.load_raw()}:
            raise NotFound(f"no entry named {name!r} (see `tokenmgr list`)")
        store.probe()  # a locked keyring fails here, before any lock file is made
        with self.entry_lock(name), self.transaction():
            entries = self.index.load()
            entry = entries.get(name)
            if entry is None:
                raise NotFound(f"no entry named {name!r} (see `tokenmgr list`)")
            store.check()
            # Every field, not only the listed ones: deleting is idempotent, and an
            # index that lost track of a secret must not leave it behind.
            for field in sorted(set(entry.secrets) | set(SECRET_FIELDS)):
                store.delete(name, field)
            del entries[name]
            self.index.save(entries)
        return entry
