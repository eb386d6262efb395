""".env files: tokens imported from one, entries written out as one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.rules import now_utc
from tokenmgr.core.usecases.handout import hand_out_many, put_on_record

if TYPE_CHECKING:
    from pathlib import Path

    from tokenmgr.core.vault import Vault


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
    handed = hand_out_many(vault, names, how=None)
    text = envfile.render([(entry.env_var, token) for entry, token in handed], at or now_utc())
    envfile.write_private(path, text)
    for entry, _token in handed:
        put_on_record(vault, entry.name, "export")
    return len(handed)
