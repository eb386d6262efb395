"""The binding (core/oauth/binding.py): every setting that decides where an entry's secrets
or its person go is covered, an older binding sends nothing and says how to re-bind, and
"Sign in again" repeats only bound settings, checked before anything is opened or sent."""

from __future__ import annotations

import dataclasses
import shlex
from datetime import timedelta
from typing import Any

import pytest

from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet
from tokenmgr.core.errors import BindingOutdated, IndexAltered, UsageError
from tokenmgr.core.oauth import binding
from tokenmgr.core.oauth.binding import State
from tokenmgr.core.oauth.http import Http
from tokenmgr.core.rules import now_utc
from tokenmgr.core.vault import Vault


def full_entry(**kw: Any) -> Entry:
    """An OAuth entry with every bound setting away from its default."""
    cfg = OAuthConfig(
        issuer="https://as.example/realms/dev",
        authorize_url="https://as.example/auth",
        token_url="https://as.example/token",
        device_url="https://as.example/device",
        revocation_url="https://as.example/revoke",
        introspection_url="https://as.example/introspect",
        client_id="cli",
        scopes=["openid", "offline_access"],
        audience="https://api.example",
        resource="https://api.example/r",
        extra_params={"login_hint": "a@example.com"},
        preset_params={"realm": "dev"},
        flow="device",
        browser="embedded",
        redirect_port=8765,
        preset="keycloak",
        token_endpoint_auth="client_secret_post",
        revocation_style="github",
        id_token_issuers=["as.example"],
        redirect_uri="http://127.0.0.1:8765/callback",
        resend_redirect_uri=True,
        authorization_response_iss="https://as.example/realms/dev",
    )
    return Entry(
        name="w",
        kind="oauth2",
        oauth=dataclasses.replace(cfg, **kw),
        hosts=["git.example"],
        check_url="https://api.example/me",
    )


def other_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list):
        return [*value, "more"]
    if isinstance(value, dict):
        return {**value, "more": "x"}
    if isinstance(value, str) and value.startswith("https://"):
        return "https://attacker.example/" + value.rsplit("/", 1)[-1]
    return "other"


def with_setting(entry: Entry, name: str, value: Any) -> Entry:
    changed = dataclasses.replace(entry, oauth=dataclasses.replace(entry.oauth))  # type: ignore[arg-type]
    if name in ("kind", "hosts", "check_url"):  # the entry's own; the rest its OAuthConfig's
        setattr(changed, name, value)
    else:
        setattr(changed.oauth, name, value)
    return changed


@pytest.mark.parametrize("setting", binding.SETTINGS, ids=lambda s: s.name)
def test_every_bound_setting_changed_in_the_index_sends_nothing(
    setting: binding.Setting,
) -> None:
    entry = full_entry()
    stored = binding.digest(entry)
    binding.check(stored, entry)
    current = setting.read(entry)
    for value in (other_value(current), setting.default):
        changed = with_setting(entry, setting.name, value)
        assert binding.state(stored, changed) is State.ALTERED, (setting.name, value)
        with pytest.raises(IndexAltered) as info:
            binding.check(stored, changed)
        assert info.value.exit_status == 1 and "index was altered" in str(info.value)


def test_what_decides_where_the_person_is_sent_is_bound() -> None:
    """The settings the authorization request is built from, by name (not only via the
    loop over SETTINGS: a setting dropped from it must fail here)."""
    names = {s.name for s in binding.SETTINGS}
    assert {
        "authorize_url",
        "preset",
        "preset_params",
        "extra_params",
        "scopes",
        "audience",
        "resource",
        "redirect_port",
        "browser",
        "authorization_response_iss",
        "token_url",
        "device_url",
        "revocation_url",
        "revocation_style",
        "token_endpoint_auth",
        "client_id",
        "introspection_url",
        "issuer",
        "flow",
    } <= names


def test_every_oauth_setting_is_bound() -> None:
    """A field added to OAuthConfig is bound unless someone decides otherwise here."""
    names = {s.name for s in binding.SETTINGS}
    assert set(OAuthConfig.__dataclass_fields__) <= names


def test_metadata_a_person_may_edit_is_not_bound() -> None:
    entry = full_entry()
    stored = binding.digest(entry)
    entry.service, entry.note, entry.tags = "Renamed", "a note", ["x"]
    entry.env_var, entry.scheme, entry.state = "OTHER_TOKEN", "token", "sign_in_needed"
    entry.expires_at = now_utc() + timedelta(hours=2)
    entry.secrets = ["access", "binding"]
    entry.report = {"kind": "opaque"}
    assert binding.state(stored, entry) is State.MATCHES


def test_a_new_setting_keeps_existing_bindings_until_it_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """How a later feature adds its setting (e.g. credential-helper hosts): one line."""
    entry = full_entry()
    stored = binding.digest(entry)
    hosts: list[str] = []
    monkeypatch.setattr(
        binding, "SETTINGS", (*binding.SETTINGS, binding.Setting("hosts", lambda e: hosts, []))
    )
    assert binding.state(stored, entry) is State.MATCHES
    hosts.append("git.example.com")
    assert binding.state(stored, entry) is State.ALTERED


def test_static_entries_need_no_binding_until_something_of_them_is_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    static = Entry(name="s", kind="static")
    assert binding.state(None, static) is State.NOT_NEEDED
    binding.check(None, static)
    # Made into an OAuth entry in the index: it needs a binding it does not have.
    assert binding.state(None, with_setting(full_entry(), "kind", "oauth2")) is State.MISSING
    # A static entry's own setting (added later) needs one as soon as it is used.
    monkeypatch.setattr(
        binding,
        "SETTINGS",
        (*binding.SETTINGS, binding.Setting("check_url", lambda e: e.note or None)),
    )
    static.note = "https://api.example/check"
    assert binding.state(None, static) is State.MISSING
    assert binding.state(binding.digest(static), static) is State.MATCHES


def test_no_binding_at_all_says_sign_in_once_more() -> None:
    with pytest.raises(BindingOutdated) as info:
        binding.check(None, full_entry())
    text = str(info.value)
    assert info.value.exit_status == 5
    assert "no endpoint binding" in text and "sign in once more to re-bind" in text
    assert "`tokenmgr login w ...`" in text  # nothing from the unchecked index


def v1_entry(**kw: Any) -> Entry:
    """An entry as the release with the `v1` binding made it (no introspection URL)."""
    cfg = OAuthConfig(
        issuer="https://id.example.com",
        authorize_url="https://id.example.com/auth",
        token_url="https://id.example.com/token",
        revocation_url="https://id.example.com/revoke",
        client_id="my-cli",
        scopes=["openid", "offline_access"],
        extra_params={"login_hint": "me@example.com"},
        redirect_port=8400,
    )
    return Entry(name="work", kind="oauth2", oauth=dataclasses.replace(cfg, **kw))


def test_an_older_binding_sends_nothing_and_gives_the_login_line() -> None:
    entry = v1_entry()
    assert entry.oauth is not None
    stored = binding._digest_v1(entry.oauth)
    assert stored.startswith("v1:")
    assert binding.state(stored, entry) is State.OUTDATED
    with pytest.raises(BindingOutdated) as info:
        binding.check(stored, entry)
    text = str(info.value)
    assert info.value.exit_status == 5
    assert "signed in with an older release" in text and "sign in once more to re-bind" in text
    assert (
        "`tokenmgr login work --issuer https://id.example.com --client-id my-cli "
        "--scope 'openid offline_access' --param login_hint=me@example.com --port 8400`"
    ) in text
    # What the older binding covered, edited: altered, not merely outdated.
    edited = v1_entry(token_url="https://attacker.example/token")
    assert binding.state(stored, edited) is State.ALTERED
    with pytest.raises(IndexAltered, match="index was altered"):
        binding.check(stored, edited)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            Entry(
                name="gh",
                kind="oauth2",
                secrets=["access", "client_secret"],
                oauth=OAuthConfig(
                    token_url="https://github.com/login/oauth/access_token",
                    authorize_url="https://github.com/login/oauth/authorize",
                    client_id="Iv1.abc",
                    preset="github",
                    scopes=["repo"],
                ),
            ),
            "tokenmgr login gh --preset github --client-id Iv1.abc --client-secret-stdin "
            "--scope repo",
        ),
        (
            Entry(
                name="kc",
                kind="oauth2",
                oauth=OAuthConfig(
                    issuer="https://sso.example/realms/dev",
                    client_id="c",
                    preset="keycloak",
                    preset_params={"host": "sso.example", "realm": "dev"},
                    flow="device",
                ),
            ),
            "tokenmgr login kc --preset keycloak --param host=sso.example --param realm=dev "
            "--client-id c --flow device",
        ),
        (
            # The preset's values, edited, would lead elsewhere: the bound issuer instead.
            Entry(
                name="kc",
                kind="oauth2",
                oauth=OAuthConfig(
                    issuer="https://sso.example/realms/dev",
                    client_id="c",
                    preset="keycloak",
                    preset_params={"host": "attacker.example", "realm": "dev"},
                ),
            ),
            "tokenmgr login kc --issuer https://sso.example/realms/dev --client-id c",
        ),
        (
            # An authorization endpoint on another host than the bound token endpoint.
            Entry(
                name="x",
                kind="oauth2",
                oauth=OAuthConfig(
                    authorize_url="https://attacker.example/auth",
                    token_url="https://as.example/token",
                    client_id="c",
                    browser="none",
                ),
            ),
            "tokenmgr login x --authorize-url AUTHORIZE_URL --token-url https://as.example/token "
            "--client-id c --browser none",
        ),
    ],
    ids=["preset", "preset-params", "preset-elsewhere", "authorize-elsewhere"],
)
def test_the_login_line(entry: Entry, expected: str) -> None:
    line = binding.login_command(entry)
    assert line == expected
    from tokenmgr.cli.parser import build_parser

    args = build_parser().parse_args(shlex.split(line)[1:])
    assert args.command == "login" and args.name == entry.name


# ------------------------------------------------------------- sign in again


class _NoNetwork(Http):
    """Any request is a failure of the test."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.sent.append(url)
        raise AssertionError(f"sent {method} {url}")


def stored(vault: Vault, entry: Entry, **secrets: str) -> Entry:
    """`entry` saved as a sign-in saves it: secrets and binding."""
    tokens = TokenSet(access="at-1234567890", binding=binding.digest(entry), **secrets)
    return vault.save_tokens(entry, tokens)


def explicit_entry() -> Entry:
    return Entry(
        name="x",
        kind="oauth2",
        oauth=OAuthConfig(
            authorize_url="https://as.example/auth",
            token_url="https://as.example/token",
            client_id="c",
            scopes=["a"],
            browser="none",
        ),
    )


def test_sign_in_again_repeats_the_bound_settings_as_they_are(vault: Vault) -> None:
    from tokenmgr.core.oauth.signin import build_config, request_again_checked

    entry = stored(vault, explicit_entry())
    req = request_again_checked(vault, "x")
    assert req.again is not None
    cfg, meta, preset = build_config(req, _NoNetwork())
    assert cfg == entry.oauth and cfg is not entry.oauth
    assert meta is None and preset is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("authorize_url", "https://attacker.example/auth"),
        ("authorization_response_iss", None),
        ("browser", "system"),
        ("redirect_port", 8080),
        ("extra_params", {"redirect_to": "https://attacker.example"}),
        ("scopes", ["openid", "admin"]),
        ("preset", "github"),
    ],
)
def test_sign_in_again_after_an_index_edit_opens_and_sends_nothing(
    vault: Vault, field: str, value: Any
) -> None:
    from tokenmgr.core.oauth.signin import request_again, request_again_checked, sign_in

    entry = explicit_entry()
    assert entry.oauth is not None
    entry.oauth.authorization_response_iss = "https://as.example"
    stored(vault, entry, client_secret="s3cret-value")
    edited = vault.entry("x")
    setattr(edited.oauth, field, value)
    vault.update_entry(edited)  # what an edit of entries.json does
    with pytest.raises(IndexAltered, match="not used to sign in again"):
        request_again_checked(vault, "x")
    # Even a request built from the unchecked index is refused by sign_in itself.
    opened: list[str] = []

    def open_url(url: str, _redirect: str) -> None:
        opened.append(url)
        raise AssertionError("the sign-in page was opened")

    http = _NoNetwork()
    with pytest.raises(IndexAltered, match="index was altered"):
        sign_in(
            vault,
            request_again(vault.entry("x")),
            open_url=open_url,
            announce=lambda _d: open_url("device", ""),
            http=http,
        )
    assert opened == [] and http.sent == []


def test_sign_in_again_of_an_entry_bound_by_an_older_release(vault: Vault) -> None:
    from tokenmgr.core.oauth.signin import request_again_checked

    entry = v1_entry()
    assert entry.oauth is not None
    vault.save_tokens(
        entry, TokenSet(access="at-1234567890", binding=binding._digest_v1(entry.oauth))
    )
    with pytest.raises(BindingOutdated) as info:
        request_again_checked(vault, "work")
    assert "sign in once more to re-bind it with `tokenmgr login work --issuer" in str(info.value)


def test_sign_in_again_of_a_static_entry_is_refused(vault: Vault) -> None:
    from tokenmgr.core.oauth.signin import request_again_checked

    vault.add("s", "static-token-1")
    with pytest.raises(UsageError, match="static token"):
        request_again_checked(vault, "s")


# ------------------------------------------------------------- refresh, revoke


def test_refresh_and_revoke_of_an_older_binding_send_nothing(vault: Vault, cli: Any) -> None:
    entry = v1_entry()
    assert entry.oauth is not None
    entry.expires_at = now_utc() - timedelta(seconds=1)
    entry.issued_at = now_utc() - timedelta(hours=1)
    vault.save_tokens(
        entry,
        TokenSet(access="at-1234567890", refresh="rt-1234567890",
                 binding=binding._digest_v1(entry.oauth)),
    )
    for args in (["get", "work"], ["refresh", "work"]):
        r = cli(*args)
        assert r.status == 5, (args, r)
        assert "sign in once more to re-bind it with `tokenmgr login work --issuer" in r.err
        assert r.out == ""
    r = cli("rm", "work", "--revoke")
    assert r.status == 5 and "sign in once more to re-bind" in r.err
    assert "`tokenmgr rm work`" in r.err
    assert vault.entry("work").secrets  # kept
