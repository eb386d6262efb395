"""The words a token report is shown in (gui/report_text.py, gui/timewords.py), read
without Qt; and the app's modules import each other without a circle."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.gui import report_text as rt
from tokenmgr.gui.timewords import countdown, relative

GUI = Path(rt.__file__).parent
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_the_report_words_import_no_qt() -> None:
    for module in ("report_text", "timewords", "entry_request"):
        imported = _imports(GUI / f"{module}.py")
        assert not [m for m in imported if m.split(".")[0] in ("PySide6", "shiboken6")], module
        # Nor any app module that does (only other Qt-free ones).
        gui = {m for m in imported if m.startswith("tokenmgr.gui.")}
        assert gui <= {"tokenmgr.gui.timewords", "tokenmgr.gui.timewords.countdown",
                       "tokenmgr.gui.timewords.local_utc", "tokenmgr.gui.timewords.relative"}, gui


def test_the_apps_modules_import_each_other_without_a_circle() -> None:
    modules = {p.stem for p in GUI.glob("*.py") if p.stem != "__init__"}
    edges = {
        m: {i.split(".")[2] for i in _imports(GUI / f"{m}.py")
            if i.startswith("tokenmgr.gui.") and i.split(".")[2] in modules} - {m}
        for m in modules
    }
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for n in sorted(edges[m]):
            assert seen.get(n) != 1, " → ".join([*path, m, n])
            if n not in seen:
                visit(n, [*path, m])
        seen[m] = 2

    for m in sorted(modules):
        if m not in seen:
            visit(m, [])
    assert "report_text" in edges["details"] and "report_text" in edges["report_view"]


def test_pinned_sources_are_the_inspectors() -> None:
    from tokenmgr.core.jwt_inspect import PINNED_SOURCES

    assert set(PINNED_SOURCES) == set(rt.PINNED_SOURCES)


def test_signature_badge_words() -> None:
    base = {"kind": "jws", "header": {"alg": "RS256"}}
    assert rt.badge(rt.ReportData(**base))[1] == "Signature not checked"
    pinned = rt.ReportData(**base, signature="verified", verification={"key_source": "issuer"})
    assert rt.badge(pinned) == ("✔", "Signature verified (pinned issuer)")
    vault = rt.ReportData(**base, signature="verified",
                          verification={"key_source": "vault_issuer", "stale": True})
    assert rt.badge(vault) == ("✔", "Signature verified (pinned issuer) — with stale keys")
    unpinned = rt.ReportData(**base, signature="verified",
                             verification={"key_source": "token_iss"})
    mark, words = rt.badge(unpinned)
    assert mark != "✔" and words.startswith("Verified, issuer not pinned")
    bad = rt.ReportData(**base, signature="invalid",
                        verification={"reason": "the signature does not match the key"})
    assert rt.badge(bad) == ("✖", "Invalid signature: the signature does not match the key")
    cant = rt.ReportData(**base, signature="unverifiable", verification={"reason": "no key"})
    assert rt.badge(cant)[1] == "Can't verify (no key)"
    assert rt.badge(rt.ReportData(kind="opaque"))[1].startswith("Can't verify (an opaque")
    assert rt.badge(rt.ReportData(kind="jwe"))[1].startswith("Can't verify (an encrypted")


def test_badge_words_for_a_key_the_user_gave() -> None:
    base = {"kind": "jws", "header": {"alg": "HS256"}, "signature": "verified"}
    secret = rt.ReportData(**base, verification={"key_source": "secret"})
    assert rt.badge(secret) == ("✔", "Signature verified with the secret you gave")
    weak = rt.ReportData(**base, verification={"key_source": "secret", "weak_secret": True})
    assert rt.badge(weak)[1].endswith("— a weak secret, anyone may guess it")
    key = rt.ReportData(**base, verification={"key_source": "public_key"})
    assert rt.badge(key) == ("✔", "Signature verified with the public key you gave")
    url = rt.ReportData(**base, verification={"key_source": "jwks_url"})
    assert rt.badge(url) == ("✔", "Signature verified with the keys at the JWKS URL you gave")


def test_what_the_token_list_left_out_is_said() -> None:
    assert rt.left_out_line(rt.ReportData(kind="jws")) == ""
    one = rt.ReportData(kind="jws", left_out={"claims": ["nonce"]})
    assert rt.left_out_line(one).startswith("Reveal shows 1 more claim: nonce.")
    both = rt.ReportData(kind="jws", left_out={"header": ["x5c"], "claims": list("abcdefg")})
    assert rt.left_out_line(both).startswith("Reveal shows 8 more fields: x5c, a, b, c, d, e, …")
    full = rt.ReportData(kind="jws", left_out={"claims": ["nonce"]}, full=True)
    assert rt.left_out_line(full) == ""
    old = rt.ReportData.from_summary({"kind": "jws", "claims": {"sub": "x"}})
    assert old is not None and old.partial and "only some claims" in rt.left_out_line(old)
    new = rt.ReportData.from_summary({"v": 2, "kind": "jws", "claims": {"sub": "x"},
                                      "left_out": {"claims": ["nonce"]}})
    assert new is not None and not new.partial and new.left_out == {"claims": ["nonce"]}


def test_expiry_lines_count_down_within_a_day() -> None:
    assert rt.expiry_line(None, NOW) == "No expiry known"
    assert rt.expiry_line(NOW + timedelta(hours=3, seconds=5), NOW) == "Expires in 3 h 00 min 05 s"
    assert rt.expiry_line(NOW + timedelta(days=29), NOW) == "Expires in 29 days"
    assert rt.expiry_line(NOW - timedelta(seconds=60), NOW) == "Expired 60 s ago"
    assert countdown(42) == "42 s" and countdown(249) == "4 min 09 s"
    assert relative(NOW + timedelta(hours=3), NOW) == "in 3 h"


def test_claim_rows_gloss_and_time_every_registered_claim() -> None:
    data = rt.ReportData(
        kind="jws",
        claims={"iss": "https://login.example", "sub": "1234", "aud": ["api", "web"],
                "exp": 0, "iat": 0, "auth_time": int((NOW - timedelta(hours=2)).timestamp()),
                "custom": {"a": 1}},
        expires_at=NOW + timedelta(hours=1), issued_at=NOW - timedelta(hours=1),
    )
    rows = {r[0]: r for r in rt.claim_rows(data, NOW)}
    assert rows["iss"][2] == "issued by" and rows["sub"][2] == "who the token is about"
    assert rows["aud"][1] == '["api", "web"]' and rows["aud"][2] == "meant for"
    assert rows["exp"][1].endswith("· in 60 min") and "UTC" in rows["exp"][1]
    assert rows["iat"][1].endswith("· 60 min ago")
    assert rows["auth_time"][1].endswith("· 2 h ago")
    assert rows["custom"] == ("custom", '{"a": 1}', "")


def test_the_registered_claims_of_the_jwt_and_openid_registries_have_a_meaning() -> None:
    for claim in ("exp", "iat", "nbf", "iss", "sub", "aud", "azp", "scope", "jti", "email",
                  "roles", "groups", "acr", "amr", "sid", "at_hash", "act", "cnf"):
        assert rt.GLOSSES[claim], claim
    rows = rt.claim_rows(rt.ReportData(kind="jws", claims={"updated_at": 0, "flag": True}), NOW)
    assert rows[0][1].startswith("1970-01-01") and rows[1][1] == "true"


def test_one_line_says_kind_subject_issuer_expiry() -> None:
    data = rt.ReportData(kind="jws", header={"alg": "ES256", "kid": "k9"},
                         claims={"sub": "svc", "iss": "https://auth.example/"},
                         expires_at=NOW + timedelta(hours=5))
    assert rt.one_line(data, NOW) == (
        "Signed JWT · ES256 · kid k9 · subject svc · issued by https://auth.example/ · "
        "expires in 5 h"
    )
    assert rt.one_line(rt.ReportData(kind="malformed", reason="bad base64"), NOW) == (
        "Malformed: bad base64")


def test_control_characters_from_a_token_are_not_shown() -> None:
    data = rt.ReportData(kind="jws", claims={"sub": "a\x1b[31mb\nc"})
    shown = rt.claim_rows(data, NOW)[0][1]
    assert "\x1b" not in shown and "\n" not in shown


def test_sign_in_words() -> None:
    cfg = OAuthConfig(issuer="https://i.example", client_id="c")
    refused = Entry("r", kind="oauth2", oauth=cfg, state="sign_in_needed")
    assert rt.needs_sign_in(refused, NOW)
    assert rt.sign_in_line(refused, NOW).startswith("⚠ Sign-in needed")
    renews = Entry("o", kind="oauth2", oauth=cfg, expires_at=NOW - timedelta(minutes=1),
                   secrets=["access", "refresh"])
    assert not rt.needs_sign_in(renews, NOW) and rt.sign_in_line(renews, NOW) == ""
    static = Entry("s", expires_at=NOW - timedelta(days=1))
    assert not rt.needs_sign_in(static, NOW)

