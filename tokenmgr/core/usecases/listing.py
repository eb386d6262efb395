"""The rows of `list`, read from the index without building entries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenmgr.core.rules import (
    KINDS,
    STATUS_EXPIRED,
    VERDICT_ACCEPTED,
    VERDICT_REFUSED,
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

if TYPE_CHECKING:

    from tokenmgr.core.index import Index


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


def list_rows(index: Index, now: datetime) -> list[dict[str, Any]]:
    """The rows of `list` (no secrets), sorted by name, each with its status: from the
    index alone, without building entries."""
    rows = []
    for item in sorted(index.load_raw(), key=lambda d: str(d["name"])):
        try:
            status, expires = _checked(item, now)
        except Exception as e:  # a malformed field is a corrupted index, reported as such
            raise index.corrupt(f"entry {item['name']!r} is malformed ({e})") from None
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
