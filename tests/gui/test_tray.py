"""Tray menu structure, marking, icon, tooltip and signals (offscreen, pytest-qt)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from tokenmgr.core.entries import Entry
from tokenmgr.core.vault import Vault
from tokenmgr.gui import icons
from tokenmgr.gui.tray import Tray, until

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def entry(name: str, *, left: timedelta | None = None, kind: str = "static", **kw: object) -> Entry:
    expires = None if left is None else NOW + left
    issued = NOW - timedelta(hours=1)
    return Entry(name=name, kind=kind, expires_at=expires, issued_at=issued, **kw)  # type: ignore[arg-type]


def demo() -> list[Entry]:
    return [
        entry("staging", left=timedelta(minutes=4, seconds=30), kind="oauth2"),
        entry("github-ci", left=timedelta(days=29)),
        entry("old-key", left=timedelta(hours=-2), kind="oauth2"),
        entry("stripe"),
    ]


@pytest.fixture
def tray(qapp: object) -> Iterator[Tray]:
    t = Tray()
    yield t
    t.menu.hide()
    t.hide()
    t.menu.deleteLater()
    t.deleteLater()


def texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if a.isVisible()]


def token_submenus(tray: Tray) -> list[QMenu]:
    return [a.menu() for a in tray.menu.actions() if a.menu() is not None]


def test_tokens_first_in_name_order_then_the_app_actions(tray: Tray) -> None:
    tray.set_entries(demo(), NOW)
    actions = [a for a in tray.menu.actions() if a.isVisible()]
    subs = [a for a in actions if a.menu() is not None]
    assert actions[: len(subs)] == subs  # tokens come first
    assert [a.text().split(" (")[0] for a in subs] == ["github-ci", "old-key", "staging", "stripe"]
    rest = actions[len(subs) :]
    assert rest[0].isSeparator()
    assert [a.text().replace("&&", "&") for a in rest[1:]] == [
        "Paste & decode",
        "Open Token Manager",
        "Quit",
    ]


def test_each_token_submenu_starts_with_copy_header(tray: Tray) -> None:
    tray.set_entries(demo(), NOW)
    for sub in token_submenus(tray):
        if sub.title().startswith("old-key"):
            continue  # expired, no refresh token: "Sign in again" only (below)
        assert texts(sub) == ["Copy header", "Copy raw", "Copy env line", "Copy .env line"]


def test_an_expired_oauth_entry_that_renews_itself_stays_usable(tray: Tray) -> None:
    from tokenmgr.core.entries import OAuthConfig

    e = entry("renewing", left=timedelta(minutes=-5), kind="oauth2")
    e.secrets = ["access", "refresh"]
    e.oauth = OAuthConfig(issuer="https://id.example.com", client_id="c")
    tray.set_entries([e], NOW)
    (sub,) = token_submenus(tray)
    assert sub.title() == "renewing (expired, renews on copy)" and sub.menuAction().isEnabled()
    assert texts(sub)[0] == "Copy header"
    # The refresh token is refused later: the same name, now "Sign in again" (rebuilt).
    e.state = "sign_in_needed"
    tray.set_entries([e], NOW)
    (sub,) = token_submenus(tray)
    assert texts(sub) == ["Sign in again"]


def test_copy_actions_emit_name_and_format(tray: Tray, qtbot) -> None:  # type: ignore[no-untyped-def]
    tray.set_entries(demo(), NOW)
    seen: list[tuple[str, str]] = []
    tray.copy_requested.connect(lambda name, fmt: seen.append((name, fmt)))
    subs = {s.title(): s for s in token_submenus(tray)}
    for action in subs["github-ci"].actions():
        action.trigger()
    subs["staging (expires in 4 min)"].actions()[0].trigger()
    assert seen == [
        ("github-ci", "header"),
        ("github-ci", "raw"),
        ("github-ci", "env"),
        ("github-ci", "dotenv"),
        ("staging", "header"),
    ]


def test_expiring_marked_expired_greyed(tray: Tray) -> None:
    tray.set_entries(demo(), NOW)
    by_name = {s.title().split(" ")[0]: s.menuAction() for s in token_submenus(tray)}
    assert by_name["staging"].text() == "staging (expires in 4 min)"
    assert by_name["staging"].isEnabled()
    assert by_name["old-key"].text() == "old-key (expired — sign in again)"
    # An expired OAuth entry's submenu offers only "Sign in again".
    assert by_name["old-key"].isEnabled()
    assert [a.text() for a in by_name["old-key"].menu().actions()] == ["Sign in again"]
    assert by_name["github-ci"].text() == "github-ci"
    assert by_name["github-ci"].isEnabled()
    assert by_name["stripe"].text() == "stripe"  # no expiry known: nothing to say


def test_static_expired_and_sign_in_needed(tray: Tray) -> None:
    tray.set_entries(
        [
            entry("pat", left=timedelta(seconds=-1)),
            entry("idp", left=timedelta(days=3), kind="oauth2", state="sign_in_needed"),
        ],
        NOW,
    )
    titles = {s.menuAction().text(): s.menuAction().isEnabled() for s in token_submenus(tray)}
    assert titles == {"pat (expired)": False, "idp (sign in again)": True}
    assert tray.attention
    idp = next(s for s in token_submenus(tray) if s.title().startswith("idp"))
    asked: list[str] = []
    tray.sign_in_requested.connect(asked.append)
    idp.actions()[0].trigger()
    assert asked == ["idp"]


def test_attention_icon_while_any_expiring_or_expired(tray: Tray) -> None:
    normal = icons.tray_icon(False).cacheKey()
    attention = icons.tray_icon(True).cacheKey()
    assert tray.icon.icon().cacheKey() == normal
    tray.set_entries([entry("github-ci", left=timedelta(days=29))], NOW)
    assert not tray.attention
    assert tray.icon.icon().cacheKey() == normal
    tray.set_entries(demo(), NOW)
    assert tray.attention
    assert tray.icon.icon().cacheKey() == attention
    tray.set_entries([entry("github-ci", left=timedelta(days=29))], NOW)
    assert tray.icon.icon().cacheKey() == normal


def test_tooltip_counts_names_expiring_and_the_countdown(tray: Tray) -> None:
    assert tray.tooltip() == "Token Manager"
    tray.set_entries(demo(), NOW)
    assert tray.tooltip().splitlines() == [
        "Token Manager: 4 tokens",
        "old-key expired",
        "staging expires in 4 min",
    ]
    tray.set_countdown(27)
    assert tray.tooltip().splitlines()[-1] == "Clipboard clears in 27 s"
    tray.set_countdown(0)
    assert "Clipboard" not in tray.tooltip()
    tray.set_entries([entry("github-ci", left=timedelta(days=29))], NOW)
    assert tray.tooltip() == "Token Manager: 1 token"


def test_tooltip_names_a_few_then_counts(tray: Tray) -> None:
    many = [entry(f"t{i}", left=timedelta(seconds=-i - 1)) for i in range(5)]
    tray.set_entries(many, NOW)
    lines = tray.tooltip().splitlines()
    assert lines == ["Token Manager: 5 tokens", "t0 expired", "t1 expired", "t2 expired",
                     "and 2 more"]


def test_empty_vault(tray: Tray) -> None:
    tray.set_entries([], NOW)
    assert texts(tray.menu)[0] == "No tokens yet"
    assert not tray.menu.actions()[0].isEnabled()
    tray.set_entries(demo(), NOW)
    assert "No tokens yet" not in texts(tray.menu)
    tray.set_entries([], NOW)
    assert texts(tray.menu)[0] == "No tokens yet"
    assert token_submenus(tray) == []


def test_ampersand_in_a_name_is_shown_not_a_mnemonic(tray: Tray) -> None:
    tray.set_entries([entry("r&d")], NOW)
    assert token_submenus(tray)[0].title() == "r&&d"


def test_same_names_update_in_place(tray: Tray) -> None:
    tray.set_entries(demo(), NOW)
    before = token_submenus(tray)
    later = NOW + timedelta(minutes=2)
    tray.set_entries(demo(), later)
    after = token_submenus(tray)
    assert after == before  # the same QMenu objects: retitled, not rebuilt
    assert "staging (expires in 2 min)" in [s.title() for s in after]


def test_no_rebuild_while_the_menu_is_open(tray: Tray, qtbot) -> None:  # type: ignore[no-untyped-def]
    tray.set_entries(demo(), NOW)
    tray.menu.popup(tray.menu.pos())
    qtbot.waitUntil(tray.menu.isVisible)
    shown = texts(tray.menu)
    tray.set_entries(demo() + [entry("aaa-new")], NOW)
    assert texts(tray.menu) == shown  # nothing moves under the pointer
    assert tray.tooltip().startswith("Token Manager: 5 tokens")  # the tooltip is current
    tray.menu.hide()
    qtbot.waitUntil(lambda: texts(tray.menu)[0] == "aaa-new")
    assert len(token_submenus(tray)) == 5


def test_left_click_toggles_the_window(tray: Tray, qtbot) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    tray.toggle_requested.connect(lambda: seen.append("toggle"))
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.MiddleClick)
    assert seen == []
    tray.icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)
    assert seen == ["toggle"]


def test_app_actions_emit(tray: Tray) -> None:
    seen: list[str] = []
    tray.paste_decode_requested.connect(lambda: seen.append("paste"))
    tray.open_requested.connect(lambda: seen.append("open"))
    tray.quit_requested.connect(lambda: seen.append("quit"))
    tray.paste_decode_action.trigger()
    tray.open_action.trigger()
    tray.quit_action.trigger()
    assert seen == ["paste", "open", "quit"]


def all_action_texts(menu: QMenu) -> list[str]:
    out: list[str] = [menu.title(), menu.toolTip()]
    for action in menu.actions():
        out += [action.text(), action.toolTip(), action.statusTip(), action.whatsThis(),
                action.iconText()]
        if action.menu() is not None:
            out += all_action_texts(action.menu())
    return out


def test_no_token_text_anywhere(tray: Tray, vault: Vault) -> None:
    """Entries straight from a vault holding real-looking tokens: only names and times show."""
    import base64
    import json

    def b64(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    exp = int((NOW + timedelta(minutes=3)).timestamp())
    jwt = f"{b64({'alg': 'RS256'})}.{b64({'sub': 'u1', 'exp': exp, 'iat': exp - 3600})}.c2ln"
    secrets = {"gh": "ghp_" + "A1b2C3d4" * 4 + "Zz", "jwt": jwt, "stripe": "sk_live_51Habcdefghijk"}
    for name, token in secrets.items():
        vault.add(name, token, service=name)
    tray.set_entries(vault.list_entries(), NOW)
    tray.set_countdown(12)
    shown = all_action_texts(tray.menu) + [tray.tooltip(), tray.icon.toolTip()]
    blob = "\n".join(shown)
    assert "jwt (expires in 3 min)" in blob
    for token in secrets.values():
        for part in [token, *token.split(".")]:
            assert part not in blob


def test_until_words() -> None:
    assert until(timedelta(seconds=59)) == "less than a minute"
    assert until(timedelta(seconds=-5)) == "less than a minute"
    assert until(timedelta(minutes=4, seconds=59)) == "4 min"
    assert until(timedelta(hours=3, minutes=59)) == "3 h"
    assert until(timedelta(hours=47)) == "47 h"
    assert until(timedelta(days=29, hours=5)) == "29 days"


def test_no_tray_offscreen(qapp: object) -> None:
    """Offscreen has no tray host (tests/gui/test_tray_xvfb.py: True with one on X11)."""
    assert Tray.available() is False


def test_unchanged_entries_touch_nothing(tray: Tray, monkeypatch: pytest.MonkeyPatch) -> None:
    """Called every second by the app: while no title or state changes, the menu is left be."""
    tray.set_entries(demo(), NOW)
    calls: list[object] = []
    monkeypatch.setattr(tray, "_apply", lambda rows: calls.append(rows))
    monkeypatch.setattr(tray, "_update_tooltip", lambda: calls.append("tooltip"))
    for seconds in range(1, 20):  # staging still "expires in 4 min"
        tray.set_entries(demo(), NOW + timedelta(seconds=seconds))
    assert calls == []
    tray.set_entries(demo(), NOW + timedelta(seconds=31))  # now "3 min"
    assert len(calls) == 2
